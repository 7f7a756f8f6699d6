"""Engine connections: the metric compiler takes any Ibis backend; these open the usual ones."""

from __future__ import annotations

from pathlib import Path

import ibis

from northstar.errors import N_, ValidationFailed
from northstar.metrics.spec import MetricSpec

FILE_READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet"}


def connect_duckdb(spec: MetricSpec | None = None, *, base_dir: Path | None = None) -> ibis.BaseBackend:
    """An in-process DuckDB with every file source of ``spec`` loaded as a table named after it.

    Relative file paths are read from ``base_dir`` (the working directory when it is None).
    """
    con = ibis.duckdb.connect()
    if spec is not None:
        load_files(con, spec, base_dir=base_dir)
    return con


def load_files(con: ibis.BaseBackend, spec: MetricSpec, *, base_dir: Path | None = None) -> None:
    """Load the CSV and Parquet sources of ``spec`` into ``con`` under the sources' names."""
    for name, source in spec.sources.items():
        if source.file is None:
            continue
        path = Path(source.file)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        reader = FILE_READERS.get(path.suffix.lower())
        if reader is None:
            raise ValidationFailed(
                N_("sources.{source}.file: {file} is neither CSV nor Parquet; convert it or name a table."),
                source=name,
                file=source.file,
            )
        if not path.is_file():
            raise ValidationFailed(
                N_("sources.{source}.file: the file {file} does not exist; correct the path."),
                source=name,
                file=str(path),
            )
        getattr(con, reader)(str(path), table_name=name)

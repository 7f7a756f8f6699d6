"""Engine connections: the metric compiler takes any Ibis backend; these open the usual ones.

The engine is a setting (``NORTHSTAR_METRICS_ENGINE``): ``duckdb``, in-process and the default,
or ``pyspark``, a local-mode Spark session. ``connect`` chooses between them; the compiler never
assumes either.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
import pyarrow.csv as pacsv

from northstar.errors import N_, ValidationFailed
from northstar.metrics.spec import MetricSpec

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

FILE_READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet"}
ENGINES = ("duckdb", "pyspark")

#: a small local Spark: two cores, UTC, few shuffle partitions, no UI, nothing on the network
SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.app.name": "northstar-metrics",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def connect(
    settings_engine: str, spec: MetricSpec | None = None, base_dir: Path | None = None
) -> ibis.BaseBackend:
    """The engine named by the setting ``NORTHSTAR_METRICS_ENGINE``, with the spec's files loaded."""
    if settings_engine == "duckdb":
        return connect_duckdb(spec, base_dir=base_dir)
    if settings_engine == "pyspark":
        return connect_pyspark(spec, base_dir=base_dir)
    raise ValidationFailed(
        N_('NORTHSTAR_METRICS_ENGINE: unknown metrics engine "{engine}"; set it to one of: {known}.'),
        engine=settings_engine,
        known=", ".join(ENGINES),
    )


def connect_duckdb(spec: MetricSpec | None = None, *, base_dir: Path | None = None) -> ibis.BaseBackend:
    """An in-process DuckDB with every file source of ``spec`` loaded as a table named after it.

    Relative file paths are read from ``base_dir`` (the working directory when it is None).
    """
    con = ibis.duckdb.connect()
    if spec is not None:
        load_files(con, spec, base_dir=base_dir)
    return con


def connect_pyspark(spec: MetricSpec | None = None, *, base_dir: Path | None = None) -> ibis.BaseBackend:
    """A local-mode Spark session (``SPARK_CONF``) with the spec's file sources as temporary views.

    The session is created once per process and reused by later calls; a view of the same name
    is replaced. CSV files are read with Arrow, as DuckDB's reader would type them (timestamps,
    integers with gaps, doubles), rather than with Spark's own CSV inference; Parquet files keep
    their own types and are read by Spark.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    con = ibis.pyspark.connect(session)
    if spec is not None:
        load_pyspark_files(con, session, spec, base_dir=base_dir)
    return con


def load_files(con: ibis.BaseBackend, spec: MetricSpec, *, base_dir: Path | None = None) -> None:
    """Load the CSV and Parquet sources of ``spec`` into ``con`` under the sources' names."""
    for name, path, reader in _files(spec, base_dir):
        getattr(con, reader)(str(path), table_name=name)


def load_parquet(con: ibis.BaseBackend, name: str, paths: list[Path]) -> None:
    """Make the Parquet files ``paths`` (one source's snapshot) the table ``name`` of ``con``."""
    if con.name == "pyspark":
        session: SparkSession = con._session  # noqa: SLF001 - Ibis keeps the Spark session here
        session.read.parquet(*(str(p) for p in paths)).createOrReplaceTempView(name)
    elif con.name == "duckdb":
        con.read_parquet([str(p) for p in paths], table_name=name)
    else:  # any other backend: through Arrow
        import pyarrow.parquet as pq

        rows = pa.concat_tables([pq.read_table(p) for p in paths])
        con.create_table(name, ibis.memtable(rows), overwrite=True)


def load_pyspark_files(
    con: ibis.BaseBackend, session: SparkSession, spec: MetricSpec, *, base_dir: Path | None = None
) -> None:
    """Register the CSV and Parquet sources of ``spec`` as Spark temporary views named after them."""
    for name, path, reader in _files(spec, base_dir):
        if reader == "read_parquet":
            con.read_parquet(str(path), table_name=name)
        else:
            spark_frame(session, pacsv.read_csv(path)).createOrReplaceTempView(name)


def spark_frame(session: SparkSession, table: pa.Table) -> DataFrame:
    """A Spark DataFrame of an Arrow table, nulls kept as nulls (not NaN) in integer columns."""
    import pyspark

    if int(pyspark.__version__.split(".")[0]) >= 4:
        return session.createDataFrame(table)
    from pyspark.sql.pandas.types import from_arrow_schema

    frame: Any = table.to_pandas(integer_object_nulls=True, date_as_object=True)
    return session.createDataFrame(frame, schema=from_arrow_schema(table.schema))


def _files(spec: MetricSpec, base_dir: Path | None) -> list[tuple[str, Path, str]]:
    """(source name, path, reader) of every file source, after checking the files exist."""
    out: list[tuple[str, Path, str]] = []
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
        out.append((name, path, reader))
    return out

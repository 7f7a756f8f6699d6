"""File downloads: one attachment response for every export (xlsx, CSV, YAML)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(content: bytes | str, filename: str, media_type: str = XLSX) -> Response:
    """``content`` as a download named ``filename``; the name is also given in UTF-8 (RFC 5987),
    so that a name with a department or card code in it arrives as written."""
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})

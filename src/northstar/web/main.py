"""The ASGI entry point for uvicorn: ``northstar.web.main:app``."""

from northstar.web.app import create_app

app = create_app()

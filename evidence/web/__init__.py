"""The reviewer web UI (``evidence serve``): FastAPI with server-rendered Chinese pages.

``create_app(settings, store=..., index=...)`` builds the application; ``evidence.web_cli``
runs it under uvicorn. Everything except ``/healthz`` requires a login."""

from evidence.web.app import create_app
from evidence.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]

"""The app factory: one server for pages and the JSON API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from northstar import __version__
from northstar.config import Settings, get_settings
from northstar.db import make_engine, make_session_factory
from northstar.errors import N_, NorthstarError
from northstar.web.deps import csrf_protect, get_translator
from northstar.web.templating import render

STATIC_DIR = Path(__file__).resolve().parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_response(
    request: Request, status: int, code: str, message: str, problems: list[dict[str, Any]] | None = None
) -> Response:
    if (
        _is_api(request)
        or "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", "")
    ):
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if problems:
            body["error"]["problems"] = problems
        return JSONResponse(body, status_code=status)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "problems": problems or []},
        status_code=status,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NorthstarError)
    async def northstar_error(request: Request, exc: NorthstarError) -> Response:
        t = get_translator(request)
        problems = [
            {"sheet": p.sheet, "row": p.row, "field": p.field, "message": t.gettext(p.message, **p.params)}
            for p in getattr(exc, "problems", [])
        ]
        return _error_response(request, exc.status, exc.code, t.gettext(exc.message, **exc.params), problems)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        t = get_translator(request)
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            field = ".".join(loc)
            problems.append(
                {
                    "field": field,
                    "row": None,
                    "sheet": None,
                    "message": t.gettext(
                        N_("{field}: {detail}"), field=field or "?", detail=t.gettext(err.get("msg", ""))
                    ),
                }
            )
        return _error_response(
            request,
            422,
            "validation_failed",
            t.gettext(N_("Some fields are missing or invalid: correct them and send again.")),
            problems,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        t = get_translator(request)
        messages = {404: N_("This page does not exist."), 405: N_("This action is not allowed here.")}
        message = t.gettext(messages.get(exc.status_code, N_("The request could not be handled.")))
        return _error_response(request, exc.status_code, "http_error", message)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> Response:
        t = get_translator(request)
        return _error_response(
            request,
            409,
            "conflict",
            t.gettext(
                N_(
                    "Someone else saved this record while you were editing. Reload the page and apply your change "
                    "again."
                )
            ),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        t = get_translator(request)
        return _error_response(
            request,
            500,
            "internal_error",
            t.gettext(
                N_(
                    "Northstar hit an internal error; nothing was saved. Try again, and if it repeats, tell your "
                    "administrator the time it happened."
                )
            ),
        )


def create_app(
    settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the app; tests pass their own settings and session factory."""
    settings = settings or get_settings()
    if session_factory is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        session_factory = make_session_factory(make_engine(settings.resolved_database_url))
    app = FastAPI(
        title="Northstar API",
        version=__version__,
        description="Customer-oriented performance management (北极星). Authenticate with a session cookie "
        "plus X-CSRF-Token, or with `Authorization: Bearer <API token>`.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.session_factory = session_factory

    @app.middleware("http")
    async def unit_of_work(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # The edge owns the transaction: commit when the response is a success, roll back on any
        # error response or exception. The commit happens before the response leaves, so a
        # failed commit becomes an error the user sees rather than a silent loss.
        db = session_factory()
        request.state.db = db
        try:
            response = await call_next(request)
            if response.status_code < 400:
                try:
                    db.commit()
                except SQLAlchemyError:
                    db.rollback()
                    t = get_translator(request)
                    response = _error_response(
                        request,
                        409,
                        "conflict",
                        t.gettext(
                            N_(
                                "Your change could not be saved because the data changed at the same time. Reload and "
                                "try again."
                            )
                        ),
                    )
            else:
                db.rollback()
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith("/static/"):
            # Pages and API answers carry personal data: never keep them in a shared cache.
            response.headers["Cache-Control"] = "no-store"
        return response

    _install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        """Liveness and database reachability for operators and load balancers."""
        try:
            request.state.db.execute(text("SELECT 1"))
            return JSONResponse({"status": "ok", "database": "ok", "version": __version__})
        except SQLAlchemyError:
            return JSONResponse(
                {"status": "error", "database": "unreachable", "version": __version__}, status_code=503
            )

    from northstar.customers import pages as customers_pages
    from northstar.customers import routes as customers_routes
    from northstar.cycles import pages as cycles_pages
    from northstar.cycles import routes as cycles_routes
    from northstar.dashboards import pages as dashboards_pages
    from northstar.dashboards import routes as dashboards_routes
    from northstar.data import pages as data_pages
    from northstar.data import routes as data_routes
    from northstar.indicators import pages as indicators_pages
    from northstar.indicators import routes as indicators_routes
    from northstar.journey import pages as journey_pages
    from northstar.journey import routes as journey_routes
    from northstar.org import pages as org_pages
    from northstar.org import routes as org_routes
    from northstar.pools import pages as pools_pages
    from northstar.pools import routes as pools_routes
    from northstar.positions import pages as positions_pages
    from northstar.positions import routes as positions_routes
    from northstar.scorecards import cascade_pages, cascade_routes
    from northstar.scorecards import pages as scorecards_pages
    from northstar.scorecards import routes as scorecards_routes
    from northstar.security import pages as security_pages
    from northstar.security import routes as security_routes
    from northstar.strategy import pages as strategy_pages
    from northstar.strategy import routes as strategy_routes
    from northstar.web import pages as web_pages
    from northstar.workspace import pages as workspace_pages
    from northstar.workspace import routes as workspace_routes

    app.include_router(security_routes.router, prefix="/api/v1")
    app.include_router(org_routes.router, prefix="/api/v1")
    for api in (
        customers_routes,
        strategy_routes,
        journey_routes,
        indicators_routes,
        pools_routes,
        positions_routes,
        scorecards_routes,
        cascade_routes,
        workspace_routes,
        data_routes,
        cycles_routes,
        dashboards_routes,
    ):
        app.include_router(api.router, prefix="/api/v1")
    app.include_router(web_pages.api_router, prefix="/api/v1")
    app.include_router(security_pages.router)
    app.include_router(org_pages.router)
    for pages in (
        customers_pages,
        strategy_pages,
        journey_pages,
        indicators_pages,
        pools_pages,
        positions_pages,
        scorecards_pages,
        cascade_pages,
        workspace_pages,
        data_pages,
        cycles_pages,
        dashboards_pages,
    ):
        app.include_router(pages.router)
    app.include_router(web_pages.router)

    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

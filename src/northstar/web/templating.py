"""Jinja2 pages: one loader over every domain's templates, rendered in the request's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from northstar.security.models import Role
from northstar.web.deps import get_translator

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_DOMAINS = (
    "web",
    "security",
    "org",
    "customers",
    "strategy",
    "journey",
    "indicators",
    "pools",
    "positions",
    "scorecards",
    "workspace",
    "data",
    "cycles",
    "dashboards",
)


def _environment() -> Environment:
    loaders = [
        FileSystemLoader(PACKAGE_DIR / d / "templates")
        for d in _DOMAINS
        if (PACKAGE_DIR / d / "templates").is_dir()
    ]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


ENV = _environment()


def _nav(principal: Any, t: Any) -> list[dict[str, Any]]:
    """The main navigation; sections appear as their domains land and as the role allows."""
    if principal is None:
        return []
    items: list[dict[str, Any]] = [
        {"href": "/", "label": t.gettext("Home"), "key": "home"},
        {"href": "/dashboards", "label": t.gettext("Dashboards"), "key": "dashboards"},
        {"href": "/org/departments", "label": t.gettext("Organisation"), "key": "org"},
        {"href": "/org/employees", "label": t.gettext("People"), "key": "people"},
        {"href": "/value", "label": t.gettext("Customer value"), "key": "value"},
        {"href": "/scorecard", "label": t.gettext("Scorecards"), "key": "design"},
        {"href": "/scorecards/me", "label": t.gettext("My scorecard"), "key": "mine"},
        # everyone sees the computed actuals within their scope; employees not the sources and metrics
        {
            "href": "/data/actuals" if principal.role is Role.employee else "/data",
            "label": t.gettext("Data"),
            "key": "data",
        },
    ]
    if principal.role in (Role.admin, Role.hr, Role.auditor):
        items.append({"href": "/audit", "label": t.gettext("Audit log"), "key": "audit"})
    if principal.role is Role.admin:
        items.append({"href": "/admin/users", "label": t.gettext("Users"), "key": "users"})
        items.append({"href": "/admin/tokens", "label": t.gettext("API tokens"), "key": "tokens"})
    return items


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    active: str = "",
) -> HTMLResponse:
    """Render a page with the translator, the principal, the CSRF token and the navigation."""
    t = get_translator(request)
    principal = getattr(request.state, "principal", None)

    def url_with(**params: Any) -> str:
        query = dict(request.query_params)
        query.update({k: v for k, v in params.items() if v is not None})
        return f"{request.url.path}?{urlencode(query)}"

    ctx: dict[str, Any] = {
        "request": request,
        "t": t,
        "_": t.gettext,
        "locale": t.locale,
        "html_lang": "zh-CN" if t.locale == "zh_CN" else "en",
        "principal": principal,
        "csrf_token": getattr(request.state, "session_csrf", None) or "",
        "nav": _nav(principal, t),
        "active": active,
        "url_with": url_with,
        "Role": Role,
    }
    ctx.update(context or {})
    html = ENV.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)

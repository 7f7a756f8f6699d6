"""Request-scoped dependencies: the unit of work, the principal, CSRF, the translator."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from northstar.config import Settings
from northstar.errors import N_, Forbidden, NotAuthenticated
from northstar.security import service as security
from northstar.security.models import Role
from northstar.security.principal import Principal
from northstar.web.i18n import Translator, negotiate

SESSION_COOKIE = "ns_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def get_db(request: Request) -> Session:
    """The request's unit of work, opened and committed/rolled back by the app middleware."""
    db: Session = request.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _resolve(request: Request) -> Principal | None:
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    db = get_db(request)
    principal: Principal | None = None
    request.state.session_csrf = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = security.authenticate_token(db, auth[7:].strip())
        principal = security.principal_of(user, via_token=True)
    else:
        sess = security.find_session(db, request.cookies.get(SESSION_COOKIE, ""))
        if sess is not None:
            request.state.session_csrf = sess.csrf_token
            if sess.user is not None:
                principal = security.principal_of(sess.user, csrf_token=sess.csrf_token)
    request.state.principal = principal
    return principal


def optional_principal(request: Request) -> Principal | None:
    return _resolve(request)


def current_principal(request: Request) -> Principal:
    """The signed-in user or token account; 401 (or a redirect to the login page) otherwise."""
    principal = _resolve(request)
    if principal is None:
        raise NotAuthenticated(N_("Please sign in."))
    return principal


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request authenticated by cookie unless it carries the session's
    CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``). Bearer-token requests
    are exempt: a browser never attaches that header on its own."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    _resolve(request)
    expected = getattr(request.state, "session_csrf", None)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden(
            N_(
                "The form has expired or did not come from Northstar (CSRF check failed). "
                "Reload the page and try again."
            )
        )


def writer(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A principal allowed to change something at all (auditors are read-only)."""
    if principal.read_only:
        raise Forbidden(N_("Auditors have read-only access."))
    return principal


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles``; declared once per router or route."""

    def dep(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(*roles)
        return principal

    return dep


def get_translator(request: Request) -> Translator:
    """The request's language: user setting, then ?lang=, then Accept-Language."""
    if hasattr(request.state, "translator"):
        cached: Translator = request.state.translator
        return cached
    principal: Principal | None
    try:
        principal = _resolve(request)
    except NotAuthenticated:
        principal = None
    locale = negotiate(
        user_setting=principal.locale if principal else None,
        query=request.query_params.get("lang"),
        accept_language=request.headers.get("accept-language"),
        default=request.app.state.settings.default_locale,
    )
    translator = Translator(locale)
    request.state.translator = translator
    return translator


DB = Annotated[Session, Depends(get_db)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Writer = Annotated[Principal, Depends(writer)]
Tr = Annotated[Translator, Depends(get_translator)]
AppSettings = Annotated[Settings, Depends(get_settings)]

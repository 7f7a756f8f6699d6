"""Login, logout, language choice, and the admin pages for accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar.db import unit_of_work
from northstar.errors import N_, NorthstarError, TooManyRequests
from northstar.security import service
from northstar.security.models import Role, User
from northstar.security.principal import Principal
from northstar.web.deps import (
    DB,
    SESSION_COOKIE,
    AppSettings,
    CurrentPrincipal,
    Tr,
    optional_principal,
    require_roles,
)
from northstar.web.i18n import SUPPORTED, normalise
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


def _safe_next(target: str | None) -> str:
    # Only local paths: an attacker's link must not bounce a fresh login to another site.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _set_cookie(response: Response, token: str, request: Request) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
        path="/",
    )


@router.get("/login")
def login_page(request: Request, db: DB, settings: AppSettings, next: str | None = None) -> Response:
    principal = optional_principal(request)
    if principal is not None and not principal.via_token:
        return RedirectResponse(_safe_next(next), status_code=303)
    new_cookie = None
    if not request.state.session_csrf:
        anon = service.start_session(db, settings, user=None)
        request.state.session_csrf = anon.csrf_token
        new_cookie = anon.token
    response = render(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})
    if new_cookie:
        _set_cookie(response, new_cookie, request)
    return response


@router.post("/login")
def login(
    request: Request,
    db: DB,
    settings: AppSettings,
    t: Tr,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    ip = request.client.host if request.client else "unknown"
    try:
        service.check_rate_limit(db, settings, username=username, ip=ip)
        user = service.authenticate(db, username=username, password=password)
    except NorthstarError as exc:
        if not isinstance(exc, TooManyRequests):
            # The failure must be remembered although this request's transaction rolls back
            # (its answer is an error), so it is written in a transaction of its own.
            with unit_of_work(request.app.state.session_factory) as own:
                service.record_attempt(own, username=username, ip=ip, success=False)
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "username": username, "error": t.gettext(exc.message, **exc.params)},
            status_code=exc.status,
        )
    service.record_attempt(db, username=username, ip=ip, success=True)
    # Session fixation defence: whatever session the browser came with is dropped and the
    # signed-in session gets a new id.
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        service.end_session(db, old)
    new = service.start_session(db, settings, user=user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_cookie(response, new.token, request)
    return response


@router.post("/logout")
def logout(request: Request, db: DB) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/language")
def set_language(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    locale: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    chosen = normalise(locale)
    service.set_locale(db, principal, chosen if chosen in SUPPORTED else None)
    return RedirectResponse(_safe_next(next), status_code=303)


def _users_page(request: Request, db: Session, *, created: User | None = None) -> Response:
    context = {"users": service.get_all_users(db), "roles": list(Role), "created": created}
    return render(request, "users.html", context, active="users")


@router.get("/admin/users")
def users_page(request: Request, db: DB, principal: Admin) -> Response:
    return _users_page(request, db)


@router.post("/admin/users")
def users_create(
    request: Request,
    db: DB,
    principal: Admin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form()] = "",
    employee_number: Annotated[str, Form()] = "",
) -> Response:
    user = service.create_user(
        db,
        principal.actor,
        username=username,
        role=role,
        password=password,
        display_name=display_name,
        employee_number=employee_number or None,
    )
    return _users_page(request, db, created=user)


@router.post("/admin/users/{user_id}/active")
def users_toggle(
    user_id: int,
    db: DB,
    principal: Admin,
    active: Annotated[bool, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    user = service.get_user(db, user_id=user_id)
    if user.id == principal.user_id and not active:
        raise NorthstarError(N_("You cannot deactivate your own account."))
    service.update_user(db, principal.actor, user, is_active=active, reason=reason or None)
    return RedirectResponse("/admin/users", status_code=303)


def _tokens_page(request: Request, db: Session, *, secret: str | None = None) -> Response:
    """The token list; right after creation it also shows the secret, once."""
    context = {
        "tokens": service.get_all_tokens(db),
        "roles": list(Role),
        "users": service.get_all_users(db),
        "secret": secret,
    }
    return render(request, "tokens.html", context, active="tokens")


@router.get("/admin/tokens")
def tokens_page(request: Request, db: DB, principal: Admin) -> Response:
    return _tokens_page(request, db)


@router.post("/admin/tokens")
def tokens_create(
    request: Request,
    db: DB,
    principal: Admin,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
) -> Response:
    _row, secret = service.create_token(
        db,
        principal.actor,
        name=name,
        role=Role(role) if role else None,
        user_id=int(user_id) if user_id else None,
    )
    return _tokens_page(request, db, secret=secret)


@router.post("/admin/tokens/{token_id}/revoke")
def tokens_revoke(token_id: int, db: DB, principal: Admin) -> Response:
    service.revoke_token(db, principal.actor, token_id=token_id)
    return RedirectResponse("/admin/tokens", status_code=303)

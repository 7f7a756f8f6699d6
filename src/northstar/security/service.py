"""Accounts: users, login with rate limit, server-side sessions, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.audit import Actor
from northstar.config import Settings
from northstar.db import utcnow
from northstar.errors import N_, Conflict, NotAuthenticated, NotFound, TooManyRequests, ValidationFailed
from northstar.org.models import Employee
from northstar.security.models import ApiToken, LoginAttempt, Role, User, UserSession
from northstar.security.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from northstar.security.principal import Principal

TOKEN_PREFIX = "nst_"  # noqa: S105 - the public prefix that marks Northstar tokens in logs and scanners


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def principal_of(user: User, *, via_token: bool = False, csrf_token: str | None = None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        role=user.role,
        employee_id=user.employee_id,
        locale=user.locale,
        via_token=via_token,
        csrf_token=csrf_token,
    )


# --- users -------------------------------------------------------------------------------


def get_user(db: Session, *, user_id: int) -> User:
    """One user by id."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(N_("No user with id {id}."), id=user_id)
    return user


def get_all_users(db: Session) -> list[User]:
    """Every account, people first, then service accounts."""
    return list(db.scalars(select(User).order_by(User.is_service, User.username)))


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(N_("The password must have at least {n} characters."), n=MIN_LENGTH)


def create_user(
    db: Session,
    actor: Actor,
    *,
    username: str,
    role: Role,
    password: str | None,
    display_name: str = "",
    employee_number: str | None = None,
    locale: str | None = None,
    is_service: bool = False,
) -> User:
    """Create an account; a person's needs a password, a service account has none."""
    username = username.strip()
    if not username:
        raise ValidationFailed(N_("The username is empty: enter a login name."))
    if db.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(N_("The username {username} is taken: choose another."), username=username)
    employee_id = None
    if employee_number:
        employee_id = db.scalar(select(Employee.id).where(Employee.number == employee_number))
        if employee_id is None:
            raise ValidationFailed(
                N_("No employee has the number {number}: check the number or import the employee first."),
                number=employee_number,
            )
        if db.scalar(select(User.id).where(User.employee_id == employee_id)):
            raise Conflict(N_("Employee {number} already has an account."), number=employee_number)
    if not is_service:
        if password is None:
            raise ValidationFailed(N_("A person's account needs a password."))
        _check_password(password)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password) if password else None,
        employee_id=employee_id,
        locale=locale,
        is_service=is_service,
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor,
        action="create",
        entity="user",
        entity_id=user.id,
        changes={"username": (None, username), "role": (None, role), "employee": (None, employee_number)},
    )
    return user


def update_user(
    db: Session,
    actor: Actor,
    user: User,
    *,
    role: Role | None = None,
    is_active: bool | None = None,
    password: str | None = None,
    reason: str | None = None,
) -> User:
    """Change an account's role, activity or password; deactivation ends its sessions."""
    changes: dict[str, tuple[object, object]] = {}
    if role is not None and role != user.role:
        changes["role"] = (user.role, role)
        user.role = role
    if is_active is not None and is_active != user.is_active:
        changes["is_active"] = (user.is_active, is_active)
        user.is_active = is_active
        if not is_active:
            db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    if password:
        _check_password(password)
        user.password_hash = hash_password(password)
        changes["password"] = ("***", "*** (changed)")
        db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.flush()
    audit.record(db, actor, action="update", entity="user", entity_id=user.id, changes=changes, reason=reason)
    return user


def set_locale(db: Session, principal: Principal, locale: str | None) -> None:
    """Remember the user's language (None: follow the browser)."""
    if principal.user_id is None:
        raise ValidationFailed(N_("The system account has no language setting."))
    user = get_user(db, user_id=principal.user_id)
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="user",
        entity_id=user.id,
        changes={"locale": (user.locale, locale)},
    )
    user.locale = locale
    db.flush()


# --- login, rate limit, sessions ------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str


def _recent_failures(db: Session, settings: Settings, *, username: str, ip: str) -> int:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    by_name = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.username == username.lower(),
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= since,
        )
    )
    by_ip = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )
    # An address gets more room than one account, since an office may share one NAT address.
    return max(by_name or 0, (by_ip or 0) // 4)


def check_rate_limit(db: Session, settings: Settings, *, username: str, ip: str) -> None:
    """Refuse a login attempt when this account or address failed too often recently."""
    if _recent_failures(db, settings, username=username, ip=ip) >= settings.login_max_failures:
        raise TooManyRequests(
            N_(
                "Too many failed sign-ins. Wait {minutes} minutes, or ask an administrator to reset your password."
            ),
            minutes=settings.login_window_minutes,
        )


def record_attempt(db: Session, *, username: str, ip: str, success: bool) -> None:
    db.add(LoginAttempt(username=username.lower(), ip=ip, success=success))
    db.flush()


def authenticate(db: Session, *, username: str, password: str) -> User:
    """The active person whose username and password match; one message for every failure."""
    user = db.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active or user.is_service:
        raise NotAuthenticated(N_("Wrong username or password."))
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(db: Session, settings: Settings, *, user: User | None) -> NewSession:
    """A new session with a fresh id and CSRF token (for a user, or anonymous for the login form)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    db.add(
        UserSession(
            token_hash=_sha256(token),
            user_id=user.id if user else None,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(hours=settings.session_hours),
        )
    )
    db.flush()
    return NewSession(token=token, csrf_token=csrf)


def find_session(db: Session, token: str) -> UserSession | None:
    """The live session for a cookie value, or None if unknown or expired."""
    if not token:
        return None
    sess = db.scalar(select(UserSession).where(UserSession.token_hash == _sha256(token)))
    if sess is None or sess.expires_at < utcnow():
        return None
    if sess.user is not None and not sess.user.is_active:
        return None
    return sess


def end_session(db: Session, token: str) -> None:
    """Invalidate a session: the cookie value is worthless afterwards."""
    db.execute(delete(UserSession).where(UserSession.token_hash == _sha256(token)))
    db.flush()


# --- API tokens -----------------------------------------------------------------------------


def create_token(
    db: Session,
    actor: Actor,
    *,
    name: str,
    role: Role | None = None,
    user_id: int | None = None,
) -> tuple[ApiToken, str]:
    """A token acting as an existing account, or as a new service account with ``role``.

    Returns the row and the secret, which is shown once and never stored in clear.
    """
    name = name.strip()
    if not name:
        raise ValidationFailed(N_("Give the token a name that says which system uses it."))
    if user_id is not None:
        user = get_user(db, user_id=user_id)
    elif role is not None:
        base = "svc-" + "".join(c if c.isalnum() else "-" for c in name.lower())[:40]
        username, n = base, 1
        while db.scalar(select(User.id).where(User.username == username)):
            n += 1
            username = f"{base}-{n}"
        user = create_user(
            db, actor, username=username, role=role, password=None, display_name=name, is_service=True
        )
    else:
        raise ValidationFailed(N_("Choose a role or an account for the token."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name, prefix=secret[:10], token_hash=_sha256(secret), user_id=user.id, created_by_id=actor.id
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        action="create",
        entity="api_token",
        entity_id=row.id,
        changes={"name": (None, name), "account": (None, user.username), "role": (None, user.role)},
    )
    return row, secret


def get_all_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_token(db: Session, actor: Actor, *, token_id: int, reason: str | None = None) -> ApiToken:
    """Revoke a token: from now on it authenticates nothing."""
    row = db.get(ApiToken, token_id)
    if row is None:
        raise NotFound(N_("No API token with id {id}."), id=token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.flush()
        audit.record(
            db,
            actor,
            action="revoke",
            entity="api_token",
            entity_id=row.id,
            changes={"revoked_at": (None, row.revoked_at)},
            reason=reason,
        )
    return row


def authenticate_token(db: Session, secret: str) -> User:
    """The account behind a bearer token; refused when unknown, revoked or deactivated."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(secret)))
    if row is None or row.revoked_at is not None or not row.user.is_active:
        raise NotAuthenticated(N_("The API token is unknown or revoked."))
    now = utcnow()
    # Writing on every call would serialise all API traffic on one row; a minute is precise enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row.user

"""JSON API for the current user, accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from northstar.security import service
from northstar.security.models import ApiToken, Role, User
from northstar.security.principal import Principal
from northstar.security.schemas import MeOut, TokenCreated, TokenIn, TokenOut, UserIn, UserOut
from northstar.web.deps import DB, CurrentPrincipal, require_roles

router = APIRouter(tags=["accounts"])
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


def user_out(u: User) -> UserOut:
    return UserOut(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        employee_number=u.employee.number if u.employee else None,
        is_active=u.is_active,
        is_service=u.is_service,
    )


def token_out(t: ApiToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        name=t.name,
        prefix=t.prefix,
        username=t.user.username,
        role=t.user.role,
        created_at=t.created_at,
        last_used_at=t.last_used_at,
        revoked_at=t.revoked_at,
    )


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal) -> MeOut:
    """Who the caller is: account, role and employee link."""
    return MeOut(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        employee_id=principal.employee_id,
        locale=principal.locale,
        via_token=principal.via_token,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(db: DB, principal: Admin) -> list[UserOut]:
    """Every account (admin only)."""
    return [user_out(u) for u in service.get_all_users(db)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, db: DB, principal: Admin) -> UserOut:
    """Create a person's account (admin only)."""
    return user_out(
        service.create_user(
            db,
            principal.actor,
            username=body.username,
            role=body.role,
            password=body.password,
            display_name=body.display_name,
            employee_number=body.employee_number,
            locale=body.locale,
        )
    )


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(db: DB, principal: Admin) -> list[TokenOut]:
    """Every API token, without secrets (admin only)."""
    return [token_out(t) for t in service.get_all_tokens(db)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, db: DB, principal: Admin) -> TokenCreated:
    """Create a token for a role (as a new service account) or for an existing account. The
    secret is in this answer only."""
    row, secret = service.create_token(
        db, principal.actor, name=body.name, role=body.role, user_id=body.user_id
    )
    return TokenCreated(**token_out(row).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, db: DB, principal: Admin) -> TokenOut:
    """Revoke a token; it stops working at once."""
    return token_out(service.revoke_token(db, principal.actor, token_id=token_id))

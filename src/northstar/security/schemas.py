"""JSON in/out for accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from northstar.security.models import Role


class MeOut(BaseModel):
    username: str
    display_name: str
    role: Role
    employee_id: int | None
    locale: str | None
    via_token: bool


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=10, max_length=200)
    role: Role
    display_name: str = ""
    employee_number: str | None = None
    locale: str | None = None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    employee_number: str | None
    is_active: bool
    is_service: bool


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    role: Role | None = None
    user_id: int | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    username: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    #: shown once; only its hash is stored
    token: str

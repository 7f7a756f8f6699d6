"""Who is asking: the authenticated user with role and employee link, as every service sees it."""

from __future__ import annotations

from dataclasses import dataclass

from northstar.audit import Actor
from northstar.errors import N_, Forbidden
from northstar.security.models import Role

#: roles that may change the organisation and read every personal record
HR_ROLES = frozenset({Role.admin, Role.hr})
#: roles that design the customer value system: strategy, customers, journey, processes
DESIGN_ROLES = frozenset({Role.admin, Role.hr, Role.executive})
#: roles that see every record
ALL_SCOPE_ROLES = frozenset({Role.admin, Role.hr, Role.executive, Role.auditor})


@dataclass(frozen=True)
class Principal:
    #: None for the system itself (CLI, demo loader)
    user_id: int | None
    username: str
    display_name: str
    role: Role
    employee_id: int | None
    locale: str | None = None
    via_token: bool = False
    csrf_token: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(id=self.user_id, name=self.username)

    @property
    def read_only(self) -> bool:
        return self.role is Role.auditor

    def require(self, *roles: Role) -> None:
        """Refuse unless the principal holds one of ``roles`` (auditors never write)."""
        if self.role not in roles:
            raise Forbidden(N_("Your role ({role}) may not do this."), role=self.role.value)


#: the system acting on its own behalf: CLI commands and the demo loader
SYSTEM_PRINCIPAL = Principal(
    user_id=None, username="system", display_name="system", role=Role.admin, employee_id=None
)

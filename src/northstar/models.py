"""Every ORM model module, imported once so that the metadata is complete (Alembic, tests)."""

from northstar import audit
from northstar.org import models as org
from northstar.security import models as security

ALL = (audit, org, security)

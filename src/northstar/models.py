"""Every ORM model module, imported once so that the metadata is complete (Alembic, tests)."""

from northstar import audit
from northstar.customers import models as customers
from northstar.cycles import models as cycles
from northstar.data import models as data
from northstar.indicators import models as indicators
from northstar.journey import models as journey
from northstar.org import models as org
from northstar.pools import models as pools
from northstar.positions import models as positions
from northstar.scorecards import models as scorecards
from northstar.security import models as security
from northstar.strategy import models as strategy

ALL = (
    audit,
    org,
    security,
    customers,
    strategy,
    journey,
    indicators,
    pools,
    positions,
    scorecards,
    data,
    cycles,
)

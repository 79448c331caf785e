"""Fill the lab with its simulated organisation: deterministic for a seed, safe to re-run.

Re-seeding replaces the organisation (identities, groups, keys, grants, sessions, events)
and leaves every other table alone, including lab_credentials: those belong to the broker's
live tasks, not to the organisation.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from tools.providers.lab.models import PERSON, SEEDED_TABLES
from tools.providers.lab.seed_builder import LabBuilder, LabRows
from tools.providers.lab.seed_org import add_organisation
from tools.providers.lab.seed_scenario import add_scenarios
from tools.shared import session_scope, utcnow


@dataclass(frozen=True)
class SeedSummary:
    seed: int
    people: int
    service_accounts: int
    groups: int
    memberships: int
    access_keys: int
    oauth_grants: int
    sessions: int
    auth_events: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def build_lab(seed: int, now: datetime) -> LabRows:
    builder = LabBuilder(random.Random(seed), now)
    add_organisation(builder)
    add_scenarios(builder)
    builder.stamp_last_logins()
    return builder.rows


def seed_lab(engine: Engine, *, seed: int = 7, now: datetime | None = None) -> SeedSummary:
    """Replace the lab organisation with the one `seed` builds; times are relative to `now`."""
    rows = build_lab(seed, now or utcnow())
    with session_scope(engine) as session:
        for table in SEEDED_TABLES:
            session.execute(delete(table))
        for batch in rows.in_insert_batches():
            session.add_all(batch)
            session.flush()
    return summarise(seed, rows)


def summarise(seed: int, rows: LabRows) -> SeedSummary:
    people = sum(1 for identity in rows.identities if identity.kind == PERSON)
    return SeedSummary(
        seed=seed,
        people=people,
        service_accounts=len(rows.identities) - people,
        groups=len(rows.groups),
        memberships=len(rows.memberships),
        access_keys=len(rows.keys),
        oauth_grants=len(rows.grants),
        sessions=len(rows.sessions),
        auth_events=len(rows.events),
    )

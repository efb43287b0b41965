"""Is this app server fit to take requests? For a reverse proxy or a load balancer in front
of several app servers (issue 17): `/healthz` asks `Health.check`, which reads one record
through the store, so a server whose database is unreachable is taken out of the rotation
instead of answering with error screens. It reads no patient data and says nothing about
what the store holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.store.interfaces import RecordStore

log = logging.getLogger(__name__)

PROBE_KIND = "health_probe"  # never saved: reading a record that is not there is the probe
PROBE_ID = "probe"


@dataclass(frozen=True)
class HealthReport:
    ok: bool
    why: str  # "" when ok; a short operator's phrase otherwise, never data


class Health:
    def __init__(self, store: RecordStore) -> None:
        self._store = store

    def check(self) -> HealthReport:
        """One round trip through the store (a query on PostgreSQL, memory for the journal);
        any failure there means this server cannot serve."""
        try:
            self._store.latest(PROBE_KIND, PROBE_ID)
        except Exception as failure:  # whatever the store raises, it is down
            log.warning("health check: the store did not answer (%s)", type(failure).__name__)
            return HealthReport(False, "the store did not answer")
        return HealthReport(True, "")

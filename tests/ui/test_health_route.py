"""`/healthz` for the reverse proxy: 200 while the store answers, 503 when it does not,
every other path untouched (issue 17)."""

from __future__ import annotations

from app.services.health import Health
from app.store.memory import MemoryStore
from app.ui.health_route import with_health
from tests.ui.test_web import Client, flet_stand_in


def test_a_store_that_answers_is_healthy() -> None:
    client = Client(with_health(flet_stand_in, Health(MemoryStore())))
    answer = client.get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok\n")
    assert answer.headers["cache-control"] == "no-store"
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert client.get("/today").text == "flet:/today"


def test_a_store_that_cannot_answer_is_reported_unavailable() -> None:
    """The check says 503 instead of raising into the server (a real unreachable
    PostgreSQL is checked in tests/e2e/test_two_servers.py)."""

    class Broken(MemoryStore):
        def latest(self, kind: str, record_id: str) -> None:
            raise OSError("the database went away")

    answer = Client(with_health(flet_stand_in, Health(Broken()))).get("/healthz")
    assert answer.status_code == 503
    assert answer.text == "unavailable: the store did not answer\n"

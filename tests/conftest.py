"""Shared fixtures: a controllable clock and the whole service layer over an in-memory
store, built through the composition root exactly as the app builds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.main import Services, build_services
from app.settings import Settings
from app.store.memory import MemoryStore
from tests.postgres import PostgresServer

# Cheap Argon2 so the suite stays quick; the algorithm (argon2id) is the same.
FAST_SETTINGS = Settings(argon2_memory_kib=1024, argon2_time_cost=1)
START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def services(clock: FakeClock) -> Iterator[Services]:
    built = build_services(FAST_SETTINGS, MemoryStore(), clock=clock)
    yield built
    built.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL cluster for the whole run, started the first time a test asks
    (tests/postgres.py): the PostgreSQL store's tests never run against a mock."""
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the test cluster: its postgresql:// URL."""
    return postgres_server.fresh_database()

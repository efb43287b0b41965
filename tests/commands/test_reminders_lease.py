"""`reminders run-due` beside app servers on the same PostgreSQL database (issue 17): it
runs only when no server holds the delivery lease, so cron and a server's scheduler
never send the same pending email twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from app.commands.reminders import BUSY, run
from app.services.delivery import LEASE_NAME
from app.store.postgres.schema import apply_migrations
from app.store.postgres.shared_state import PostgresSharedState


def test_run_due_waits_its_turn_behind_a_server(pg_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        apply_migrations(conn)
    monkeypatch.setenv("BACKTRACK_DATABASE_URL", pg_url)
    server = PostgresSharedState(pg_url)
    try:
        assert server.try_lease(LEASE_NAME, "an app server", timedelta(seconds=60),
                                datetime.now(UTC))
        assert run(["run-due", "--data-dir", str(tmp_path)]) == 0
        assert capsys.readouterr().out.strip() == BUSY
        server.release_lease(LEASE_NAME, "an app server")
        assert run(["run-due", "--data-dir", str(tmp_path)]) == 0
        assert capsys.readouterr().out.startswith("delivered 0 (in_app 0, email 0)")
    finally:
        server.close()

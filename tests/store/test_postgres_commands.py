"""The command line with the PostgreSQL store, run as an operator runs it (`python -m app
...` in a subprocess): --database-url on the subcommands, backup/restore/export/import on
a database, migrate-store both ways (exactly: every version in its order), refusals that
write nothing, and a database that cannot be reached in one line without its password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import paths
from app import settings as settings_module
from app.main import open_store
from app.store.backup import _load_backup, backup
from app.store.interfaces import Record, StoreError
from app.store.journal import JournalStore
from app.store.postgres import PostgresStore
from tests.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[2]


def app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1",
           **(env or {})}
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def _in_database(url: str) -> list[Record]:
    with PostgresStore.open(url) as store:
        return [record for _, record in store.every_version()]


def _in_folder(data: Path, tmp: Path) -> list[Record]:
    """Every version of a data folder's store in seq order (read through a backup)."""
    zipped = backup(paths.store_dir(data), tmp / f"look-{data.name}.zip")
    return [record for _, record in _load_backup(zipped)[1].records]


@pytest.mark.slow  # seeds the demo clinic and runs eight subcommands
def test_subcommands_work_on_a_database(postgres_server: PostgresServer, pg_url: str,
                                        tmp_path: Path) -> None:
    unused = tmp_path / "folder"
    seeded = app("seed-demo", "--database-url", pg_url, "--data-dir", str(unused))
    assert seeded.returncode == 0, seeded.stderr
    assert not paths.store_dir(unused).exists()  # the records went to the database
    exported = tmp_path / "alex.json"
    done = app("export", "--patient", "alex@example.com", "--out", str(exported),
               "--database-url", pg_url)
    assert done.returncode == 0, done.stderr
    records = json.loads(exported.read_text())["records"]
    assert records

    backup_file = tmp_path / "db.zip"
    done = app("backup", "--out", str(backup_file), "--database-url", pg_url)
    assert done.returncode == 0, done.stderr
    other = postgres_server.fresh_database()
    done = app("restore", str(backup_file), "--database-url", other)
    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout
    assert _in_database(other) == _in_database(pg_url)

    again = app("restore", str(backup_file), "--database-url", other)
    assert again.returncode == 1 and "already holds" in again.stderr
    assert len(_in_database(other)) == len(_in_database(pg_url))  # nothing written

    third = postgres_server.fresh_database()
    done = app("import", str(exported), env={"BACKTRACK_DATABASE_URL": third})
    assert done.returncode == 0, done.stderr
    assert f"Imported {len(records)} entries" in done.stdout
    back = tmp_path / "back.json"
    done = app("export", "--patient", "alex@example.com", "--out", str(back),
               env={"BACKTRACK_DATABASE_URL": third})
    assert done.returncode == 0, done.stderr
    assert json.loads(back.read_text())["records"] == records


def _varied_journal(data: Path) -> None:
    """A folder store with what a copy must carry: corrections, a tombstone, clinic-level
    records, imported versions with their own saved_at, an erased patient."""
    with JournalStore.open(paths.store_dir(data)) as store:
        store.save("account", "u1", {"email": "a@example.com"}, expected_version=0)
        store.save("pain_entry", "e1", {"nrs": 6, "ratio": 0.5}, owner="p1")
        store.save("pain_entry", "e2", {"nrs": 2, "tags": ["a", "b"]}, owner="p2")
        store.save("pain_entry", "e1", {"nrs": 4, "ratio": 0.25}, owner="p1")
        store.save("pain_entry", "e2", {}, owner="p2", deleted=True)
        store.import_versions([
            Record("pain_entry", "old", 2, {"nrs": 1}, owner="p3",
                   saved_at="2024-01-02T00:00:00+00:00"),
            Record("pain_entry", "old", 1, {"nrs": 3}, owner="p3",
                   saved_at="2024-01-01T00:00:00+00:00"),
        ])
        store.save("session", "s9", {"n": 1}, owner="p9")
        store.purge_owner("p9")
        store.save("clinic", "c", {"name": "Physio"})
        # A record whose latest version names another owner (the contract allows it): a
        # copy must carry it as it is, not refuse it as an import would.
        store.save("referral", "moved", {"to": "p1"}, owner="p1")
        store.save("referral", "moved", {"to": "p2"}, owner="p2")


def test_migrate_store_to_a_database_and_back_is_exact(postgres_server: PostgresServer,
                                                       pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "source"
    _varied_journal(source)
    original = _in_folder(source, tmp_path)
    assert len(original) == 10

    done = app("migrate-store", "--data-dir", str(source), "--to", pg_url)
    assert done.returncode == 0, done.stderr
    assert "Copied 10 versions of 6 records" in done.stdout
    assert _in_database(pg_url) == original  # every version, in the same order

    back = tmp_path / "back"
    done = app("migrate-store", "--data-dir", str(back), "--from", pg_url)
    assert done.returncode == 0, done.stderr
    assert _in_folder(back, tmp_path) == original
    with JournalStore.open(paths.store_dir(back)) as store:
        assert store.latest("pain_entry", "old") == original[5]  # version 1 came second
        assert [r.version for r in store.history("pain_entry", "old")] == [1, 2]


def test_migrate_store_refuses_a_target_that_holds_records(postgres_server: PostgresServer,
                                                           pg_url: str,
                                                           tmp_path: Path) -> None:
    source = tmp_path / "source"
    _varied_journal(source)
    with PostgresStore.open(pg_url) as store:
        store.save("note", "n", {"text": "already here"})
    before = _in_database(pg_url)
    done = app("migrate-store", "--data-dir", str(source), "--to", pg_url)
    assert done.returncode == 1
    assert "already holds 1 versions" in done.stderr and "Nothing was written" in done.stderr
    assert _in_database(pg_url) == before

    files = {p.name: p.read_bytes() for p in paths.store_dir(source).iterdir()}
    done = app("migrate-store", "--data-dir", str(source), "--from", pg_url)
    assert done.returncode == 1
    assert "already holds records" in done.stderr and "Nothing was written" in done.stderr
    assert {p.name: p.read_bytes() for p in paths.store_dir(source).iterdir()} == files

    empty = tmp_path / "empty"
    done = app("migrate-store", "--data-dir", str(empty), "--to", pg_url)
    assert done.returncode == 1 and "no records" in done.stderr


def test_migrate_store_refuses_a_folder_a_running_backtrack_serves(
        pg_url: str, tmp_path: Path) -> None:
    """Saves made there after the copy's moment would be lost to the database."""
    source = tmp_path / "source"
    _varied_journal(source)
    with JournalStore.open(paths.store_dir(source)):  # a server on the folder
        done = app("migrate-store", "--data-dir", str(source), "--to", pg_url)
    assert done.returncode == 1
    assert "already open in another BackTrack process" in done.stderr
    with PostgresStore.open(pg_url) as store:
        assert store.stats()["versions"] == 0


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://clinic:pa55-w0rd@127.0.0.1:1/backtrack"
    for args in (["seed-demo", "--database-url", url], ["backup", "--database-url", url],
                 ["migrate-store", "--data-dir", str(tmp_path), "--from", url]):
        done = app(*args)
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(
            "BackTrack: Cannot reach the database at 127.0.0.1:1/backtrack: "), done.stderr
        assert done.stderr.count("\n") == 1 and "pa55-w0rd" not in done.stderr
    wrong = app("seed-demo", "--database-url", "mysql://db/backtrack")
    assert wrong.returncode == 2 and "postgresql://user@host:5432/backtrack" in wrong.stderr


def test_the_settings_choose_the_store(pg_url: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path))
    monkeypatch.delenv("BACKTRACK_DATABASE_URL", raising=False)
    journal = open_store(settings_module.from_environment())
    assert isinstance(journal, JournalStore)
    journal.close()
    monkeypatch.setenv("BACKTRACK_DATABASE_URL", pg_url)
    settings = settings_module.from_environment()
    assert settings.database_url == pg_url
    chosen = open_store(settings)
    assert isinstance(chosen, PostgresStore)
    chosen.close()
    monkeypatch.setenv("BACKTRACK_DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(ValueError, match="BACKTRACK_DATABASE_URL must be a database address"):
        settings_module.from_environment()


@pytest.mark.parametrize("argv", [
    ["--database-url", "postgresql://db.example/backtrack", "seed-demo"],
    ["seed-demo", "--database-url", "postgresql://db.example/backtrack"],
    ["--database-url", "postgresql://db.example/backtrack"],
])
def test_the_database_is_taken_before_or_after_the_subcommand(argv: list[str]) -> None:
    """Before the subcommand it once went missing (the subcommand's own copy of the option
    reset it), and the data folder would have been opened instead of the database."""
    from app.__main__ import _parser

    args = _parser().parse_args(argv)
    assert args.database_url == "postgresql://db.example/backtrack"


def test_a_restore_streamed_from_a_changed_backup_writes_nothing(
        postgres_server: PostgresServer, pg_url: str, tmp_path: Path) -> None:
    """The restore reads the zip as it loads (bounded memory), so the snapshot's sha256 is
    known only at its end: a changed byte there still rolls the whole load back."""
    import zipfile

    from app.store.backup import MANIFEST_NAME, SNAPSHOT_NAME
    from app.store.postgres.backup import restore_database

    source = tmp_path / "source"
    _varied_journal(source)
    good = backup(paths.store_dir(source), tmp_path / "good.zip")
    with zipfile.ZipFile(good) as archive:
        manifest = archive.read(MANIFEST_NAME)
        body = archive.read(SNAPSHOT_NAME)
    assert b'"name":"Physio"' in body
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(changed, "w") as archive:
        archive.writestr(SNAPSHOT_NAME, body.replace(b'"name":"Physio"', b'"name":"Physia"'))
        archive.writestr(MANIFEST_NAME, manifest)
    with PostgresStore.open(pg_url) as store:
        with pytest.raises(StoreError, match="does not match its checksum"):
            restore_database(changed, store)
        assert store.stats()["versions"] == 0
        assert restore_database(good, store).versions == 10  # the good one goes in whole

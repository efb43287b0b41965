"""The command line, run as a user runs it: `python -m app …` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def app(*args: str, data: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1"}
    return subprocess.run([sys.executable, "-m", "app", *args, "--data-dir", str(data)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          input=stdin)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    done = app("seed-demo", data=data)
    assert done.returncode == 0, done.stderr
    assert "Demo clinic created" in done.stdout
    return data


def test_seed_demo_refuses_a_store_that_has_accounts(demo: Path) -> None:
    again = app("seed-demo", data=demo)
    assert again.returncode == 1
    assert "already has accounts" in again.stdout


def test_export_then_import_into_an_empty_store(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "alex.json"
    done = app("export", "--patient", "alex@example.com", "--format", "json", "--out",
               str(out), data=demo)
    assert done.returncode == 0, done.stderr
    exported = json.loads(out.read_text())
    assert exported["patient"]["email"] == "alex@example.com"
    kinds = {r["kind"] for r in exported["records"]}
    assert {"check_in", "needling_session", "soreness", "psfs_activity"} <= kinds

    empty = tmp_path / "empty"
    imported = app("import", str(out), data=empty)
    assert imported.returncode == 0, imported.stderr
    assert f"Imported {len(exported['records'])} entries" in imported.stdout
    again = app("export", "--patient", "alex@example.com", "--format", "json", "--out",
                str(tmp_path / "again.json"), data=empty)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "again.json").read_text())["records"] == exported["records"]
    # The export carried no password: the import says how to set one.
    assert "alex@example.com has no password yet: python -m app set-password" in \
        imported.stdout
    short = app("set-password", "alex@example.com", data=empty, stdin="short\n")
    assert short.returncode == 2 and "at least" in short.stderr
    done = app("set-password", "alex@example.com", data=empty, stdin="a-new-password\n")
    assert done.returncode == 0, done.stderr
    assert "Password set for alex@example.com." in done.stdout
    unknown = app("set-password", "nobody@example.com", data=empty, stdin="long-enough\n")
    assert unknown.returncode == 2 and "nobody@example.com" in unknown.stderr


def test_import_of_a_foreign_file_is_refused(demo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    done = app("import", str(bad), data=tmp_path / "store")
    assert done.returncode == 2
    assert "not a BackTrack patient export" in done.stderr


def test_backup_and_restore_round_trip(demo: Path, tmp_path: Path) -> None:
    backup_file = tmp_path / "b.zip"
    done = app("backup", "--out", str(backup_file), data=demo)
    assert done.returncode == 0, done.stderr
    target = tmp_path / "restored"
    restored = app("restore", str(backup_file), data=target)
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout
    check = app("export", "--patient", "casey@example.com", "--format", "json", "--out",
                str(tmp_path / "casey.json"), data=target)
    assert check.returncode == 0, check.stderr


def test_a_corrupt_store_stops_with_a_message_naming_the_file(demo: Path,
                                                               tmp_path: Path) -> None:
    data = tmp_path / "corrupt"
    (data / "store").mkdir(parents=True)
    snapshot = (demo / "store" / "records.snapshot.json").read_bytes()
    broken = data / "store" / "records.snapshot.json"
    broken.write_bytes(snapshot[: len(snapshot) // 2])  # a half-written file
    before = broken.read_bytes()
    done = app("seed-demo", data=data)
    assert done.returncode == 1
    assert "records.snapshot.json" in done.stderr
    assert "restore" in done.stderr
    assert broken.read_bytes() == before  # never overwritten


def test_add_account_lets_a_new_clinic_start_without_the_demo(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    done = app("add-account", "sam@clinic.example", "--name", "Sam Admin", "--role", "admin",
               data=data, stdin="a-long-password\n")
    assert done.returncode == 0, done.stderr
    assert "Clinic admin account created for sam@clinic.example." in done.stdout
    again = app("add-account", "sam@clinic.example", "--name", "Sam", "--role", "admin",
                data=data, stdin="a-long-password\n")
    assert again.returncode == 2 and "already exists" in again.stderr
    short = app("add-account", "pat@clinic.example", "--name", "Pat", "--role", "patient",
                data=data, stdin="short\n")
    assert short.returncode == 2 and "at least" in short.stderr
    zone = app("add-account", "kim@clinic.example", "--name", "Kim", "--role", "therapist",
               "--timezone", "Mars/Olympus", data=data, stdin="a-long-password\n")
    assert zone.returncode == 2
    assert app("seed-demo", data=data).returncode == 1  # the store has accounts now


def one_line_refusal(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("BackTrack: ")
    return lines[0]


@pytest.mark.parametrize(("content", "says"), [
    (None, "There is no file"),
    (b"\xff\xfe{\x00", "not UTF-8"),
    (b"[" * 1000 + b"]" * 1000, "nested"),
    (b"this is a spreadsheet", "not JSON"),
    (b'{"format": 1e5000}', "not a BackTrack"),
    (b'{"records": ' + b"9" * 5000 + b"}", "digits"),
    ("folder", "is a folder"),
])
def test_import_of_a_malformed_file_is_one_line_and_writes_nothing(
        tmp_path: Path, content: bytes | str | None, says: str) -> None:
    file = tmp_path / "export.json"
    if content == "folder":
        file.mkdir()
    elif isinstance(content, bytes):
        file.write_bytes(content)
    data = tmp_path / "store"
    done = app("import", str(file), data=data)
    assert says in one_line_refusal(done)
    assert not data.exists()  # the store was not even opened


def test_import_of_a_huge_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "huge.json"
    with file.open("wb") as handle:  # sparse: no 64 MB written to the test's disk
        handle.truncate(64 * 1024 * 1024 + 1)
    done = app("import", str(file), data=tmp_path / "store")
    assert "larger than 64 MB" in one_line_refusal(done)


def test_import_of_a_damaged_export_names_the_record_and_writes_nothing(
        demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "alex.json"
    assert app("export", "--patient", "alex@example.com", "--out", str(out),
               data=demo).returncode == 0
    document = json.loads(out.read_text())
    document["records"][5]["version"] = 0
    out.write_text(json.dumps(document))
    target = tmp_path / "store"
    line = one_line_refusal(app("import", str(out), data=target))
    assert line.startswith(f"BackTrack: {out}: Record 6 (")
    assert "version" in line
    again = app("export", "--patient", "alex@example.com", "--out", str(tmp_path / "x.json"),
                data=target)
    assert "No patient with the email" in one_line_refusal(again)


# -- every command: one line and an exit code, never a traceback (issue 9) ---------------


def test_export_to_a_folder_that_does_not_exist_is_one_line(demo: Path,
                                                            tmp_path: Path) -> None:
    done = app("export", "--patient", "alex@example.com", "--out",
               str(tmp_path / "no-such-folder" / "alex.json"), data=demo)
    assert "no-such-folder" in one_line_refusal(done, 1)


def test_backup_into_a_path_under_a_file_is_one_line(demo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = app("backup", "--out", str(blocker / "b.zip"), data=demo)
    one_line_refusal(done, 1)


def test_restore_of_a_missing_backup_is_one_line(tmp_path: Path) -> None:
    done = app("restore", str(tmp_path / "nothing.zip"), data=tmp_path / "store")
    assert "nothing.zip" in one_line_refusal(done, 1)


def test_a_store_held_by_another_process_is_one_line(demo: Path, tmp_path: Path) -> None:
    from app.store.journal import JournalStore

    with JournalStore.open(demo / "store"):
        for args in (["seed-demo"], ["import", str(tmp_path / "missing.json")],
                     ["set-password", "alex@example.com"]):
            done = app(*args, data=demo, stdin="long-enough-password\n")
            assert done.returncode in (1, 2), done.stderr
            one_line_refusal(done, done.returncode)
        # A backup is the one command that works beside the running server (issue 15).
        done = app("backup", "--out", str(tmp_path / "b.zip"), data=demo)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "b.zip").is_file()


def test_an_unknown_patient_is_one_line(demo: Path, tmp_path: Path) -> None:
    for fmt in ("json", "html"):
        done = app("export", "--patient", "ghost@example.com", "--format", fmt, "--out",
                   str(tmp_path / "ghost"), data=demo)
        assert "ghost@example.com" in one_line_refusal(done, 2)


@pytest.mark.parametrize("failure", [
    OSError(28, "No space left on device"),
    PermissionError(13, "Permission denied", "/srv/backtrack/store"),
])
def test_a_disk_failure_while_opening_the_store_is_one_line(
        tmp_path: Path, failure: OSError, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk made reopening the store print a raw OSError traceback. The store may
    wrap it in its own error (StoreError); either way it is one line, exit 1."""
    from app import __main__ as cli
    from app.store.journal import JournalStore

    def full_disk(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(JournalStore, "open", full_disk)
    assert cli.main(["seed-demo", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and out.err.startswith("BackTrack: ")
    assert failure.strerror and failure.strerror in out.err


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_port_out_of_range_is_refused_before_anything_starts(tmp_path: Path,
                                                               port: str) -> None:
    done = app("run", "--port", port, "--no-browser", data=tmp_path / "store")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "1 to 65535" in done.stderr
    assert not (tmp_path / "store").exists()


def test_an_export_is_private_and_never_replaces_a_folder(demo: Path, tmp_path: Path) -> None:
    """A patient's record is health data: 0600 like the store and its backups."""
    for fmt in ("json", "html"):
        out = tmp_path / f"alex.{fmt}"
        done = app("export", "--patient", "alex@example.com", "--format", fmt, "--out",
                   str(out), data=demo)
        assert done.returncode == 0, done.stderr
        assert out.stat().st_mode & 0o777 == 0o600
    folder = tmp_path / "a-folder"
    folder.mkdir()
    done = app("export", "--patient", "alex@example.com", "--out", str(folder), data=demo)
    assert "is not a file" in one_line_refusal(done, 2)
    assert folder.is_dir()


@pytest.mark.parametrize("argv", [["--data-dir", "/srv/clinic", "backup"],
                                  ["backup", "--data-dir", "/srv/clinic"]])
def test_the_data_folder_is_taken_before_or_after_the_subcommand(argv: list[str]) -> None:
    """Before the subcommand it was reset by the subcommand's own absent copy, so the
    command quietly worked on storage/ instead of the folder given."""
    from app import __main__ as cli

    args = cli._parser().parse_args(argv)
    assert args.data_dir == Path("/srv/clinic")

"""`python -m app export --format fhir` and `python -m app import --format fhir FILE`
(issue 16), run as the operator runs them: a bundle file that validates, read back into
an empty data folder, and a refused file is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.commands.test_cli import app


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo")
    assert app("seed-demo", data=data).returncode == 0
    return data


def test_export_then_import_a_bundle_from_the_command_line(demo: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "blair.fhir.json"
    done = app("export", "--patient", "blair@example.com", "--format", "fhir", "--out",
               str(out), data=demo)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # health data: the operator's only
    bundle = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    empty = tmp_path / "elsewhere"
    done = app("import", "--format", "fhir", str(out), data=empty)
    assert done.returncode == 0, done.stderr
    assert "entries for blair@example.com" in done.stdout
    assert "Left out 2 reminder(s) (CommunicationRequest)" in done.stdout
    again = tmp_path / "again.fhir.json"
    assert app("export", "--patient", "blair@example.com", "--format", "fhir", "--out",
               str(again), data=empty).returncode == 0
    count = len(json.loads(again.read_text(encoding="utf-8"))["entry"])
    reminders = sum(e["resource"]["resourceType"] == "CommunicationRequest"
                    for e in bundle["entry"])
    practitioners_only_for_reminders = 1  # Jordan (care team) made Blair's reminders
    assert count == len(bundle["entry"]) - reminders - practitioners_only_for_reminders


def test_a_bundle_it_cannot_read_is_one_line_and_writes_nothing(demo: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "casey.fhir.json"
    assert app("export", "--patient", "casey@example.com", "--format", "fhir", "--out",
               str(out), data=demo).returncode == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    bundle["entry"].append({"fullUrl": "urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100",
                            "resource": {"resourceType": "Condition",
                                         "subject": {"reference": bundle["entry"][0]["fullUrl"]}}})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle), encoding="utf-8")
    empty = tmp_path / "elsewhere"
    done = app("import", "--format", "fhir", str(bad), data=empty)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"BackTrack: {bad}: Entry {len(bundle['entry'])} "
                                  "(Condition urn:uuid:0f0e0d0c")
    assert not empty.exists()  # refused before the store was opened
    # A JSON export is not a bundle, and the other way round.
    done = app("import", "--format", "fhir", str(out.with_name("none.json")), data=empty)
    assert done.returncode == 2 and "There is no file" in done.stderr
    done = app("import", str(out), data=empty)
    assert done.returncode == 2 and "not a BackTrack patient export" in done.stderr

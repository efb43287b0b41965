"""`python -m app assess`: valid -> exit 0 and the contract's JSON; invalid -> exit 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import paths
from app.commands import assess as cli
from tests.domain.guidance.examples import VALID

REPO = Path(__file__).resolve().parents[2]


def run_with_stdin(monkeypatch: pytest.MonkeyPatch, text: str, argv: list[str]) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return cli.run(argv)


def test_valid_report_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_with_stdin(monkeypatch, json.dumps(VALID), []) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["level", "reasons", "advice", "check_again_hours"]
    assert out["level"] == "self_care"
    assert out["reasons"] and all(list(r) == ["rule", "text", "source"] for r in out["reasons"])
    assert isinstance(out["check_again_hours"], int)


def test_file_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "case.json"
    report.write_text(json.dumps({**VALID, "symptoms": ["bladder_bowel_change"]}), "utf-8")
    assert cli.run(["--file", str(report)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["level"] == "emergency"
    assert out["reasons"][0]["rule"] == "cauda_equina_bladder_bowel"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{oops", "report"),
        (json.dumps({**VALID, "soreness_now": True}), "soreness_now"),
        (json.dumps({**VALID, "colour": "red"}), "colour"),
        (json.dumps({**VALID, "needled_regions": ["neck", "neck"]}), "needled_regions"),
        (json.dumps({**VALID, "temperature_c": 44}), "temperature_c"),
        (json.dumps({**VALID, "temperature_c": 33.5}), "temperature_c"),
        (json.dumps({**VALID, "risk_factors": ["smoker"]}), "risk_factors"),
        ('{"pain_now": ' + "9" * 400 + ', "symptoms": []}', "pain_now"),
        ('{"hours_since_needling": ' + "9" * 400 + ', "symptoms": []}', "hours_since_needling"),
        ('{"pain_now": ' + "9" * 5000 + ', "symptoms": []}', "report"),
        ("[" * 1000 + "]" * 1000, "report"),
    ],
    ids=["bad_json", "bool_score", "unknown_key", "duplicate_region", "temperature_44",
         "temperature_33_5", "unknown_risk_factor", "digits_400", "hours_digits_400",
         "digits_5000", "nested_1000"],
)
def test_invalid_report_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], text: str, needle: str
) -> None:
    assert run_with_stdin(monkeypatch, text, []) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert needle in captured.err
    assert captured.err.strip().count("\n") == 0


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["--file", str(tmp_path / "none.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_rulebook_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["--rulebook", str(tmp_path / "none.json")]) == 1
    assert "rulebook" in capsys.readouterr().err


def test_unknown_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(["--nope"]) == 2


def test_default_rulebook_is_the_shipped_one() -> None:
    assert cli.DEFAULT_RULEBOOK == paths.GUIDANCE_RULEBOOK
    assert cli.DEFAULT_RULEBOOK.is_file()


def test_python_m_app_assess_end_to_end(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "app", "assess"],
        input=json.dumps(VALID),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["level"] == "self_care"
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**VALID, "symptoms": ["chest_pain"]}), encoding="utf-8")
    via_file = subprocess.run(
        [sys.executable, "-m", "app", "assess", "--file", str(case)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert via_file.returncode == 0, via_file.stderr
    assert json.loads(via_file.stdout)["level"] == "emergency"
    bad = subprocess.run(
        [sys.executable, "-m", "app", "assess"],
        input='{"pain_now": 11}',
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "pain_now" in bad.stderr


@pytest.mark.parametrize(
    "text",
    ['{"pain_now": ' + "9" * 5000 + ', "symptoms": []}', "[" * 1000 + "]" * 1000,
     json.dumps({**VALID, "temperature_c": 43.5})],
    ids=["digits_5000", "nested_1000", "temperature_43_5"],
)
def test_python_m_app_assess_refuses_cleanly(text: str) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "app", "assess"],
        input=text, capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("assess: ")

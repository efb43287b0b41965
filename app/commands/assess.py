"""`python -m app assess`: triage one symptom report from a file or stdin, print JSON.

Exit codes: 0 = assessed (whatever the level); 2 = the report (or the arguments) were
rejected, with one line on stderr naming the field; 1 = the rulebook could not be loaded.
No store is opened: this is for clinics auditing the rules with their own cases.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.domain.guidance import ReportError, RulebookError, assess, parse_report_json
from app.services.guidance import load_rulebook

DEFAULT_RULEBOOK = Path(__file__).resolve().parents[2] / "assets" / "guidance" / "rulebook.json"

EXIT_OK = 0
EXIT_RULEBOOK = 1
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app assess",
        description="Triage one symptom report (JSON) and print the assessment as JSON.",
    )
    parser.add_argument("--file", type=Path, help="report JSON file (default: read stdin)")
    parser.add_argument(
        "--rulebook",
        type=Path,
        default=DEFAULT_RULEBOOK,
        help=f"rulebook JSON (default: {DEFAULT_RULEBOOK})",
    )
    return parser


def run(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    try:
        rulebook = load_rulebook(args.rulebook)
    except RulebookError as exc:
        print(f"assess: {exc}", file=sys.stderr)
        return EXIT_RULEBOOK
    try:
        text = args.file.read_text(encoding="utf-8") if args.file else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"assess: cannot read the report {args.file}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        report = parse_report_json(text)
    except ReportError as exc:
        print(f"assess: invalid report: {exc.field}: {exc.message}", file=sys.stderr)
        return EXIT_INVALID
    json.dump(assess(report, rulebook).to_json(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return EXIT_OK

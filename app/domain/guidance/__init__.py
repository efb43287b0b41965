"""The "Is this soreness normal?" triage engine: pure Python, no I/O.

    report.py    the input contract (SymptomReport), its strict parser and ReportError
    rulebook.py  the parsed rulebook (thresholds, wording, sources) and RulebookError
    engine.py    assess(report, rulebook) -> Assessment: which rules fire, most urgent wins

Every clinical number and every patient-facing sentence comes from
assets/guidance/rulebook.json; this package holds only the logic that reads them.
Nothing here imports flet, tinydb, plotly, app.store, app.services or app.ui.

Exceptions::

    DomainError (app.domain.errors)
    ├── InvalidInput
    │   └── ReportError     a symptom report was rejected; `field` names the culprit
    └── RulebookError       the rulebook content is not usable; the message says where
"""

from app.domain.guidance.engine import Assessment, Reason, assess
from app.domain.guidance.report import (
    REGION_KEYS,
    RISK_FACTOR_KEYS,
    SYMPTOM_KEYS,
    TRENDS,
    ReportError,
    SymptomReport,
    parse_report,
    parse_report_json,
)
from app.domain.guidance.rulebook import TIERS, Rule, Rulebook, RulebookError, parse_rulebook

__all__ = [
    "REGION_KEYS",
    "RISK_FACTOR_KEYS",
    "SYMPTOM_KEYS",
    "TIERS",
    "TRENDS",
    "Assessment",
    "Reason",
    "ReportError",
    "Rule",
    "Rulebook",
    "RulebookError",
    "SymptomReport",
    "assess",
    "parse_report",
    "parse_report_json",
    "parse_rulebook",
]

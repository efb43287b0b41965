"""Progress: response to treatment, soreness after needling, logging adherence.

Pure: no I/O, no flet/plotly/tinydb, no app.services. Split along its seams (issue 11):

    thresholds.py  the asset's numbers and summary wording, parsed (ThresholdsError)
    summary.py     ResponseSummary (every derived number), ProgressRecord, Verdict
    response.py    baseline and current windows, the one pain rule, measurement error,
                   ODI, and every number on the summary
    verdict.py     the verdict's name and its words
    soreness.py    soreness curves after each session, flagged when not settling
    adherence.py   check-ins per day, stopped logging, rolling means, day labels

Chart texts and hover templates are checked by app.charts.wording, not here.
"""

from app.domain.progress.adherence import (
    adherence,
    day_label,
    rolling_daily_mean,
    stopped_logging,
)
from app.domain.progress.response import (
    assess_response,
    baseline_levels,
    meaningful_pain_change,
    pain_detectable_change,
    pain_rules_met,
    psfs_mean,
    psfs_window_mean,
    split_windows,
)
from app.domain.progress.soreness import SorenessCurve, soreness_curves
from app.domain.progress.summary import (
    MEASURES,
    ProgressRecord,
    ResponseSummary,
    Verdict,
    Windows,
)
from app.domain.progress.thresholds import (
    PAIN_MODES,
    ChartCheck,
    PainMode,
    Plural,
    ProgressThresholds,
    ProgressWording,
    ThresholdsError,
    parse_thresholds,
)

__all__ = [
    "MEASURES",
    "PAIN_MODES",
    "ChartCheck",
    "PainMode",
    "Plural",
    "ProgressRecord",
    "ProgressThresholds",
    "ProgressWording",
    "ResponseSummary",
    "SorenessCurve",
    "ThresholdsError",
    "Verdict",
    "Windows",
    "adherence",
    "assess_response",
    "baseline_levels",
    "day_label",
    "meaningful_pain_change",
    "pain_detectable_change",
    "pain_rules_met",
    "parse_thresholds",
    "psfs_mean",
    "psfs_window_mean",
    "rolling_daily_mean",
    "soreness_curves",
    "split_windows",
    "stopped_logging",
]

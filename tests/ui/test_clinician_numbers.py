"""The clinician's line prints the numbers the verdict was judged on (issue 11)."""

from __future__ import annotations

from app.domain.progress import ResponseSummary, Verdict
from app.ui.format import clinician_numbers


def test_the_pain_change_is_the_domains_not_one_from_rounded_means() -> None:
    # Means 7.26 → 5.34: shown 7.3 and 5.3, judged on −1.9 (rounded from −1.92).
    summary = ResponseSummary(Verdict.NO_MEANINGFUL_CHANGE, "h", "d", pain_baseline=7.3,
                              pain_current=5.3, pain_change_points=-1.9)
    line = clinician_numbers(summary)
    assert "Pain 7.3 to 5.3 (-1.9)" in line
    assert "-2.0" not in line

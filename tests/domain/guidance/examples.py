"""A valid symptom report (the example in docs/guidance.md), shared by the guidance tests."""

from __future__ import annotations

from typing import Any

VALID: dict[str, Any] = {
    "hours_since_needling": 30,
    "needled_regions": ["lumbar"],
    "soreness_now": 4,
    "soreness_trend": "better",
    "pain_now": 5,
    "pain_usual": 5,
    "symptoms": [],
}

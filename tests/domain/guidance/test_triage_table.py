"""The triage table: one row per clinical situation, each named for what it checks.

Every row asserts the level AND that the rule expected to decide it fired. Rows start from
BASE (a settled, ordinary day-2 report that comes out self_care) and change only what the
row is about, so a row's id and its overrides say everything about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.domain.guidance import REGION_KEYS, assess, parse_report

from .conftest import RULEBOOK

BASE: dict[str, Any] = {
    "hours_since_needling": 30,
    "needled_regions": ["lumbar"],
    "soreness_now": 3,
    "soreness_trend": "better",
    "pain_now": 5,
    "pain_usual": 5,
    "symptoms": [],
}

NEAR_CHEST = ("lumbar", "thoracic", "neck", "shoulder", "chest_wall")
BREATHING = ("shortness_of_breath", "chest_pain", "coughing_blood", "pain_on_breathing_in")
NERVE_SIGNS = (
    "numbness_tingling", "leg_weakness", "leg_weakness_worsening", "both_legs", "arm_weakness",
    "saddle_numbness", "bladder_bowel_change",
)


@dataclass(frozen=True)
class Case:
    id: str
    level: str
    rule: str
    changes: dict[str, Any]

    def report(self) -> dict[str, Any]:
        return {**BASE, **self.changes}


def c(case_id: str, level: str, rule: str, **changes: Any) -> Case:
    return Case(case_id, level, rule, changes)


def sx(*keys: str) -> list[str]:
    return list(keys)


EMERGENCY_SIGNS = [
    c(
        "saddle_numbness_is_emergency",
        "emergency",
        "cauda_equina_saddle_numbness",
        symptoms=sx("saddle_numbness"),
    ),
    c(
        "bladder_bowel_change_is_emergency",
        "emergency",
        "cauda_equina_bladder_bowel",
        symptoms=sx("bladder_bowel_change"),
    ),
    c(
        "new_sexual_dysfunction_is_emergency",
        "emergency",
        "cauda_equina_sexual_function",
        symptoms=sx("sexual_dysfunction_new"),
    ),
    c(
        "worsening_leg_weakness_is_emergency",
        "emergency",
        "leg_weakness_worsening",
        symptoms=sx("leg_weakness_worsening"),
    ),
    c(
        "both_leg_weakness_keys_is_emergency",
        "emergency",
        "leg_weakness_worsening",
        symptoms=sx("leg_weakness", "leg_weakness_worsening"),
    ),
    c(
        "bleeding_wont_stop_is_emergency",
        "emergency",
        "bleeding_wont_stop",
        symptoms=sx("bleeding_wont_stop"),
    ),
    c("major_trauma_is_emergency", "emergency", "major_trauma", symptoms=sx("major_trauma")),
    c(
        "severe_sudden_headache_is_emergency",
        "emergency",
        "headache_severe",
        symptoms=sx("headache_severe"),
    ),
    c(
        "cauda_equina_even_when_soreness_settled_long_ago",
        "emergency",
        "cauda_equina_saddle_numbness",
        hours_since_needling=500,
        soreness_now=0,
        soreness_trend="same",
        symptoms=sx("saddle_numbness"),
    ),
    c(
        "cauda_equina_with_no_recent_session",
        "emergency",
        "cauda_equina_bladder_bowel",
        hours_since_needling=None,
        needled_regions=[],
        soreness_now=0,
        soreness_trend="same",
        symptoms=sx("bladder_bowel_change"),
    ),
    c(
        "cauda_equina_in_the_first_hour",
        "emergency",
        "cauda_equina_saddle_numbness",
        hours_since_needling=0.5,
        soreness_now=8,
        soreness_trend="worse",
        symptoms=sx("saddle_numbness"),
    ),
]

FEVER_AND_INFECTION = [
    c(
        "fever_with_pain_at_severe_threshold_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        pain_now=7,
        symptoms=sx("fever"),
    ),
    c(
        "fever_with_pain_just_below_severe_is_call",
        "call_clinic",
        "fever",
        pain_now=6,
        symptoms=sx("fever"),
    ),
    c(
        "fever_with_severe_soreness_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        pain_now=2,
        soreness_now=7,
        symptoms=sx("fever"),
    ),
    c(
        "fever_with_unknown_pain_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        pain_now=None,
        symptoms=sx("fever"),
    ),
    c(
        "fever_with_unknown_soreness_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        soreness_now=None,
        symptoms=sx("fever"),
    ),
    c(
        "fever_but_soreness_0_and_mild_pain_still_call",
        "call_clinic",
        "fever",
        soreness_now=0,
        soreness_trend="same",
        pain_now=2,
        pain_usual=2,
        symptoms=sx("fever"),
    ),
    c(
        "fever_but_soreness_0_and_pain_unknown_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        soreness_now=0,
        soreness_trend="same",
        pain_now=None,
        symptoms=sx("fever"),
    ),
    c(
        "redness_without_fever_is_call",
        "call_clinic",
        "needle_site_infection",
        symptoms=sx("site_redness_warmth"),
    ),
    c("pus_without_fever_is_call", "call_clinic", "needle_site_infection", symptoms=sx("site_pus")),
    c(
        "redness_with_fever_is_emergency",
        "emergency",
        "needle_site_infection_with_fever",
        pain_now=3,
        symptoms=sx("site_redness_warmth", "fever"),
    ),
    c(
        "pus_with_fever_is_emergency",
        "emergency",
        "needle_site_infection_with_fever",
        pain_now=3,
        symptoms=sx("fever", "site_pus"),
    ),
]

CALL_CLINIC_SIGNS = [
    c("large_bruise_is_call", "call_clinic", "large_bruise", symptoms=sx("large_bruise")),
    c(
        "numbness_tingling_is_call",
        "call_clinic",
        "numbness_tingling",
        symptoms=sx("numbness_tingling"),
    ),
    c("stable_leg_weakness_is_call", "call_clinic", "leg_weakness", symptoms=sx("leg_weakness")),
    c(
        "unexplained_weight_loss_is_call",
        "call_clinic",
        "unexplained_weight_loss",
        symptoms=sx("unexplained_weight_loss"),
    ),
    c(
        "cancer_history_with_new_pain_is_call",
        "call_clinic",
        "history_of_cancer_new_pain",
        symptoms=sx("history_of_cancer"),
    ),
    c("night_pain_is_call", "call_clinic", "night_pain", symptoms=sx("night_pain")),
    c(
        "dizziness_or_fainting_is_call",
        "call_clinic",
        "dizziness_fainting",
        symptoms=sx("dizziness_fainting"),
    ),
    c(
        "red_flag_beats_first_day_reassurance",
        "call_clinic",
        "night_pain",
        hours_since_needling=3,
        symptoms=sx("night_pain", "fatigue"),
    ),
]

SORENESS_BOUNDARIES = [
    c("soreness_6_at_30h_easing_is_self_care", "self_care", "soreness_easing", soreness_now=6),
    c(
        "soreness_7_at_30h_is_call",
        "call_clinic",
        "soreness_severe_after_first_day",
        soreness_now=7,
    ),
    c(
        "soreness_10_at_30h_is_call",
        "call_clinic",
        "soreness_severe_after_first_day",
        soreness_now=10,
    ),
    c(
        "soreness_8_at_24h_is_first_day_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=24,
        soreness_now=8,
    ),
    c(
        "soreness_8_at_24_5h_is_call",
        "call_clinic",
        "soreness_severe_after_first_day",
        hours_since_needling=24.5,
        soreness_now=8,
    ),
    c(
        "worse_at_23h_is_first_day_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=23,
        soreness_trend="worse",
    ),
    c(
        "worse_at_24h_is_still_first_day",
        "self_care",
        "soreness_first_day",
        hours_since_needling=24,
        soreness_trend="worse",
    ),
    c(
        "worse_at_25h_is_call",
        "call_clinic",
        "soreness_worse_after_first_day",
        hours_since_needling=25,
        soreness_trend="worse",
    ),
    c(
        "same_at_47h_is_self_care",
        "self_care",
        "soreness_easing",
        hours_since_needling=47,
        soreness_trend="same",
    ),
    c(
        "same_at_48h_is_self_care",
        "self_care",
        "soreness_easing",
        hours_since_needling=48,
        soreness_trend="same",
    ),
    c(
        "same_at_49h_is_call",
        "call_clinic",
        "soreness_not_easing",
        hours_since_needling=49,
        soreness_trend="same",
    ),
    c(
        "worse_at_60h_is_call",
        "call_clinic",
        "soreness_not_easing",
        hours_since_needling=60,
        soreness_trend="worse",
    ),
    c("better_at_60h_is_self_care", "self_care", "soreness_easing", hours_since_needling=60),
    c("better_at_72h_is_self_care", "self_care", "soreness_easing", hours_since_needling=72),
    c("still_sore_at_73h_is_call", "call_clinic", "soreness_lasting", hours_since_needling=73),
    c(
        "soreness_1_at_200h_is_call",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=200,
        soreness_now=1,
    ),
    c(
        "soreness_0_same_at_60h_is_settled",
        "self_care",
        "soreness_settled",
        hours_since_needling=60,
        soreness_now=0,
        soreness_trend="same",
    ),
    c(
        "soreness_0_at_200h_is_settled",
        "self_care",
        "soreness_settled",
        hours_since_needling=200,
        soreness_now=0,
        soreness_trend="better",
    ),
    c(
        "strong_soreness_at_2h_holding_steady_is_first_day_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=2,
        soreness_now=9,
        soreness_trend="same",
    ),
    c(
        "tired_on_first_day_is_self_care",
        "self_care",
        "tired_first_day",
        hours_since_needling=6,
        symptoms=sx("fatigue"),
    ),
]

PAIN_BOUNDARIES = [
    c(
        "pain_2_above_usual_at_71h_is_self_care",
        "self_care",
        "soreness_settled",
        hours_since_needling=71,
        soreness_now=0,
        pain_now=6,
        pain_usual=4,
    ),
    c(
        "pain_2_above_usual_at_72h_is_self_care",
        "self_care",
        "soreness_settled",
        hours_since_needling=72,
        soreness_now=0,
        pain_now=6,
        pain_usual=4,
    ),
    c(
        "pain_2_above_usual_at_73h_is_call",
        "call_clinic",
        "pain_above_usual",
        hours_since_needling=73,
        soreness_now=0,
        pain_now=7,
        pain_usual=5,
    ),
    c(
        "pain_1_above_usual_at_73h_is_self_care",
        "self_care",
        "soreness_settled",
        hours_since_needling=73,
        soreness_now=0,
        pain_now=6,
        pain_usual=5,
    ),
    c(
        "pain_2_above_usual_with_no_session_is_call",
        "call_clinic",
        "pain_above_usual",
        hours_since_needling=None,
        needled_regions=[],
        soreness_now=0,
        soreness_trend="same",
        pain_now=6,
        pain_usual=4,
    ),
    c(
        "pain_below_usual_no_session_is_self_care",
        "self_care",
        "soreness_settled",
        hours_since_needling=None,
        needled_regions=[],
        soreness_now=0,
        soreness_trend="same",
        pain_now=3,
        pain_usual=4,
    ),
]

MISSING_VALUES = [
    c(
        "empty_report_is_call",
        "call_clinic",
        "answers_missing",
        hours_since_needling=None,
        needled_regions=None,
        soreness_now=None,
        soreness_trend=None,
        pain_now=None,
        pain_usual=None,
    ),
    c(
        "soreness_unknown_with_recent_session_is_call",
        "call_clinic",
        "answers_missing",
        soreness_now=None,
    ),
    c(
        "soreness_unknown_on_first_day_is_call",
        "call_clinic",
        "answers_missing",
        hours_since_needling=5,
        soreness_now=None,
    ),
    c(
        "only_fatigue_on_first_day_is_not_reassuring",
        "call_clinic",
        "answers_missing",
        hours_since_needling=5,
        soreness_now=None,
        symptoms=sx("fatigue"),
    ),
    c(
        "trend_unknown_after_first_day_is_call",
        "call_clinic",
        "answers_missing",
        soreness_trend=None,
    ),
    c(
        "trend_unknown_on_first_day_is_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=10,
        soreness_trend=None,
    ),
    c(
        "trend_unknown_beyond_48h_is_not_easing",
        "call_clinic",
        "soreness_not_easing",
        hours_since_needling=50,
        soreness_trend=None,
    ),
    c(
        "pain_unknown_beyond_72h_is_call",
        "call_clinic",
        "answers_missing",
        hours_since_needling=80,
        soreness_now=0,
        pain_now=None,
    ),
    c(
        "usual_pain_unknown_beyond_72h_is_call",
        "call_clinic",
        "answers_missing",
        hours_since_needling=80,
        soreness_now=0,
        pain_usual=None,
    ),
    c(
        "usual_pain_unknown_inside_72h_is_not_needed",
        "self_care",
        "soreness_easing",
        hours_since_needling=50,
        pain_usual=None,
    ),
    c(
        "pain_now_unknown_inside_72h_is_needed",
        "call_clinic",
        "answers_missing",
        hours_since_needling=50,
        pain_now=None,
        pain_usual=None,
    ),
    c(
        "severe_soreness_with_unknown_trend_on_first_day_needs_the_trend",
        "call_clinic",
        "answers_missing",
        hours_since_needling=5,
        soreness_now=8,
        soreness_trend=None,
    ),
    c(
        "hours_unknown_with_soreness_is_call",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=None,
    ),
    c(
        "hours_unknown_with_rising_soreness_is_call",
        "call_clinic",
        "soreness_worse_after_first_day",
        hours_since_needling=None,
        soreness_trend="worse",
    ),
    c(
        "hours_unknown_with_severe_soreness_is_call",
        "call_clinic",
        "soreness_severe_after_first_day",
        hours_since_needling=None,
        soreness_now=8,
    ),
    c(
        "regions_unknown_with_breathlessness_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        needled_regions=None,
        symptoms=sx("shortness_of_breath"),
    ),
    c(
        "nothing_needled_with_coughing_blood_is_call",
        "call_clinic",
        "breathing_or_coughing_blood",
        needled_regions=[],
        symptoms=sx("coughing_blood"),
    ),
    c(
        "hours_unknown_after_neck_needling_with_breathlessness_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        hours_since_needling=None,
        needled_regions=["neck"],
        symptoms=sx("shortness_of_breath"),
    ),
    c(
        "no_session_breathlessness_is_call_not_blamed_on_needling",
        "call_clinic",
        "breathing_or_coughing_blood",
        hours_since_needling=None,
        needled_regions=[],
        soreness_now=0,
        soreness_trend="same",
        symptoms=sx("shortness_of_breath"),
    ),
]

CONTRADICTIONS = [
    c(
        "trend_better_but_soreness_9_after_first_day_is_call",
        "call_clinic",
        "soreness_severe_after_first_day",
        soreness_now=9,
    ),
    c(
        "trend_better_but_pain_4_above_usual_after_72h_is_call",
        "call_clinic",
        "pain_above_usual",
        hours_since_needling=90,
        soreness_now=0,
        pain_now=8,
        pain_usual=4,
    ),
    c(
        "soreness_0_but_trend_worse_after_first_day_is_call",
        "call_clinic",
        "soreness_worse_after_first_day",
        soreness_now=0,
        soreness_trend="worse",
    ),
    c(
        "soreness_0_but_trend_worse_beyond_48h_is_call",
        "call_clinic",
        "soreness_not_easing",
        hours_since_needling=55,
        soreness_now=0,
        soreness_trend="worse",
    ),
    c(
        "soreness_reported_with_no_session_is_call",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=None,
        needled_regions=[],
    ),
    c(
        "regions_given_without_time_treated_as_unknown_time",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=None,
        needled_regions=["gluteal"],
    ),
    c(
        "fever_with_soreness_0_and_pain_7_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        soreness_now=0,
        soreness_trend="same",
        pain_now=7,
        symptoms=sx("fever"),
    ),
]


def _breathing_case(region: str, symptom: str, hours: float | None) -> Case:
    when = "unknown_time" if hours is None else f"{hours:g}h"
    case_id = f"{symptom}_after_{region}_at_{when}"
    changes: dict[str, Any] = {
        "hours_since_needling": hours,
        "needled_regions": [region],
        "symptoms": [symptom],
    }
    if symptom == "chest_pain":
        rule = "lung_signs_after_needling_near_chest" if region in NEAR_CHEST else "chest_pain"
        return Case(case_id, "emergency", rule, changes)
    if region in NEAR_CHEST:
        return Case(case_id, "emergency", "lung_signs_after_needling_near_chest", changes)
    if symptom == "pain_on_breathing_in" and region not in NEAR_CHEST:
        return Case(case_id, "call_clinic", "breathing_or_coughing_blood", changes)
    return Case(case_id, "call_clinic", "breathing_or_coughing_blood", changes)


BREATHING_MATRIX = [
    _breathing_case(region, symptom, hours)
    for region in REGION_KEYS
    for symptom in BREATHING
    for hours in (2, None)
]

LUNG_WINDOW = [
    c(
        "breathless_at_0h_after_thoracic_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        hours_since_needling=0,
        needled_regions=["thoracic"],
        symptoms=sx("shortness_of_breath"),
    ),
    c(
        "breathless_at_72h_after_shoulder_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        hours_since_needling=72,
        needled_regions=["shoulder"],
        symptoms=sx("shortness_of_breath"),
    ),
    c(
        "breathless_at_73h_after_shoulder_is_call",
        "call_clinic",
        "breathing_or_coughing_blood",
        hours_since_needling=73,
        soreness_now=0,
        needled_regions=["shoulder"],
        symptoms=sx("shortness_of_breath"),
    ),
    c(
        "chest_pain_at_300h_after_leg_is_emergency",
        "emergency",
        "chest_pain",
        hours_since_needling=300,
        soreness_now=0,
        needled_regions=["leg"],
        symptoms=sx("chest_pain"),
    ),
    c(
        "breathless_after_leg_and_neck_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        needled_regions=["leg", "neck"],
        symptoms=sx("shortness_of_breath"),
    ),
    c(
        "coughing_blood_after_hip_and_gluteal_is_call",
        "call_clinic",
        "breathing_or_coughing_blood",
        needled_regions=["hip", "gluteal"],
        symptoms=sx("coughing_blood"),
    ),
]

# Guidance v2 (issue 10): the reviewer's examples first, then each new key, rule and bound.
REVIEW_EXAMPLES = [
    c(
        "review_fever_with_numbness_after_lumbar_pain_4_is_emergency",
        "emergency",
        "fever_with_new_nerve_symptoms",
        pain_now=4,
        symptoms=sx("fever", "numbness_tingling"),
    ),
    c(
        "review_fever_with_leg_weakness_after_thoracic_pain_3_is_emergency",
        "emergency",
        "fever_with_new_nerve_symptoms",
        needled_regions=["thoracic"],
        pain_now=3,
        soreness_now=2,
        symptoms=sx("fever", "leg_weakness"),
    ),
    c(
        "review_fainting_with_breathlessness_is_emergency",
        "emergency",
        "fainting_with_breathing_or_chest_signs",
        needled_regions=["leg"],
        symptoms=sx("dizziness_fainting", "shortness_of_breath"),
    ),
    c(
        "review_soreness_10_and_worse_at_6h_is_call",
        "call_clinic",
        "soreness_severe_and_rising",
        hours_since_needling=6,
        soreness_now=10,
        soreness_trend="worse",
    ),
    c(
        "review_pain_10_against_usual_3_at_6h_is_call",
        "call_clinic",
        "pain_severe_above_usual",
        hours_since_needling=6,
        pain_now=10,
        pain_usual=3,
    ),
    c(
        "review_soreness_1_improving_at_73h_is_self_care",
        "self_care",
        "soreness_fading",
        hours_since_needling=73,
        soreness_now=1,
        soreness_trend="better",
    ),
    c(
        "review_breathless_with_no_session_is_call",
        "call_clinic",
        "breathing_or_coughing_blood",
        hours_since_needling=None,
        needled_regions=[],
        soreness_now=0,
        soreness_trend="same",
        symptoms=sx("shortness_of_breath"),
    ),
]

NEW_KEYS = [
    *[
        c(
            f"fever_with_{sign}_is_emergency",
            "emergency",
            "fever_with_new_nerve_symptoms",
            pain_now=2,
            soreness_now=1,
            symptoms=sx("fever", sign),
        )
        for sign in NERVE_SIGNS
    ],
    *[
        c(
            f"temperature_38_with_{sign}_is_emergency",
            "emergency",
            "fever_with_new_nerve_symptoms",
            pain_now=2,
            temperature_c=38.0,
            symptoms=sx(sign),
        )
        for sign in ("numbness_tingling", "arm_weakness")
    ],
    c(
        "temperature_37_9_with_numbness_is_call",
        "call_clinic",
        "numbness_tingling",
        temperature_c=37.9,
        symptoms=sx("numbness_tingling"),
    ),
    c(
        "temperature_38_alone_counts_as_fever",
        "call_clinic",
        "fever",
        temperature_c=38.0,
    ),
    c(
        "temperature_39_with_pain_8_is_emergency",
        "emergency",
        "fever_with_severe_pain",
        temperature_c=39.0,
        pain_now=8,
    ),
    c(
        "temperature_36_6_with_fever_ticked_still_fever",
        "call_clinic",
        "fever",
        temperature_c=36.6,
        symptoms=sx("fever"),
    ),
    c(
        "normal_temperature_alone_stays_self_care",
        "self_care",
        "soreness_easing",
        temperature_c=36.8,
    ),
    c(
        "both_legs_alone_is_emergency",
        "emergency",
        "cauda_equina_both_legs",
        symptoms=sx("both_legs"),
    ),
    c(
        "both_legs_with_numbness_is_emergency",
        "emergency",
        "cauda_equina_both_legs",
        symptoms=sx("both_legs", "numbness_tingling"),
    ),
    c(
        "both_legs_with_weakness_is_emergency",
        "emergency",
        "cauda_equina_both_legs",
        symptoms=sx("both_legs", "leg_weakness"),
    ),
    c(
        "pain_on_breathing_in_after_thoracic_at_3h_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        hours_since_needling=3,
        needled_regions=["thoracic"],
        symptoms=sx("pain_on_breathing_in"),
    ),
    c(
        "pain_on_breathing_in_after_lumbar_at_72h_is_emergency",
        "emergency",
        "lung_signs_after_needling_near_chest",
        hours_since_needling=72,
        soreness_now=0,
        symptoms=sx("pain_on_breathing_in"),
    ),
    c(
        "pain_on_breathing_in_after_thoracic_at_73h_is_call",
        "call_clinic",
        "breathing_or_coughing_blood",
        hours_since_needling=73,
        soreness_now=0,
        needled_regions=["thoracic"],
        symptoms=sx("pain_on_breathing_in"),
    ),
    c(
        "pain_on_breathing_in_after_leg_is_call",
        "call_clinic",
        "breathing_or_coughing_blood",
        needled_regions=["leg"],
        symptoms=sx("pain_on_breathing_in"),
    ),
    c(
        "fainting_with_chest_pain_is_emergency",
        "emergency",
        "fainting_with_breathing_or_chest_signs",
        symptoms=sx("dizziness_fainting", "chest_pain"),
    ),
    c(
        "fainting_with_pain_on_breathing_in_after_hip_is_emergency",
        "emergency",
        "fainting_with_breathing_or_chest_signs",
        needled_regions=["hip"],
        symptoms=sx("dizziness_fainting", "pain_on_breathing_in"),
    ),
    c(
        "fainting_alone_is_call",
        "call_clinic",
        "dizziness_fainting",
        symptoms=sx("dizziness_fainting"),
    ),
    c(
        "arm_weakness_alone_is_call",
        "call_clinic",
        "arm_weakness",
        symptoms=sx("arm_weakness"),
    ),
    c(
        "worried_other_is_call",
        "call_clinic",
        "worried_other",
        symptoms=sx("worried_other"),
    ),
    c(
        "worried_other_on_first_day_is_call",
        "call_clinic",
        "worried_other",
        hours_since_needling=2,
        symptoms=sx("worried_other"),
    ),
    c(
        "blood_thinners_with_large_bruise_is_call",
        "call_clinic",
        "blood_thinners_bleeding_or_bruise",
        risk_factors=["blood_thinners"],
        symptoms=sx("large_bruise"),
    ),
    c(
        "blood_thinners_with_bleeding_is_emergency",
        "emergency",
        "bleeding_wont_stop",
        risk_factors=["blood_thinners"],
        symptoms=sx("bleeding_wont_stop"),
    ),
    c(
        "blood_thinners_alone_stays_self_care",
        "self_care",
        "soreness_easing",
        risk_factors=["blood_thinners"],
    ),
    *[
        c(
            f"{factor}_with_fever_is_call",
            "call_clinic",
            "fever_with_weak_immunity_or_injected_drugs",
            risk_factors=[factor],
            symptoms=sx("fever"),
        )
        for factor in ("immune_suppressed", "iv_drug_use", "recent_infection")
    ],
    c(
        "immune_suppressed_with_measured_fever_is_call",
        "call_clinic",
        "fever_with_weak_immunity_or_injected_drugs",
        risk_factors=["immune_suppressed"],
        temperature_c=38.4,
    ),
    c(
        "every_risk_factor_alone_stays_self_care",
        "self_care",
        "soreness_easing",
        risk_factors=[
            "blood_thinners", "immune_suppressed", "iv_drug_use", "osteoporosis_or_steroids",
            "age_over_50", "recent_infection",
        ],
    ),
]

SEVERE_AND_RISING = [
    c(
        "soreness_7_worse_at_1h_is_call",
        "call_clinic",
        "soreness_severe_and_rising",
        hours_since_needling=1,
        soreness_now=7,
        soreness_trend="worse",
    ),
    c(
        "soreness_6_worse_at_1h_is_first_day_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=1,
        soreness_now=6,
        soreness_trend="worse",
    ),
    c(
        "pain_7_against_usual_5_at_10h_is_call",
        "call_clinic",
        "pain_severe_above_usual",
        hours_since_needling=10,
        pain_now=7,
        pain_usual=5,
    ),
    c(
        "pain_7_against_usual_6_at_10h_is_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=10,
        pain_now=7,
        pain_usual=6,
    ),
    c(
        "pain_6_against_usual_2_at_10h_is_self_care",
        "self_care",
        "soreness_first_day",
        hours_since_needling=10,
        pain_now=6,
        pain_usual=2,
    ),
    c(
        "pain_8_with_usual_unknown_at_10h_is_call",
        "call_clinic",
        "pain_severe_above_usual",
        hours_since_needling=10,
        pain_now=8,
        pain_usual=None,
    ),
]

FADING_TAIL = [
    c(
        "soreness_2_better_at_96h_is_self_care",
        "self_care",
        "soreness_fading",
        hours_since_needling=96,
        soreness_now=2,
        soreness_trend="better",
    ),
    c(
        "soreness_2_better_at_97h_is_call",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=97,
        soreness_now=2,
        soreness_trend="better",
    ),
    c(
        "soreness_3_better_at_73h_is_call",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=73,
        soreness_now=3,
        soreness_trend="better",
    ),
    c(
        "soreness_1_same_at_73h_is_call",
        "call_clinic",
        "soreness_lasting",
        hours_since_needling=73,
        soreness_now=1,
        soreness_trend="same",
    ),
    c(
        "soreness_1_better_at_73h_with_pain_unknown_needs_answers",
        "call_clinic",
        "answers_missing",
        hours_since_needling=73,
        soreness_now=1,
        pain_now=None,
    ),
]

CASES = [
    *REVIEW_EXAMPLES,
    *NEW_KEYS,
    *SEVERE_AND_RISING,
    *FADING_TAIL,
    *EMERGENCY_SIGNS,
    *FEVER_AND_INFECTION,
    *CALL_CLINIC_SIGNS,
    *SORENESS_BOUNDARIES,
    *PAIN_BOUNDARIES,
    *MISSING_VALUES,
    *CONTRADICTIONS,
    *BREATHING_MATRIX,
    *LUNG_WINDOW,
]


def test_table_is_big_and_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 60
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_triage_table(case: Case) -> None:
    result = assess(parse_report(case.report()), RULEBOOK)
    assert result.level == case.level, result.to_json()
    assert case.rule in result.rule_ids, result.to_json()


def test_every_rule_in_the_rulebook_has_a_deciding_row() -> None:
    covered = {case.rule for case in CASES}
    missing = [rule.id for rule in RULEBOOK.rules if rule.id not in covered]
    assert not missing, f"rules without a table row: {missing}"
    assert covered <= {rule.id for rule in RULEBOOK.rules}


def test_the_base_report_is_self_care() -> None:
    result = assess(parse_report(BASE), RULEBOOK)
    assert result.level == "self_care"
    assert result.rule_ids == ("soreness_easing",)


def test_breathlessness_without_needling_near_the_chest_does_not_blame_needling() -> None:
    for regions in ([], ["leg"], ["hip", "gluteal"]):
        report = {**BASE, "needled_regions": regions, "symptoms": ["shortness_of_breath"]}
        result = assess(parse_report(report), RULEBOOK)
        words = " ".join(reason.text for reason in result.reasons).lower()
        assert "needl" not in words and "collapsed lung" not in words, (regions, words)


def test_an_urgent_answer_shows_no_reassuring_reason() -> None:
    report = {**BASE, "hours_since_needling": 5, "symptoms": ["fatigue", "shortness_of_breath"]}
    result = assess(parse_report(report), RULEBOOK)
    assert result.level == "emergency"
    assert "tired_first_day" not in result.rule_ids
    assert "soreness_first_day" not in result.rule_ids

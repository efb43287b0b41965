"""The parsed guidance rulebook: thresholds, tiers, rules, wording and sources.

The content lives in assets/guidance/rulebook.json so a clinician can review it without
reading code; this module turns the decoded JSON into typed, validated objects and refuses
anything it cannot use (RulebookError says where). It never reads files: the service
layer does that (app.services.guidance.load_rulebook).

A rule is a *kind* of condition (a fixed piece of engine logic, listed in KINDS) plus its
parameters from the JSON: which symptoms, which regions, which named thresholds. Rule text
may name a threshold as {first_day_hours} and so on; the parser fills in the value so
wording and numbers cannot drift apart. The `answers_missing` kind may also use {missing},
which the engine fills with the plain labels of the missing answers.

`fever_temperature_c` is a *fact* threshold: it is read when the report is first looked at
(a measured temperature at or above it counts as the `fever` sign), not by one rule kind,
so rules do not list it in `uses_thresholds`.

Each source states what it actually shows (`shows`), so a reviewer can check that a rule
cites a source for what that source supports.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from app.domain.errors import DomainError
from app.domain.guidance.report import (
    REGION_KEYS,
    RISK_FACTOR_KEYS,
    SYMPTOM_KEYS,
    TEMPERATURE_HIGH_C,
    TEMPERATURE_LOW_C,
)

Tier = Literal["emergency", "call_clinic", "self_care"]

TIERS: Final[tuple[Tier, ...]] = ("emergency", "call_clinic", "self_care")  # most urgent first
SCHEMA_VERSION: Final = 1
MISSING_PLACEHOLDER: Final = "missing"
ASKED_FIELDS: Final[tuple[str, ...]] = ("soreness_now", "soreness_trend", "pain_now", "pain_usual")


class RulebookError(DomainError):
    """The rulebook content cannot be used. The message names the part at fault."""


@dataclass(frozen=True)
class KindSpec:
    """What a condition kind reads from its rule: list parameters and named thresholds."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    thresholds: tuple[str, ...]
    # Whether a self_care rule of this kind can by itself answer "is this soreness normal?".
    # One that cannot (e.g. "tired on the first day") only adds reassurance: on its own it
    # leaves the question open, and the engine answers with the fallback instead.
    answers_soreness: bool = False


KINDS: Final[Mapping[str, KindSpec]] = {
    "symptom": KindSpec(("symptoms",), ("with_symptoms", "with_risk_factors"), ()),
    "symptom_with_severe_pain": KindSpec(("symptoms",), (), ("severe_pain", "severe_soreness")),
    "symptom_near_needled_region": KindSpec(("symptoms", "regions"), (), ("lung_window_hours",)),
    "symptom_first_day": KindSpec(("symptoms",), (), ("first_day_hours",)),
    "soreness_first_day": KindSpec((), (), ("first_day_hours",), answers_soreness=True),
    "soreness_easing": KindSpec(
        (),
        (),
        ("first_day_hours", "plateau_hours", "settle_hours", "severe_soreness"),
        answers_soreness=True,
    ),
    "soreness_settled": KindSpec((), (), (), answers_soreness=True),
    "soreness_fading": KindSpec(
        (), (), ("settle_hours", "fading_tail_hours", "mild_soreness"), answers_soreness=True
    ),
    "soreness_severe_rising": KindSpec((), (), ("severe_soreness",)),
    "pain_severe_above_usual": KindSpec((), (), ("severe_pain", "pain_above_usual_points")),
    "soreness_severe": KindSpec((), (), ("severe_soreness", "first_day_hours")),
    "soreness_rising": KindSpec((), (), ("first_day_hours",)),
    "soreness_not_easing": KindSpec((), (), ("plateau_hours",)),
    "soreness_lasting": KindSpec((), (), ("settle_hours", "fading_tail_hours", "mild_soreness")),
    "pain_above_usual": KindSpec((), (), ("pain_above_usual_points", "settle_hours")),
    "answers_missing": KindSpec((), (), ("first_day_hours", "settle_hours", "severe_soreness")),
}

_HOUR_THRESHOLDS: Final = (
    "first_day_hours", "plateau_hours", "settle_hours", "fading_tail_hours", "lung_window_hours"
)
_SCORE_THRESHOLDS: Final = (
    "severe_soreness", "severe_pain", "pain_above_usual_points", "mild_soreness"
)
_TEMPERATURE_THRESHOLDS: Final = ("fever_temperature_c",)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Source:
    key: str
    short: str  # what a reason shows, e.g. "NICE NG59"
    citation: str
    url: str
    shows: str  # what the source actually shows (and so what it can support)


@dataclass(frozen=True)
class Thresholds:
    """Every clinical number the engine uses. Hours compare as "beyond" = strictly more."""

    first_day_hours: float  # soreness may still build or be strong up to here
    plateau_hours: float  # soreness should be easing by here
    settle_hours: float  # soreness should be gone by here
    fading_tail_hours: float  # mild soreness still fading may linger up to here
    lung_window_hours: float  # breathing signs after chest-near needling count up to here
    severe_soreness: int  # soreness at or above this is "severe"
    severe_pain: int  # back pain at or above this is "severe"
    pain_above_usual_points: int  # a meaningful rise above the usual pain level
    mild_soreness: int  # soreness at or below this is "mild"
    fever_temperature_c: float  # a measured temperature at or above this is a fever


@dataclass(frozen=True)
class TierAdvice:
    tier: Tier
    label: str
    advice: str
    check_again_hours: int


@dataclass(frozen=True)
class Rule:
    id: str
    tier: Tier
    kind: str
    symptoms: frozenset[str]
    with_symptoms: frozenset[str]
    regions: frozenset[str]
    with_risk_factors: frozenset[str]
    text: str  # threshold placeholders already filled in
    sources: tuple[Source, ...]

    @property
    def source_text(self) -> str:
        return "; ".join(source.short for source in self.sources)


@dataclass(frozen=True)
class Rulebook:
    schema_version: int
    reviewed_on: date
    reviewed_by: str
    thresholds: Thresholds
    tiers: Mapping[Tier, TierAdvice]
    rules: tuple[Rule, ...]  # in rulebook order: the order reasons are listed in
    fallback: Rule  # used only if no rule fires (a gap in the rulebook); never self_care
    sources: Mapping[str, Source]
    symptom_labels: Mapping[str, str]
    region_labels: Mapping[str, str]
    field_labels: Mapping[str, str]
    risk_factor_labels: Mapping[str, str]
    # Which content an answer came from: a digest of the whole rulebook as parsed, stored
    # with every assessment (any edit to wording, thresholds or rules changes it).
    fingerprint: str = ""


def parse_rulebook(raw: object) -> Rulebook:
    """Validate decoded rulebook JSON. Raises RulebookError naming the first problem."""
    top = _mapping(raw, "rulebook")
    version = top.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise RulebookError(
            f"schema_version must be {SCHEMA_VERSION} (this BackTrack reads version "
            f"{SCHEMA_VERSION}); got {version!r}."
        )
    reviewed_on = _text(top, "reviewed_on", "rulebook")
    try:
        reviewed_date = date.fromisoformat(reviewed_on)
    except ValueError as exc:
        raise RulebookError(
            f"reviewed_on must be a date like 2026-05-01; got {reviewed_on!r}."
        ) from exc
    sources = _sources(top.get("sources"))
    thresholds, values = _thresholds(top.get("thresholds"), sources)
    tiers = _tiers(top.get("tiers"))
    rules = tuple(
        _rule(item, f"rules[{index}]", sources, values)
        for index, item in enumerate(_list(top.get("rules"), "rules"))
    )
    ids = [rule.id for rule in rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise RulebookError(f"rule ids must be unique; repeated: {', '.join(duplicates)}.")
    for tier in TIERS:
        if not any(rule.tier == tier for rule in rules):
            raise RulebookError(f"rules: no rule has tier {tier!r}.")
    fallback = _rule(top.get("fallback"), "fallback", sources, values, fallback=True)
    if fallback.tier == "self_care" or fallback.id in ids:
        raise RulebookError("fallback must have its own id and a tier more urgent than self_care.")
    return Rulebook(
        schema_version=SCHEMA_VERSION,
        reviewed_on=reviewed_date,
        reviewed_by=_text(top, "reviewed_by", "rulebook"),
        thresholds=thresholds,
        tiers=tiers,
        rules=rules,
        fallback=fallback,
        sources=sources,
        symptom_labels=_labels(top.get("symptom_labels"), "symptom_labels", SYMPTOM_KEYS),
        region_labels=_labels(top.get("region_labels"), "region_labels", REGION_KEYS),
        field_labels=_labels(top.get("field_labels"), "field_labels", ASKED_FIELDS),
        risk_factor_labels=_labels(
            top.get("risk_factor_labels"), "risk_factor_labels", RISK_FACTOR_KEYS
        ),
        fingerprint=rulebook_fingerprint(top),
    )


def rulebook_fingerprint(raw: Mapping[str, Any]) -> str:
    """A short digest of rulebook content, independent of key order and white space."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulebookError(f"{where} must be a JSON object.")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RulebookError(f"{where} must be a JSON list.")
    return value


def _text(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulebookError(f"{where}.{key} must be non-empty text.")
    return value.strip()


def _number(parent: Mapping[str, Any], key: str, where: str) -> float:
    value = parent.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise RulebookError(f"{where}.{key} must be a number.")
    return float(value)


def _sources(raw: object) -> dict[str, Source]:
    table = _mapping(raw, "sources")
    if not table:
        raise RulebookError("sources must list at least one source.")
    result: dict[str, Source] = {}
    for key, item in table.items():
        entry = _mapping(item, f"sources.{key}")
        url = entry.get("url", "")
        if not isinstance(url, str):
            raise RulebookError(f"sources.{key}.url must be text.")
        result[key] = Source(
            key=key,
            short=_text(entry, "short", f"sources.{key}"),
            citation=_text(entry, "citation", f"sources.{key}"),
            url=url,
            shows=_text(entry, "shows", f"sources.{key}"),
        )
    return result


def _source_refs(raw: object, where: str, sources: Mapping[str, Source]) -> tuple[Source, ...]:
    keys = _list(raw, f"{where}.sources")
    if not keys:
        raise RulebookError(f"{where}.sources must name at least one source.")
    for key in keys:
        if key not in sources:
            raise RulebookError(f"{where}.sources names an unknown source {key!r}.")
    return tuple(sources[key] for key in keys)


def _thresholds(raw: object, sources: Mapping[str, Source]) -> tuple[Thresholds, dict[str, str]]:
    table = _mapping(raw, "thresholds")
    expected = (*_HOUR_THRESHOLDS, *_SCORE_THRESHOLDS, *_TEMPERATURE_THRESHOLDS)
    unknown = sorted(set(table) - set(expected))
    if unknown:
        raise RulebookError(f"thresholds: unknown names {', '.join(unknown)}.")
    numbers: dict[str, float] = {}
    for name in expected:
        where = f"thresholds.{name}"
        entry = _mapping(table.get(name), where)
        _text(entry, "meaning", where)
        _source_refs(entry.get("sources"), where, sources)
        value = _number(entry, "value", where)
        if name in _SCORE_THRESHOLDS and not (value.is_integer() and 1 <= value <= 10):
            raise RulebookError(f"{where}.value must be a whole number from 1 to 10.")
        if name in _HOUR_THRESHOLDS and not 0 < value < 24 * 365:
            raise RulebookError(f"{where}.value must be a positive number of hours.")
        if name in _TEMPERATURE_THRESHOLDS and not (
            TEMPERATURE_LOW_C < value < TEMPERATURE_HIGH_C
        ):
            raise RulebookError(
                f"{where}.value must be a temperature between {TEMPERATURE_LOW_C:g} and "
                f"{TEMPERATURE_HIGH_C:g} degrees Celsius."
            )
        numbers[name] = value
    hours_in_order = (
        numbers["first_day_hours"]
        < numbers["plateau_hours"]
        < numbers["settle_hours"]
        <= numbers["fading_tail_hours"]
    )
    if not hours_in_order:
        raise RulebookError(
            "thresholds: first_day_hours < plateau_hours < settle_hours <= fading_tail_hours "
            "must hold."
        )
    if not numbers["mild_soreness"] < numbers["severe_soreness"]:
        raise RulebookError("thresholds: mild_soreness < severe_soreness must hold.")
    thresholds = Thresholds(
        first_day_hours=numbers["first_day_hours"],
        plateau_hours=numbers["plateau_hours"],
        settle_hours=numbers["settle_hours"],
        fading_tail_hours=numbers["fading_tail_hours"],
        lung_window_hours=numbers["lung_window_hours"],
        severe_soreness=int(numbers["severe_soreness"]),
        severe_pain=int(numbers["severe_pain"]),
        pain_above_usual_points=int(numbers["pain_above_usual_points"]),
        mild_soreness=int(numbers["mild_soreness"]),
        fever_temperature_c=numbers["fever_temperature_c"],
    )
    shown = {name: f"{value:g}" for name, value in numbers.items()}
    return thresholds, shown


def _tiers(raw: object) -> dict[Tier, TierAdvice]:
    table = _mapping(raw, "tiers")
    if set(table) != set(TIERS):
        raise RulebookError(f"tiers must have exactly {', '.join(TIERS)}.")
    result: dict[Tier, TierAdvice] = {}
    for tier in TIERS:
        where = f"tiers.{tier}"
        entry = _mapping(table[tier], where)
        hours = entry.get("check_again_hours")
        if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
            raise RulebookError(f"{where}.check_again_hours must be a whole number 0 or more.")
        result[tier] = TierAdvice(
            tier=tier,
            label=_text(entry, "label", where),
            advice=_text(entry, "advice", where),
            check_again_hours=hours,
        )
    return result


def _keys(raw: object, where: str, allowed: tuple[str, ...]) -> frozenset[str]:
    items = _list(raw, where)
    if not items:
        raise RulebookError(f"{where} must not be empty.")
    for item in items:
        if item not in allowed:
            raise RulebookError(f"{where} has an unknown key {item!r}.")
    return frozenset(items)


def _rule(
    raw: object,
    where: str,
    sources: Mapping[str, Source],
    thresholds: Mapping[str, str],
    *,
    fallback: bool = False,
) -> Rule:
    entry = _mapping(raw, where)
    rule_id = _text(entry, "id", where)
    where = f"{where} ({rule_id})"
    tier = entry.get("tier")
    if tier not in TIERS:
        raise RulebookError(f"{where}.tier must be one of {', '.join(TIERS)}.")
    kind = "fallback"
    params: Mapping[str, Any] = {}
    if not fallback:
        params = _mapping(entry.get("when"), f"{where}.when")
        kind = params.get("kind", "")
        if kind not in KINDS:
            raise RulebookError(f"{where}.when.kind must be one of {', '.join(KINDS)}.")
        spec = KINDS[kind]
        allowed = {"kind", *spec.required, *spec.optional}
        extra = sorted(set(params) - allowed)
        missing = [name for name in spec.required if name not in params]
        if extra or missing:
            raise RulebookError(
                f"{where}.when: kind {kind!r} takes {', '.join(sorted(allowed))}"
                f" (unknown: {extra}, missing: {missing})."
            )
        uses = entry.get("uses_thresholds", [])
        if sorted(_list(uses, f"{where}.uses_thresholds")) != sorted(spec.thresholds):
            raise RulebookError(
                f"{where}.uses_thresholds must list exactly what kind {kind!r} reads: "
                f"{list(spec.thresholds)}."
            )
    text = _fill(_text(entry, "text", where), thresholds, where, kind == "answers_missing")
    return Rule(
        id=rule_id,
        tier=tier,
        kind=kind,
        symptoms=_keys(params["symptoms"], f"{where}.when.symptoms", SYMPTOM_KEYS)
        if "symptoms" in params
        else frozenset(),
        with_symptoms=_keys(params["with_symptoms"], f"{where}.when.with_symptoms", SYMPTOM_KEYS)
        if "with_symptoms" in params
        else frozenset(),
        regions=_keys(params["regions"], f"{where}.when.regions", REGION_KEYS)
        if "regions" in params
        else frozenset(),
        with_risk_factors=_keys(
            params["with_risk_factors"], f"{where}.when.with_risk_factors", RISK_FACTOR_KEYS
        )
        if "with_risk_factors" in params
        else frozenset(),
        text=text,
        sources=_source_refs(entry.get("sources"), where, sources),
    )


def _fill(text: str, thresholds: Mapping[str, str], where: str, allow_missing: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in thresholds:
            return thresholds[name]
        if name == MISSING_PLACEHOLDER and allow_missing:
            return match.group(0)
        raise RulebookError(f"{where}.text has an unknown placeholder {{{name}}}.")

    return _PLACEHOLDER.sub(replace, text)


def _labels(raw: object, where: str, keys: tuple[str, ...]) -> dict[str, str]:
    table = _mapping(raw, where)
    if set(table) != set(keys):
        missing = sorted(set(keys) - set(table))
        extra = sorted(set(table) - set(keys))
        raise RulebookError(
            f"{where} must label every key exactly (missing {missing}, unknown {extra})."
        )
    return {key: _text(table, key, where) for key in keys}

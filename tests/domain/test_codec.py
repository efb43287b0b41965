"""Every stored dataclass survives to_json → JSON text → from_json unchanged."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from app.domain import entries as e
from app.domain.accounts import Account, Grant, Role
from app.domain.codec import DecodeError, from_json, to_json
from app.services.access import AuditEvent, Invite
from app.services.clinic import ClinicSettings

WHEN = datetime(2025, 3, 10, 8, 30, 15, 123456, tzinfo=UTC)
OFFSET = datetime(2025, 3, 9, 21, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))

SAMPLES: list[Any] = [
    e.CheckIn("c1", "p1", WHEN, 4, 7, ("lower_back", "leg_left"), {"a1": 3, "a2": 10},
              "Stiff — long drive ✓"),
    e.CheckIn("c2", "p1", OFFSET, 0),
    e.NeedlingSession("s1", "p1", OFFSET, ("thoracic", "shoulder"), "t1", "twitches"),
    e.SorenessEntry("so1", "p1", "s1", WHEN, 5, "ache"),
    e.PsfsActivity("a1", "p1", "Bending forward", WHEN, retired=True),
    e.PsfsActivity("a2", "p1", "Walking", OFFSET),
    e.Milestone("m1", "p1", date(2025, 2, 28), "Deadlift 60 kg pain-free", "finally"),
    e.OdiAnswer("o1", "p1", WHEN, (1, None, 5, 0, None, 2, 3, 4, 0, 1)),
    e.PgicAnswer("g1", "p1", OFFSET, 2),
    Account("p1", "alex@example.com", "Alex Morgan", Role.PATIENT, "$argon2id$v=19$x",
            WHEN, "Europe/Berlin", active=False),
    Account("t1", "taylor@example.com", "Taylor", Role.THERAPIST, "$argon2id$y", OFFSET),
    Grant("gr1", "p1", "t1", WHEN, revoked=True),
    AuditEvent("ev1", "p1", "t1", "therapist", "read:progress", OFFSET),
    Invite("AB12-CD34-EF56", "p1", WHEN, used=True),
    ClinicSettings(name="Riverside", phone="+1 555 0100", emergency_number="112"),
]


@pytest.mark.parametrize("original", SAMPLES, ids=lambda s: type(s).__name__)
def test_round_trip_through_json_text(original: Any) -> None:
    text = json.dumps(to_json(original))
    restored = from_json(type(original), json.loads(text))
    assert restored == original
    assert type(restored) is type(original)


def test_datetimes_keep_their_offset_and_microseconds() -> None:
    restored = from_json(e.CheckIn, json.loads(json.dumps(to_json(SAMPLES[1]))))
    assert restored.recorded_at.utcoffset() == timedelta(hours=-5, minutes=-30)
    restored = from_json(e.CheckIn, json.loads(json.dumps(to_json(SAMPLES[0]))))
    assert restored.recorded_at.microsecond == 123456
    assert restored.recorded_at.tzinfo is not None


def test_json_shapes_are_plain() -> None:
    raw = to_json(SAMPLES[0])
    assert raw["recorded_at"] == "2025-03-10T08:30:15.123456+00:00"
    assert raw["regions"] == ["lower_back", "leg_left"]
    assert raw["psfs"] == {"a1": 3, "a2": 10}
    assert raw["worst_24h"] == 7
    account = to_json(SAMPLES[9])
    assert account["role"] == "patient"
    assert to_json(SAMPLES[6])["achieved_on"] == "2025-02-28"


def test_decoded_containers_have_the_declared_types() -> None:
    check_in = from_json(e.CheckIn, to_json(SAMPLES[0]))
    assert isinstance(check_in.regions, tuple)
    assert isinstance(check_in.psfs, dict)
    odi = from_json(e.OdiAnswer, to_json(SAMPLES[7]))
    assert isinstance(odi.sections, tuple)
    assert odi.sections[1] is None
    assert odi.percent == SAMPLES[7].percent
    account = from_json(Account, to_json(SAMPLES[9]))
    assert account.role is Role.PATIENT
    assert isinstance(from_json(e.Milestone, to_json(SAMPLES[6])).achieved_on, date)


def test_optional_none_and_missing_defaults() -> None:
    raw = to_json(SAMPLES[1])
    assert raw["worst_24h"] is None
    assert from_json(e.CheckIn, raw).worst_24h is None
    # Older records without a newer field fall back to the field's default.
    del raw["note"], raw["psfs"]
    restored = from_json(e.CheckIn, raw)
    assert restored.note == "" and restored.psfs == {}


def test_unknown_enum_value_is_refused() -> None:
    raw = to_json(SAMPLES[10])
    raw["role"] = "superuser"
    with pytest.raises(ValueError):
        from_json(Account, raw)


# -- strict decoding, for data from outside (imports) -----------------------------------


@pytest.mark.parametrize("original", SAMPLES, ids=lambda s: type(s).__name__)
def test_strict_decoding_accepts_everything_the_app_writes(original: Any) -> None:
    restored = from_json(type(original), json.loads(json.dumps(to_json(original))),
                         strict=True)
    assert restored == original


@pytest.mark.parametrize(("key", "value", "field"), [
    ("pain_now", "4", "pain_now"),
    ("pain_now", True, "pain_now"),
    ("pain_now", None, "pain_now"),
    ("note", 5, "note"),
    ("regions", "lower_back", "regions"),
    ("regions", ["lower_back", 3], "regions.1"),
    ("psfs", {"a1": "3"}, "psfs.a1"),
    ("recorded_at", "2025-03-10T08:30:15", "recorded_at"),
    ("recorded_at", "yesterday", "recorded_at"),
    ("recorded_at", 1741595415, "recorded_at"),
    ("colour", "red", "colour"),
])
def test_strict_decoding_names_the_field_that_does_not_fit(key: str, value: object,
                                                           field: str) -> None:
    raw = {**to_json(SAMPLES[0]), key: value}
    with pytest.raises(DecodeError) as caught:
        from_json(e.CheckIn, raw, strict=True)
    assert caught.value.field == field


def test_strict_decoding_wants_every_field_without_a_default() -> None:
    raw = to_json(SAMPLES[0])
    del raw["pain_now"]
    with pytest.raises(DecodeError, match="pain_now: is missing"):
        from_json(e.CheckIn, raw, strict=True)
    del raw["note"]  # has a default
    raw["pain_now"] = 4
    assert from_json(e.CheckIn, raw, strict=True).note == ""


def test_strict_decoding_refuses_an_unknown_enum_value_as_a_decode_error() -> None:
    raw = {**to_json(SAMPLES[10]), "role": "superuser"}
    with pytest.raises(DecodeError, match="role: should be one of patient"):
        from_json(Account, raw, strict=True)

"""Mutated FHIR bundles read back by the import (issue 16): it refuses with InvalidInput
or succeeds, never anything else; a refused bundle leaves the store empty; what it
accepts answers every reader (progress, the JSON and FHIR exports).

Each example changes one thing in a real bundle (a value replaced by another JSON value,
a key dropped, an entry copied or dropped, a deeply nested string where JSON is carried)
and imports it into an empty in-memory store. Deterministic for CI (derandomized)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput
from app.main import build_services
from app.services.fhir_import import import_bundle, read_bundle
from app.store.memory import MemoryStore
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.services.test_fhir import fill

PASSWORD = "backtrack-test-pw"
CLOCK = FakeClock()


@pytest.fixture(scope="module")
def original() -> dict[str, Any]:
    services = build_services(FAST_SETTINGS, MemoryStore(), clock=CLOCK)
    try:
        patient = services.accounts.create("alex@example.com", "Alex Morgan", PASSWORD,
                                           Role.PATIENT, timezone="Europe/Dublin")
        therapist = services.accounts.create("taylor@example.com", "Taylor", PASSWORD,
                                             Role.THERAPIST)
        services.access.grant(patient, therapist)
        fill(services, CLOCK, patient, therapist)
        document: dict[str, Any] = json.loads(
            services.exports.export(None, patient.email, "fhir").content)
        return document
    finally:
        services.close()


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside the document."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(item, (*path, index))


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20)
    | st.sampled_from(["", "urn:uuid:00000000-0000-4000-8000-000000000000", "2025-13-40",
                       "72514-3", "entered-in-error", "http://snomed.info/sct", "[[[[]]]]",
                       "[" * 5000 + "]" * 5000, "{\"level\": \"emergency\"}"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=6)


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_bundle_is_refused_or_imported_never_anything_else(
        original: dict[str, Any], data: st.DataObject) -> None:
    document = copy.deepcopy(original)
    paths = [p for p in places(document) if p]
    path = data.draw(st.sampled_from(paths), label="path")
    parent, key = at(document, path[:-1]), path[-1]
    how = data.draw(st.sampled_from(["replace", "drop", "copy-entry", "drop-entry"]),
                    label="how")
    if how == "replace":
        parent[key] = data.draw(json_values, label="value")
    elif how == "drop":
        del parent[key]
    else:
        index = data.draw(st.integers(0, len(document["entry"]) - 1), label="entry")
        if how == "copy-entry":
            document["entry"].append(copy.deepcopy(document["entry"][index]))
        else:
            del document["entry"][index]
    fresh = build_services(FAST_SETTINGS, MemoryStore(), clock=CLOCK)
    try:
        try:
            result = import_bundle(fresh.portability,
                                   read_bundle(json.dumps(document), CLOCK()))
        except InvalidInput:
            assert fresh.accounts.accounts.find() == []
            return
        patient = fresh.accounts.by_email(result.email)
        assert isinstance(patient, Account)
        fresh.progress.summary_of(fresh.logbook.load(patient, patient.id))
        fresh.exports.export(None, patient.id, "json")
        fresh.exports.export(None, patient.id, "fhir")
    finally:
        fresh.close()

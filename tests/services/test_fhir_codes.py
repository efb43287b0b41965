"""assets/fhir/codes.json: every region the app records has its codes, every code names
a source, and a missing, damaged or incomplete file is refused naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.regions import NEEDLING_REGIONS, PAIN_REGIONS
from app.services.fhir_codes import CODES_FILE, FhirCodesError, full_url, load_codes


def test_every_region_has_snomed_and_local_codes() -> None:
    codes = load_codes()
    for key in {**PAIN_REGIONS, **NEEDLING_REGIONS}:
        concept = codes.region_concept(key)
        systems = [c["system"] for c in concept["coding"]]
        assert systems == ["http://snomed.info/sct", codes.system("region")]
        assert codes.region_of(concept) == key
    assert codes.regions["hip_left"].snomed == "29836001:272741003=7771000"
    assert codes.regions["leg_right"].snomed == "61685007:272741003=24028007"
    assert codes.codes["pain_now"].coding() == {
        "system": "http://loinc.org", "code": "72514-3",
        "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}


def test_full_urls_are_stable_uuids() -> None:
    first = full_url("check_in", "abc")
    assert first == full_url("check_in", "abc")
    assert first != full_url("check_in", "abc", "worst_24h") != full_url("soreness", "abc")
    assert first.startswith("urn:uuid:") and len(first) == len("urn:uuid:") + 36


@pytest.mark.parametrize("damage", ["missing", "not json", "a region gone", "no source"])
def test_a_broken_code_table_is_refused_naming_the_file(tmp_path: Path, damage: str) -> None:
    raw = json.loads(CODES_FILE.read_text(encoding="utf-8"))
    path = tmp_path / "codes.json"
    if damage == "not json":
        path.write_text("{", encoding="utf-8")
    elif damage == "a region gone":
        del raw["regions"]["hip_left"]
        path.write_text(json.dumps(raw), encoding="utf-8")
    elif damage == "no source":
        raw["codes"]["pain_now"]["source"] = "hearsay"
        path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(FhirCodesError) as refused:
        load_codes(path)
    assert str(path) in str(refused.value)
    if damage == "a region gone":
        assert "hip_left" in str(refused.value)

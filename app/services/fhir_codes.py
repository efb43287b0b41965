"""The codes BackTrack's FHIR export writes and its import reads, from assets/fhir/codes.json.

Every code lives in that file with its source (LOINC, SNOMED CT, or BackTrack's own local
code system where nothing standard fits); this module only loads and checks it, so the
exporter and the importer read one table and cannot disagree. Also here: the stable
`urn:uuid:` names a record gets in a bundle (derived from BackTrack's own ids, so the
same record has the same fullUrl in every export).

Errors: FhirCodesError when the file is missing or does not cover every body region the
app records (raised when the app starts, before any export).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from app import paths
from app.domain.errors import DomainError
from app.domain.guidance.rulebook import TIERS
from app.domain.regions import NEEDLING_REGIONS, PAIN_REGIONS
from app.domain.scales import ODI_SECTIONS, PGIC_LABELS

CODES_FILE: Final = paths.FHIR_CODES
# The namespace of every fullUrl BackTrack writes: uuid5(namespace, "kind/id/part").
_NAMESPACE: Final = uuid.UUID("6f1c3f0e-3c1b-5e1e-9a43-2b1c0fa9b7d1")


class FhirCodesError(DomainError):
    """assets/fhir/codes.json is missing, damaged or incomplete (a DomainError, like a
    broken rulebook: the command line says so in one line)."""


@dataclass(frozen=True)
class Code:
    system: str  # the code system's URI
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self) -> dict[str, Any]:
        return {"coding": [self.coding()], "text": self.display}


@dataclass(frozen=True)
class Region:
    key: str  # BackTrack's region key, e.g. "hip_left"
    label: str  # the words the patient saw
    snomed: str  # the SNOMED CT concept (or expression, with laterality)
    snomed_display: str


@dataclass(frozen=True)
class FhirCodes:
    fhir_version: str
    systems: dict[str, str]
    codes: dict[str, Code]
    odi_sections: tuple[str, ...]
    regions: dict[str, Region]
    tiers: dict[str, Code]  # the "Is this normal?" answer's tier
    pgic_answers: dict[int, Code]

    def system(self, name: str) -> str:
        return self.systems[name]

    def extension_url(self, name: str) -> str:
        return f"{self.systems['extension']}/{name}"

    def questionnaire_url(self, name: str) -> str:
        return f"{self.systems['questionnaire']}/{name}"

    def region_concept(self, key: str) -> dict[str, Any]:
        """A body region: SNOMED CT first (what a receiving system can map), then the local
        code, with the patient's own words as the text."""
        region = self.regions[key]
        return {"coding": [
            {"system": self.systems["snomed"], "code": region.snomed,
             "display": region.snomed_display},
            {"system": self.systems["region"], "code": key, "display": region.label},
        ], "text": region.label}

    def region_of(self, concept: object) -> str | None:
        """The region key in a concept written by `region_concept`, or None."""
        if not isinstance(concept, dict):
            return None
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("system") == self.systems["region"] \
                    and coding.get("code") in self.regions:
                return str(coding["code"])
        return None


def full_url(kind: str, record_id: str, part: str = "") -> str:
    """The stable `urn:uuid:` of one record (or one part of it, e.g. a check-in's worst
    pain) in every bundle BackTrack writes."""
    return f"urn:uuid:{resource_id(kind, record_id, part)}"


def resource_id(kind: str, record_id: str, part: str = "") -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{record_id}/{part}"))


@cache
def load_codes(path: Path = CODES_FILE) -> FhirCodes:
    """Read and check the code table. Raises FhirCodesError naming the file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return _parse(raw)
    except FileNotFoundError as exc:
        raise FhirCodesError(f"{path} does not exist.") from exc
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FhirCodesError(f"{path} is not usable: {exc}") from exc


def _parse(raw: dict[str, Any]) -> FhirCodes:
    systems = {str(k): str(v) for k, v in raw["systems"].items()}
    sources = raw["sources"]
    codes: dict[str, Code] = {}
    for name, spec in raw["codes"].items():
        if spec["source"] not in sources:
            raise ValueError(f"code {name} names no known source")
        codes[name] = Code(systems[spec["system"]], spec["code"], spec["display"])
    laterality = raw["laterality"]
    labels = {**PAIN_REGIONS, **NEEDLING_REGIONS}
    regions: dict[str, Region] = {}
    for key, spec in raw["regions"].items():
        snomed, display = spec["snomed"], spec["display"]
        if "side" in spec:  # a post-coordinated expression: region : laterality = side
            snomed = f"{snomed}:{laterality['attribute']}={laterality[spec['side']]}"
            display = f"{display} : Laterality = {spec['side'].capitalize()}"
        regions[key] = Region(key, labels.get(key, key), snomed, display)
    missing = sorted(set(labels) - set(regions))
    if missing:
        raise ValueError(f"no codes for the regions {', '.join(missing)}")
    sections = tuple(str(s) for s in raw["odi_sections"])
    if len(sections) != ODI_SECTIONS:
        raise ValueError(f"odi_sections should name {ODI_SECTIONS} sections")
    tiers = {key: Code(systems["guidance_tier"], key, str(label))
             for key, label in raw["guidance_tiers"].items()}
    if set(tiers) != set(TIERS):
        raise ValueError(f"guidance_tiers should be exactly {', '.join(TIERS)}")
    pgic = {int(key): Code(systems["pgic"], key, str(label))
            for key, label in raw["pgic_answers"].items()}
    if set(pgic) != set(PGIC_LABELS):
        raise ValueError("pgic_answers should be the PGIC ratings 1 to 7")
    return FhirCodes(str(raw["fhir_version"]), systems, codes, sections, regions, tiers, pgic)

"""A therapist types the patient's sharing code as they heard or read it."""

from __future__ import annotations

import pytest

from app.domain.accounts import Role
from app.main import Services


@pytest.mark.parametrize("shape", ["spaces", "no_dashes"])
def test_a_code_typed_in_lower_case_with_spaces_or_no_dashes_works(services: Services,
                                                                   shape: str) -> None:
    patient = services.accounts.create("p@example.com", "Pat", "backtrack-test-pw",
                                       Role.PATIENT)
    therapist = services.accounts.create("t@example.com", "Tess", "backtrack-test-pw",
                                         Role.THERAPIST)
    code = services.access.create_invite(patient)
    typed = code.lower().replace("-", " " if shape == "spaces" else "")
    assert services.access.redeem_invite(therapist, typed).id == patient.id
    assert [c.id for c in services.access.granted_clinicians(patient.id)] == [therapist.id]

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.domain.guidance import Rulebook, parse_rulebook

RULEBOOK_PATH = Path(__file__).resolve().parents[3] / "assets" / "guidance" / "rulebook.json"


def raw_rulebook() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RULEBOOK_PATH.read_text(encoding="utf-8"))
    return data


RULEBOOK: Rulebook = parse_rulebook(raw_rulebook())


@pytest.fixture
def rulebook() -> Rulebook:
    return RULEBOOK

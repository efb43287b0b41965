"""Sharing codes: the one-time code a patient gives their therapist, as typed by people.

A code is shown as three groups of four hex characters ("B392-A923-F4F8"). People read it
aloud, copy it from a message or type it on a phone keyboard, so case, spaces and dashes
must not matter: `normalise_code` turns whatever was typed into the shown form. Pure.
"""

from __future__ import annotations

import re

GROUPS = 3
GROUP_CHARS = 4
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.]+")


def format_code(raw_hex: str) -> str:
    """Twelve hex characters in the shown form: upper case, groups joined by dashes."""
    text = raw_hex.upper()
    return "-".join(text[i:i + GROUP_CHARS] for i in range(0, GROUPS * GROUP_CHARS,
                                                            GROUP_CHARS))


def normalise_code(typed: str) -> str:
    """What was typed, in the shown form when it has the right length ("b392 a923 f4f8",
    "b392a923f4f8" → "B392-A923-F4F8"); otherwise upper-cased and stripped (it will not
    match any code, and the caller says the code is not valid)."""
    compact = _SEPARATORS.sub("", typed).upper()
    if len(compact) == GROUPS * GROUP_CHARS:
        return format_code(compact)
    return typed.strip().upper()

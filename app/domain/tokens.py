"""How a secret handed to a person is kept: only its SHA-256 (hex), stored and looked up
by that. One rule for every such secret: calendar feed and unsubscribe links, password
reset links, invitation codes, two-step recovery codes, the sign-out broadcast between tabs.

The secrets are random and long, so a plain digest is enough (no slow hash); the secret
itself is never stored. `surrogatepass`: a URL parameter may carry a lone surrogate, which
must be looked up (and found wanting), not crash the lookup.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def valid_for_words(span: timedelta) -> str:
    """How long a link or code works, in words for its email and screen: '1 hour',
    '72 hours'. Whole hours, from the one constant that also expires it."""
    whole = int(span.total_seconds() // 3600)
    return f"{whole} hour{'s' if whole != 1 else ''}"

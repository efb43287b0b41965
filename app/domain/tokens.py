"""How a secret handed to a person is kept: only its SHA-256 (hex), stored and looked up
by that. One rule for every such secret: calendar feed and unsubscribe links, password
reset links, invitation codes, two-step recovery codes, the sign-out broadcast between tabs.

The secrets are random and long, so a plain digest is enough (no slow hash); the secret
itself is never stored. `surrogatepass`: a URL parameter may carry a lone surrogate, which
must be looked up (and found wanting), not crash the lookup.
"""

from __future__ import annotations

import hashlib


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

"""One typed settings object, read in one place. The only module that reads env vars."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from app import paths


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=paths.default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8550
    open_browser: bool = True
    # Sign-in protection: after this many failures for one email, wait this long.
    max_failed_sign_ins: int = 5
    lockout_minutes: int = 15
    # A signed-in session ends after this much inactivity (BACKTRACK_SESSION_IDLE_MINUTES;
    # a fraction of a minute lets a browser test see it end).
    session_idle_minutes: float = 30
    # Argon2id cost (RFC 9106 second recommended option is 64 MiB, t=3).
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3

    def with_overrides(self, **changes: object) -> Settings:
        clean = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **clean)  # type: ignore[arg-type]


def from_environment() -> Settings:
    """Settings from the environment (FLET_APP_STORAGE_DATA, BACKTRACK_*)."""
    env = os.environ
    settings = Settings()
    data = env.get("FLET_APP_STORAGE_DATA")
    if data:
        settings = replace(settings, data_dir=Path(data))
    if env.get("BACKTRACK_NO_BROWSER") or env.get("CI"):
        settings = replace(settings, open_browser=False)
    idle = env.get("BACKTRACK_SESSION_IDLE_MINUTES")
    if idle:
        settings = replace(settings, session_idle_minutes=_positive(idle,
                                                                    "BACKTRACK_SESSION_IDLE_MINUTES"))
    if env.get("BACKTRACK_FAST_HASH"):  # tests only: cheaper argon2 so suites stay quick
        settings = replace(settings, argon2_memory_kib=1024, argon2_time_cost=1)
    return settings


def _positive(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of minutes, not {text!r}.")
    return value

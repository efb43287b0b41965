"""One typed settings object, read in one place. The only module that reads env vars."""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
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
    # The address patients reach the server at (BACKTRACK_PUBLIC_URL), for links in
    # reminder emails and calendar feed addresses; None: http://host:port (fine on one
    # machine, wrong behind a proxy or when listening on 0.0.0.0).
    public_address: str | None = None
    # How often the server's scheduler looks for due reminders (BACKTRACK_REMINDER_INTERVAL,
    # seconds). A reminder counts as late 15 min after it was due, so a minute leaves room;
    # browser tests set 2 so a "Send now" reminder arrives in seconds.
    reminder_interval_seconds: float = 60
    # HTTPS served by the app itself (--certfile/--keyfile, BACKTRACK_CERTFILE and
    # BACKTRACK_KEYFILE): PEM files, the certificate (chain) and its private key.
    certfile: Path | None = None
    keyfile: Path | None = None
    # Plain HTTP on an address other than loopback (--allow-plain-http,
    # BACKTRACK_ALLOW_PLAIN_HTTP=1): refused unless this is set, and warned about then.
    allow_plain_http: bool = False
    # The shared PostgreSQL store (--database-url, BACKTRACK_DATABASE_URL): several app
    # servers on one database (issue 17). None: the embedded journal in data_dir/storage.
    database_url: str | None = None

    @property
    def tls(self) -> bool:
        return self.certfile is not None or self.keyfile is not None

    @property
    def public_url(self) -> str:
        """The base of every link the app sends out, without a trailing slash."""
        scheme = "https" if self.tls else "http"
        return self.public_address or f"{scheme}://{self.host}:{self.port}"

    def plain_http_exposure(self) -> str | None:
        """Why serving these settings would send passwords and health data unencrypted
        over a network (plain HTTP on an address other than loopback), or None. A reverse
        proxy that adds HTTPS runs on the same machine and reaches the app on loopback,
        so that stays allowed."""
        if self.tls or is_loopback(self.host):
            return None
        return (f"Plain HTTP on {self.host} would send passwords and health data "
                f"unencrypted over the network. Serve HTTPS with --certfile CERT.pem "
                f"--keyfile KEY.pem, or keep --host 127.0.0.1 and put a reverse proxy with "
                f"HTTPS (nginx, Caddy) in front (docs/deploy.md); --allow-plain-http "
                f"overrides this.")

    def with_overrides(self, **changes: object) -> Settings:
        clean = {k: v for k, v in changes.items() if v is not None}
        return replace(self, **clean)  # type: ignore[arg-type]


def from_environment() -> Settings:
    """Settings from the environment (FLET_APP_STORAGE_DATA, BACKTRACK_*). ValueError,
    naming the variable, for a value that makes no sense."""
    env = os.environ
    settings = Settings()
    data = env.get("FLET_APP_STORAGE_DATA")
    if data:
        settings = replace(settings, data_dir=Path(data))
    if env.get("BACKTRACK_NO_BROWSER") or env.get("CI"):
        settings = replace(settings, open_browser=False)
    idle = env.get("BACKTRACK_SESSION_IDLE_MINUTES")
    if idle:
        settings = replace(settings, session_idle_minutes=_positive(
            idle, "BACKTRACK_SESSION_IDLE_MINUTES", "minutes", 0))
    public = env.get("BACKTRACK_PUBLIC_URL")
    if public:
        settings = replace(settings, public_address=public_address(public))
    interval = env.get("BACKTRACK_REMINDER_INTERVAL")
    if interval:
        settings = replace(settings, reminder_interval_seconds=_positive(
            interval, "BACKTRACK_REMINDER_INTERVAL", "seconds", 1))
    certfile, keyfile = env.get("BACKTRACK_CERTFILE"), env.get("BACKTRACK_KEYFILE")
    if certfile:
        settings = replace(settings, certfile=Path(certfile))
    if keyfile:
        settings = replace(settings, keyfile=Path(keyfile))
    if _yes(env.get("BACKTRACK_ALLOW_PLAIN_HTTP", ""), "BACKTRACK_ALLOW_PLAIN_HTTP"):
        settings = replace(settings, allow_plain_http=True)
    url = env.get("BACKTRACK_DATABASE_URL")
    if url:
        settings = replace(settings, database_url=database_url(url, "BACKTRACK_DATABASE_URL"))
    if env.get("BACKTRACK_FAST_HASH"):  # tests only: cheaper argon2 so suites stay quick
        settings = replace(settings, argon2_memory_kib=1024, argon2_time_cost=1)
    return settings


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name: it may resolve to any address
        return False


def _yes(text: str, name: str) -> bool:
    """A yes/no variable: 1/true/yes or 0/false/no/empty."""
    clean = text.strip().lower()
    if clean in ("", "0", "false", "no"):
        return False
    if clean in ("1", "true", "yes"):
        return True
    raise ValueError(f"{name} must be 1 or 0, not {text!r}.")


def public_address(text: str) -> str:
    """An http(s) address with a host (and optionally a port and a path) and nothing
    else, without its trailing slash: links are built by appending paths to it."""
    name = "BACKTRACK_PUBLIC_URL"
    problem = (f"{name} must be the address patients open, like https://backtrack.example.org, "
               f"not {text!r}.")
    clean = text.strip().rstrip("/")
    try:
        parts = urllib.parse.urlsplit(clean)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or any(c in clean for c in "?#@") or not clean.isascii() \
            or any(c.isspace() for c in clean):
        raise ValueError(problem)
    return clean


def database_url(text: str, name: str = "--database-url") -> str:
    """A postgresql:// (or postgres://) address; ValueError naming `name` otherwise. Its
    password, if it has one, never appears in the message (PGPASSWORD or ~/.pgpass keep
    it off the command line altogether)."""
    clean = text.strip()
    scheme = clean.split("://", 1)[0].lower() if "://" in clean else ""
    if scheme not in ("postgresql", "postgres") or len(clean) <= len(scheme) + 3:
        raise ValueError(f"{name} must be a database address like "
                         f"postgresql://user@host:5432/backtrack.")
    return clean


def _positive(text: str, name: str, unit: str, at_least: float) -> float:
    """A number above 0 (`at_least` 0) or at least `at_least`."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value >= at_least and value != float("inf")):
        least = "above 0" if at_least == 0 else f"at least {at_least:g}"
        raise ValueError(f"{name} must be a number of {unit} ({least}), not {text!r}.")
    return value

"""Serving safely beyond this machine: plain HTTP on a network address is refused unless
asked for (and then warned about), a certificate that cannot serve HTTPS is one clear
line, and answers over HTTPS carry HSTS and Secure cookies. The browser test of HTTPS
itself is tests/e2e/test_https.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from app import settings
from app.settings import Settings, is_loopback
from app.ui.server import tls_problem
from app.ui.web import with_https_headers
from tests.e2e.server import REPO, TEST_ENV, free_port, serving

RUN = [sys.executable, "-m", "app", "run", "--no-browser"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A certificate for 127.0.0.1 and its key, and a key of another certificate."""
    folder = tmp_path_factory.mktemp("certs")
    cert = trustme.CA().issue_cert("127.0.0.1", "localhost")
    other = trustme.CA().issue_cert("other.example")
    files = {"cert": folder / "cert.pem", "key": folder / "key.pem",
             "other_key": folder / "other-key.pem"}
    cert.cert_chain_pems[0].write_to_path(str(files["cert"]))
    cert.private_key_pem.write_to_path(str(files["key"]))
    other.private_key_pem.write_to_path(str(files["other_key"]))
    return files


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The command, which must end by itself (the timeout only guards a server that
    started when it should have refused)."""
    return subprocess.run([*RUN, "--data-dir", str(data_dir), *args], cwd=REPO,
                          env={**os.environ, **TEST_ENV}, capture_output=True, text=True,
                          timeout=60)


# -- which addresses are loopback ---------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost",
                                  "LOCALHOST"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)
    assert Settings(host=host).plain_http_exposure() is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5",
                                  "backtrack.clinic.example"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)
    problem = Settings(host=host).plain_http_exposure()
    assert problem is not None and "--certfile" in problem and "reverse proxy" in problem


def test_with_a_certificate_any_address_is_fine(tmp_path: Path) -> None:
    tls = Settings(host="0.0.0.0", certfile=tmp_path / "c.pem", keyfile=tmp_path / "k.pem",
                   port=8443)
    assert tls.plain_http_exposure() is None
    assert tls.public_url == "https://0.0.0.0:8443"


def test_the_environment_gives_the_certificate_and_the_override(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKTRACK_CERTFILE", "/etc/backtrack/cert.pem")
    monkeypatch.setenv("BACKTRACK_KEYFILE", "/etc/backtrack/key.pem")
    monkeypatch.setenv("BACKTRACK_ALLOW_PLAIN_HTTP", "1")
    read = settings.from_environment()
    assert (read.certfile, read.keyfile) == (Path("/etc/backtrack/cert.pem"),
                                             Path("/etc/backtrack/key.pem"))
    assert read.allow_plain_http
    monkeypatch.setenv("BACKTRACK_ALLOW_PLAIN_HTTP", "perhaps")
    with pytest.raises(ValueError, match="BACKTRACK_ALLOW_PLAIN_HTTP"):
        settings.from_environment()


# -- the certificate and key ----------------------------------------------------------------


def test_a_good_certificate_and_key_pass(certs: dict[str, Path]) -> None:
    assert tls_problem(certs["cert"], certs["key"]) is None


def test_bad_certificates_and_keys_are_named(certs: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    assert "does not exist" in str(tls_problem(missing, certs["key"]))
    assert "is not a file" in str(tls_problem(certs["cert"], tmp_path))
    assert "does not belong" in str(tls_problem(certs["cert"], certs["other_key"]))
    assert "could not be loaded" in str(tls_problem(certs["cert"], certs["cert"]))
    assert "both --certfile" in str(tls_problem(certs["cert"], None))


# -- the command --------------------------------------------------------------------------


def test_plain_http_on_every_address_is_refused(tmp_path: Path) -> None:
    done = _run(["--host", "0.0.0.0", "--port", str(free_port())], tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("BackTrack: Plain HTTP on 0.0.0.0")
    assert "--certfile" in done.stderr and "reverse proxy" in done.stderr
    assert "Traceback" not in done.stderr and "running" not in done.stdout
    assert not any(tmp_path.iterdir())  # refused before the store was even opened


def test_a_missing_certificate_is_refused_in_one_line(certs: dict[str, Path],
                                                      tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    done = _run(["--host", "0.0.0.0", "--certfile", str(missing), "--keyfile",
                 str(certs["key"])], tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"BackTrack: The certificate file {missing} does not exist (or " \
                          f"is not a file).\n"


def test_a_key_of_another_certificate_is_refused_in_one_line(certs: dict[str, Path],
                                                             tmp_path: Path) -> None:
    done = _run(["--certfile", str(certs["cert"]), "--keyfile", str(certs["other_key"])],
                tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "does not belong" in done.stderr


@pytest.fixture
def plain_on_every_address(tmp_path: Path) -> Iterator[Path]:
    port = free_port()
    log = tmp_path / "server.log"
    argv = [*RUN, "--data-dir", str(tmp_path / "data"), "--host", "0.0.0.0", "--port",
            str(port), "--allow-plain-http"]
    with serving(argv, log, port):
        yield log


def test_plain_http_can_be_allowed_and_is_warned_about(plain_on_every_address: Path) -> None:
    log = plain_on_every_address.read_text()
    assert "BackTrack: warning: serving plain HTTP on 0.0.0.0" in log
    assert "running at http://0.0.0.0:" in log


# -- HSTS and Secure cookies over HTTPS -------------------------------------------------


def _answer_headers(scheme: str, headers: list[tuple[bytes, bytes]]) -> dict[bytes, list[bytes]]:
    sent: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        sent.append(message)

    async def answer() -> None:
        scope = {"type": "http", "scheme": scheme, "path": "/", "headers": []}
        await with_https_headers(inner)(scope, receive, send)

    asyncio.run(answer())
    found: dict[bytes, list[bytes]] = {}
    for key, value in sent[0]["headers"]:
        found.setdefault(key, []).append(value)
    return found


def test_answers_over_https_carry_hsts_and_secure_cookies() -> None:
    found = _answer_headers("https", [(b"set-cookie", b"a=1; Path=/"),
                                      (b"set-cookie", b"b=2; Secure; HttpOnly"),
                                      (b"strict-transport-security", b"max-age=1")])
    assert found[b"strict-transport-security"] == [b"max-age=31536000"]
    assert found[b"set-cookie"] == [b"a=1; Path=/; Secure", b"b=2; Secure; HttpOnly"]


def test_answers_over_plain_http_are_unchanged() -> None:
    found = _answer_headers("http", [(b"set-cookie", b"a=1; Path=/")])
    assert b"strict-transport-security" not in found
    assert found[b"set-cookie"] == [b"a=1; Path=/"]

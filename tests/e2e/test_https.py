"""HTTPS served by the app itself (`run --certfile --keyfile`): a phone's browser signs
in over it, and the answers tell browsers to stay on HTTPS.

The certificate comes from a throwaway CA (trustme) for 127.0.0.1 and localhost. Chromium
is not told to ignore certificate errors: it is launched trusting exactly this
certificate's public key (`--ignore-certificate-errors-spki-list`, which pins one key and
still refuses every other certificate; a browser launched without it refuses this one,
which the second test shows). Python's ssl, trusting only the CA, checks the chain and
the name separately and reads the headers.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import socket
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import CHROMIUM
from tests.e2e.flutter import CHROMIUM_ARGS, PHONE, fresh_page
from tests.e2e.server import REPO, demo_server, free_port, serving
from tests.e2e.test_sign_in import sign_in


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory,
                 cert: trustme.LeafCert) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("https")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    store = folder / "store"
    store.mkdir()
    with demo_server(store, args=["--certfile", str(certfile),
                                             "--keyfile", str(keyfile)],
                     scheme="https") as url:
        yield url


def _spki_hash(cert: trustme.LeafCert) -> str:
    """base64 SHA-256 of the certificate's public key, the form Chromium pins."""
    leaf = x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes())
    spki = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture(scope="module")
def browsers(cert: trustme.LeafCert) -> Iterator[tuple[Browser, Browser]]:
    """Chromium that trusts this test certificate's key (and no other untrusted one),
    and a plain one, from one Playwright (two in one thread are refused)."""
    with sync_playwright() as p:
        trusting = p.chromium.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={_spki_hash(cert)}"])
        plain = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield trusting, plain
        plain.close()
        trusting.close()


def test_a_patient_signs_in_over_https(browsers: tuple[Browser, Browser],
                                       https_server: str) -> None:
    assert https_server.startswith("https://127.0.0.1:")
    with fresh_page(browsers[0], https_server, PHONE) as page:
        assert page.evaluate("location.protocol") == "https:"
        sign_in(page, "alex@example.com")
        expect(page.get_by_text("Hello, Alex")).to_be_visible(timeout=15_000)


def test_a_browser_that_does_not_trust_the_certificate_refuses_it(
        browsers: tuple[Browser, Browser], https_server: str) -> None:
    """The pin above is what makes Chromium accept it: certificate checks are on."""
    context = browsers[1].new_context()
    try:
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            context.new_page().goto(https_server)
    finally:
        context.close()


def test_answers_over_https_tell_browsers_to_stay_on_https(ca: trustme.CA,
                                                           https_server: str) -> None:
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)  # only this CA: the chain and the name 127.0.0.1 checked
    with urllib.request.urlopen(https_server + "/", context=trusting, timeout=30) as answer:
        assert answer.status == 200
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "frame-ancestors 'self'" in answer.headers["Content-Security-Policy"]
    untrusting = ssl.create_default_context(cafile=None)
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(https_server + "/", context=untrusting, timeout=30)



# -- behind nginx, with the configuration docs/deploy.md gives ------------------------------

NGINX = "/usr/sbin/nginx"
DEPLOY = REPO / "docs" / "deploy.md"


def _documented_nginx_config() -> str:
    """The ```nginx block of docs/deploy.md, exactly as a clinic would copy it."""
    text = DEPLOY.read_text()
    start = text.index("```nginx\n") + len("```nginx\n")
    return text[start:text.index("```", start)]


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"docs/deploy.md's nginx block no longer has {old!r}"
    return text.replace(old, new)


@contextmanager
def _nginx(folder: Path, certfile: Path, keyfile: Path, app_url: str) -> Iterator[str]:
    """nginx (Debian's) with the documented block on free loopback ports; yields the
    HTTPS address. Only listening addresses, the certificate's paths and the app's
    port are changed."""
    https_port, http_port = free_port(), free_port()
    block = _documented_nginx_config()
    for old, new in (("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("listen [::]:443 ssl;", ""),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen [::]:80;", ""),
                     ("/etc/ssl/backtrack/fullchain.pem", str(certfile)),
                     ("/etc/ssl/backtrack/privkey.pem", str(keyfile)),
                     ("http://127.0.0.1:8550", app_url)):
        block = _replaced(block, old, new)
    temp = " ".join(f"{kind}_temp_path {folder / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = folder / "nginx.conf"
    # Workers run as this user (as root, nginx would switch them to nobody, who cannot
    # reach pytest's private temporary folder to buffer the big client files).
    conf.write_text(f"user {pwd.getpwuid(os.getuid()).pw_name};\n"
                    f"worker_processes 1;\npid {folder / 'nginx.pid'};\n"
                    f"events {{ worker_connections 64; }}\n"
                    f"http {{\naccess_log off;\n{temp}\n{block}\n}}\n")
    argv = [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"),
            "-g", "daemon off;"]
    with serving(argv, folder / "nginx.out", https_port, scheme="https") as url:
        yield url


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory, cert: trustme.LeafCert) -> Iterator[str]:
    """The app on loopback, plain HTTP, with nginx in front holding the certificate."""
    if not Path(NGINX).exists():
        pytest.fail(f"nginx not found at {NGINX}: run `bash .ci/bootstrap --browser`")
    folder = tmp_path_factory.mktemp("proxy")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    store = folder / "store"
    store.mkdir()
    with demo_server(store) as app_url, _nginx(folder, certfile, keyfile, app_url) as url:
        yield url


def test_a_patient_signs_in_through_the_documented_nginx(browsers: tuple[Browser, Browser],
                                                        proxied: str) -> None:
    """Flet's websocket goes through the proxy's upgrade, or nothing would draw."""
    with fresh_page(browsers[0], proxied, PHONE) as page:
        assert page.evaluate("location.protocol") == "https:"
        sign_in(page, "alex@example.com")
        expect(page.get_by_text("Hello, Alex")).to_be_visible(timeout=15_000)


def test_the_app_behind_nginx_knows_it_is_served_over_https(ca: trustme.CA,
                                                           proxied: str) -> None:
    """HSTS comes from the app, which trusts nginx's X-Forwarded-Proto from loopback."""
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    with urllib.request.urlopen(proxied + "/", context=trusting, timeout=30) as answer:
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"


ECHO_SERVER = """
import sys
from app.ui.server import server_config
import uvicorn

async def echo(scope, receive, send):  # answers with the client's address as it sees it
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body",
                "body": f"{scope['client'][0]} {scope['scheme']}".encode()})

uvicorn.Server(server_config(echo, "127.0.0.1", int(sys.argv[1]))).run()
"""


def _ask_from(source: str, url: str, forwarded_for: str) -> str:
    """GET / over TLS from `source` (a loopback address) with a forged X-Forwarded-For."""
    host, port = url.removeprefix("https://").rsplit(":", 1)
    context = ssl._create_unverified_context()  # the address is the point here, not the name
    with socket.create_connection((host, int(port)), source_address=(source, 0)) as raw, \
            context.wrap_socket(raw) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {forwarded_for}\r\n"
                    f"Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := tls.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = body.split(b"\r\n")[1]
    return body.decode()


def test_behind_nginx_the_app_sees_the_phones_address(tmp_path: Path,
                                                      cert: trustme.LeafCert) -> None:
    """What docs/deploy.md says about sign-in pauses behind the proxy: the app's server
    settings (`server_config`) with the documented block in front see the address the
    request came from (two different loopback addresses here), and a forged
    X-Forwarded-For from the phone changes nothing."""
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    port = free_port()
    echo = [sys.executable, "-c", ECHO_SERVER, str(port)]
    with serving(echo, tmp_path / "echo.log", port) as app_url, \
            _nginx(tmp_path, certfile, keyfile, app_url) as url:
        assert _ask_from("127.0.0.2", url, "203.0.113.9") == "127.0.0.2 https"
        assert _ask_from("127.0.0.3", url, "203.0.113.9") == "127.0.0.3 https"

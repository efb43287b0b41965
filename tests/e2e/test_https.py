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
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import CHROMIUM
from tests.e2e.flutter import CHROMIUM_ARGS, PHONE, fresh_page
from tests.e2e.server import demo_server
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


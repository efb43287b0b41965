"""UI load and check-in latency of the patient app with two years of data (a benchmark,
not a test: it prints numbers).

Run from the repository root:

    .venv/bin/python -m bench.ui_load [--loads 10] [--navs 3] [--saves 30] [--days 730]

What it does:
1. Builds a data folder through the real services (bench/history.py): the demo clinic plus
   one patient (robin@example.com) with `--days` days of check-ins, weekly needling
   sessions, soreness readings and milestones. A copy is kept for in-process timings.
2. Starts the real server (`python -m app run --no-browser ...`, BACKTRACK_FAST_HASH=1, as
   tests/e2e/conftest.py does) and a minimal one-button Flet app, each as a subprocess.
3. Drives both in headless Chromium (Playwright, tests/e2e/flutter.py's CHROMIUM_ARGS),
   a fresh browser context per cold load, phone viewport 412x915.
4. Times the server-side parts in-process on the copy (Logbook.load, Logbook.check_in,
   building the Today view) to split the browser numbers into server vs the rest.

How "interactive" is measured: an init script in the page watches the DOM (a
MutationObserver) and records performance.now() when the named controls first exist in
Flutter's accessibility tree (flt-semantics). It turns that tree on by clicking
flt-semantics-placeholder as soon as it exists, the same way for both apps (the tests do
it too; a screen reader user's browser does the equivalent). Cold-load times are counted
from navigation start (performance.timeOrigin); interaction times from the DOM `click`
event Playwright's tap produces to the frame in which the expected controls appear. No
Playwright polling delay is in any number.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # also runnable as `python bench/ui_load.py`
    sys.path.insert(0, str(REPO))

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright  # noqa: E402

from bench.history import EMAIL, NAME, PASSWORD, build_history, settings_for  # noqa: E402
from tests.e2e.flutter import CHROMIUM_ARGS  # noqa: E402
from tests.e2e.server import free_port, serving  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 412, "height": 915}  # the patient's phone, as in the e2e tests
WAIT_MS = 30_000
FIRST_NAME = NAME.split()[0]
CONFIRMATION = "Check-in saved. Thank you!"
FAILURE_SHOT = Path(tempfile.gettempdir()) / "backtrack-ui-load-failure.png"

LOAD_RATIO_TARGET = 1.5
SAVE_P95_TARGET_MS = 150.0

MINIMAL_APP = '''
import sys

import flet as ft


def main(page: ft.Page) -> None:
    page.title = "Minimal"
    taps = 0

    def tapped(_: object) -> None:
        nonlocal taps
        taps += 1
        button.content = f"Tapped {taps}"
        page.update()

    button = ft.Button("Tap me", on_click=tapped)
    page.add(button)


ft.run(main, host="127.0.0.1", port=int(sys.argv[1]), view=None, no_cdn=True)
'''

# Installed into every page before its own scripts run. `targets` are controls to wait
# for: {"name", "text" (or a list of alternatives), "role"?}; a control is present when an
# element of the semantics tree has that aria-label, or no child elements and that text
# (and the role, if given).
WATCHER_JS = """
(() => {
  const bt = window.__bt = {marks: {}, targets: %s, found: {}, armedAt: 0, clickAt: null,
                            sawLoading: false, sent: [], received: []};
  // Timestamp the Flet websocket's traffic (the client's events out, the server's patches
  // in) to split an interaction into client input, server + wire, and client rendering.
  const NativeWebSocket = window.WebSocket;
  class TimedWebSocket extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => bt.received.push(performance.now()));
    }
    send(data) { bt.sent.push(performance.now()); return super.send(data); }
  }
  window.WebSocket = TimedWebSocket;
  const present = (host, t) => {
    const texts = Array.isArray(t.text) ? t.text : [t.text];
    for (const el of host.querySelectorAll('*')) {
      if (t.role && el.getAttribute('role') !== t.role) continue;
      if (texts.includes(el.getAttribute('aria-label'))) return true;
      if (el.childElementCount === 0 && texts.includes(el.textContent.trim())) return true;
    }
    return false;
  };
  const scan = () => {
    const now = performance.now();
    if (document.getElementById('loading')) bt.sawLoading = true;
    else if (bt.sawLoading && bt.marks.firstFrame === undefined) bt.marks.firstFrame = now;
    if (bt.marks.semanticsOn === undefined) {
      const placeholder = document.querySelector('flt-semantics-placeholder');
      if (placeholder) { placeholder.click(); bt.marks.semanticsOn = now; }
    }
    const pending = bt.targets.filter(t => bt.found[t.name] === undefined);
    if (!pending.length) return;
    const host = document.querySelector('flt-semantics-host');
    if (!host) return;
    for (const t of pending) if (present(host, t)) bt.found[t.name] = now;
  };
  bt.arm = (targets) => {
    bt.targets = targets; bt.found = {}; bt.armedAt = performance.now(); bt.clickAt = null;
    bt.sent = []; bt.received = [];
    scan();
  };
  bt.has = (t) => {
    const host = document.querySelector('flt-semantics-host');
    return host !== null && present(host, t);
  };
  bt.done = () => bt.targets.every(t => bt.found[t.name] !== undefined);
  bt.result = () => {
    const doneAt = Math.max(...Object.values(bt.found));
    const after = bt.clickAt === null ? bt.armedAt : bt.clickAt;
    const sent = bt.sent.filter(t => t >= after && t <= doneAt);
    const received = bt.received.filter(t => t >= after && t <= doneAt);
    return {marks: bt.marks, found: bt.found, clickAt: bt.clickAt, doneAt,
            firstSent: sent.length ? sent[0] : null,
            lastReceived: received.length ? received[received.length - 1] : null};
  };
  // The tap starts at the first of these after arm() (Flutter may swallow some of them).
  for (const type of ['pointerdown', 'mousedown', 'click']) {
    window.addEventListener(type, () => {
      if (bt.clickAt === null) { bt.clickAt = performance.now(); bt.tapEvent = type; }
    }, true);
  }
  new MutationObserver(scan).observe(document, {subtree: true, childList: true,
                                                attributes: true, characterData: true});
})();
"""


Target = dict[str, str | list[str]]


def target(name: str, text: str | list[str], role: str | None = None) -> Target:
    return {"name": name, "text": text, **({"role": role} if role else {})}


MINIMAL_READY = [target("button", "Tap me", "button")]
SIGN_IN_READY = [target("email", "Email"), target("sign_in", "Sign in", "button")]
CHECK_IN_READY = [target("pain", f"Pain right now: {5}", "button"),
                  target("save", "Save check-in", "button")]


# The Today screen: the greeting and the check-in action are both there (before today's
# first check-in the card offers "Check in now", after it "Check in again").
HOME_READY = [target("hello", f"Hello, {FIRST_NAME}"),
              target("check_in", ["Check in now", "Check in again"], "button")]


# --- statistics and output -----------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with 10 samples p95 is the slowest one)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


@dataclass
class Series:
    label: str
    values: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        return pct(self.values, 0.95)

    def row(self) -> str:
        return (f"  {self.label:<58} {self.p50:8.1f} {self.p95:8.1f} "
                f"{min(self.values):8.1f} {max(self.values):8.1f} {len(self.values):5d}")


def header(title: str) -> str:
    return (f"\n{title}\n  {'':<58} {'p50 ms':>8} {'p95 ms':>8} {'min':>8} {'max':>8} "
            f"{'n':>5}")


def timed(fn: Callable[[], object], samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


# --- processes -----------------------------------------------------------------------------


# --- the browser side ----------------------------------------------------------------------


def new_page(browser: Browser, targets: list[Target]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.add_init_script(WATCHER_JS % json.dumps(targets))
    return context, context.new_page()


def wait_done(page: Page) -> dict[str, Any]:
    page.wait_for_function("() => window.__bt && window.__bt.done()", polling=20,
                           timeout=WAIT_MS)
    result: dict[str, Any] = page.evaluate("() => window.__bt.result()")
    return result


def cold_load(browser: Browser, url: str,
              targets: list[Target]) -> tuple[BrowserContext, Page, dict[str, float]]:
    """Navigate a fresh context; return ms from navigation start to first frame and to the
    targets being in the accessibility tree."""
    context, page = new_page(browser, targets)
    page.goto(url, wait_until="commit")
    result = wait_done(page)
    marks = {"first_frame": float(result["marks"].get("firstFrame", float("nan"))),
             "interactive": float(result["doneAt"])}
    return context, page, marks


@dataclass(frozen=True)
class Tap:
    """One interaction, ms: total = to_send + server + render (in-page clock)."""

    total: float
    to_send: float  # DOM click -> the client's first websocket message
    server: float  # -> the last websocket message in before the screen was there
    render: float  # -> the frame in which the expected controls are in the a11y tree


def tap_and_wait(page: Page, tap: Callable[[], None], targets: list[Target]) -> Tap:
    """Time from the DOM click of `tap` to the frame where all `targets` are present."""
    # The previous screen may still be leaving (a route transition keeps it in the tree
    # for a few frames): wait until the controls we wait for are gone.
    page.wait_for_function("(t) => !window.__bt.has(t)", arg=targets[-1], polling=20,
                           timeout=WAIT_MS)
    page.evaluate("(t) => window.__bt.arm(t)", targets)
    if page.evaluate("() => window.__bt.done()"):
        raise RuntimeError(f"{targets} were already on screen before the tap")
    tap()
    try:
        result = wait_done(page)
    except Exception:
        page.screenshot(path=FAILURE_SHOT)
        raise RuntimeError(f"{targets} did not appear; screenshot in {FAILURE_SHOT}") from None
    if result["clickAt"] is None:
        raise RuntimeError("the tap produced no click event")
    click, done = float(result["clickAt"]), float(result["doneAt"])
    sent = float(result["firstSent"]) if result["firstSent"] is not None else click
    received = float(result["lastReceived"]) if result["lastReceived"] is not None else done
    return Tap(done - click, sent - click, received - sent, done - received)


def tab(page: Page, label: str) -> Callable[[], None]:
    return lambda: page.get_by_role("tab", name=label, exact=True).click()


def button(page: Page, name: str) -> Callable[[], None]:
    return lambda: page.get_by_role("button", name=name, exact=True).click()


def sign_in(page: Page) -> Tap:
    """Type the credentials (untimed), then time the Sign in tap to home interactive."""
    time.sleep(0.7)  # autofocus lands a moment after the first frame (see flutter.py)
    for label, text in (("Email", EMAIL), ("Password", PASSWORD)):
        # With the accessibility tree on, Flutter edits in the semantics <input> itself.
        # Typing before the field has taken focus can be lost: check, and type again.
        field = page.get_by_label(label, exact=True)  # not "Show password"
        for _ in range(5):
            field.click()
            field.fill(text)
            time.sleep(0.1)
            if field.input_value() == text:
                break
        else:
            raise RuntimeError(f"could not type into {label}")
    return tap_and_wait(page, button(page, "Sign in"), HOME_READY)


@dataclass
class BrowserResults:
    minimal_cold: list[float] = field(default_factory=list)
    minimal_first_frame: list[float] = field(default_factory=list)
    minimal_tap: list[Tap] = field(default_factory=list)
    app_cold: list[float] = field(default_factory=list)
    app_first_frame: list[float] = field(default_factory=list)
    app_sign_in: list[Tap] = field(default_factory=list)
    app_cold_to_home: list[float] = field(default_factory=list)
    app_tab_today: list[Tap] = field(default_factory=list)
    app_tab_check_in: list[Tap] = field(default_factory=list)
    pick_score: list[Tap] = field(default_factory=list)
    save: list[Tap] = field(default_factory=list)
    save_wall: list[float] = field(default_factory=list)


def run_browser(app_url: str, minimal_url: str, loads: int, navs: int,
                saves: int) -> BrowserResults:
    r = BrowserResults()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Warm-up (not counted): the first load of each app pays for disk reads and
            # Python imports on the server side.
            for url, ready in ((minimal_url, MINIMAL_READY), (app_url, SIGN_IN_READY)):
                context, _, _ = cold_load(browser, url, ready)
                context.close()
            for i in range(loads):
                order = [minimal_url, app_url]
                for url in order if i % 2 == 0 else reversed(order):
                    if url == minimal_url:
                        measure_minimal(browser, url, navs, r)
                    else:
                        measure_app(browser, url, navs, r)
            save_latency(browser, app_url, saves, r)
        finally:
            browser.close()
    return r


def measure_minimal(browser: Browser, url: str, navs: int, r: BrowserResults) -> None:
    context, page, marks = cold_load(browser, url, MINIMAL_READY)
    try:
        r.minimal_cold.append(marks["interactive"])
        r.minimal_first_frame.append(marks["first_frame"])
        for n in range(1, navs + 1):
            r.minimal_tap.append(tap_and_wait(
                page, button(page, "Tap me" if n == 1 else f"Tapped {n - 1}"),
                [target("tapped", f"Tapped {n}", "button")]))
    finally:
        context.close()


def measure_app(browser: Browser, url: str, navs: int, r: BrowserResults) -> None:
    context, page, marks = cold_load(browser, url, SIGN_IN_READY)
    try:
        r.app_cold.append(marks["interactive"])
        r.app_first_frame.append(marks["first_frame"])
        signed = sign_in(page)
        r.app_sign_in.append(signed)
        r.app_cold_to_home.append(marks["interactive"] + signed.total)
        for _ in range(navs):
            r.app_tab_check_in.append(tap_and_wait(page, tab(page, "Check in"), CHECK_IN_READY))
            r.app_tab_today.append(tap_and_wait(page, tab(page, "Today"), HOME_READY))
    finally:
        context.close()


@dataclass(frozen=True)
class CheckInTimes:
    """One check-in from the patient's side (bench/reminders_ui.py uses it too)."""

    pick: Tap  # tap a pain score -> shown selected
    save: Tap  # tap Save check-in -> the confirmation (in-page clock)
    save_wall_ms: float  # the same, Playwright's wall clock (incl. its click checks)
    save_clicked: float  # time.time() just before the Save tap, to place it in a run


def check_in_once(page: Page, score: int) -> CheckInTimes:
    """Open the check-in form, tap `score`, time Save, and go back to Today."""
    tap_and_wait(page, tab(page, "Check in"), CHECK_IN_READY)
    pick = tap_and_wait(page, button(page, f"Pain right now: {score}"),
                        [target("picked", f"Pain right now: {score} (selected)", "button")])
    clicked, start = time.time(), time.perf_counter()
    save = tap_and_wait(page, button(page, "Save check-in"), [target("saved", CONFIRMATION)])
    wall = (time.perf_counter() - start) * 1000
    # Leave the confirmation so the next save's confirmation is a new one.
    page.get_by_role("button", name="Back to Today", exact=True).click()
    page.wait_for_function("(t) => !window.__bt.has(t)", arg=target("", CONFIRMATION),
                           polling=20, timeout=WAIT_MS)
    return CheckInTimes(pick, save, wall, clicked)


def save_latency(browser: Browser, url: str, saves: int, r: BrowserResults) -> None:
    """Check in `saves` times: open the form, tap a pain score, then time Save."""
    context, page, _ = cold_load(browser, url, SIGN_IN_READY)
    try:
        sign_in(page)
        for i in range(saves):
            times = check_in_once(page, i % 11)
            r.pick_score.append(times.pick)
            r.save.append(times.save)
            r.save_wall.append(times.save_wall_ms)
    finally:
        context.close()


# --- the server side, in-process -----------------------------------------------------------


class _StubShell:
    """Just enough of app.ui.shell.Shell for a screen builder (no page, no browser)."""

    def __init__(self, services: Any, account: Any) -> None:
        self.services = services
        self._account = account
        self.is_wide = False
        self.page = None
        self.query: dict[str, str] = {}

    def require_account(self) -> Any:
        return self._account

    def go(self, route: str) -> None:
        pass

    def sign_out(self) -> None:
        pass


def count_controls(root: object) -> int:
    """Controls in a built view (walks the dataclass fields of Flet 1.0 controls)."""
    import dataclasses

    import flet as ft

    seen = 0
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if not isinstance(node, ft.BaseControl):
            continue
        seen += 1
        for f in dataclasses.fields(node):
            value = getattr(node, f.name, None)
            if isinstance(value, ft.BaseControl | list | tuple):
                stack.append(value)
    return seen


@dataclass
class ServerResults:
    load: list[float]
    check_in: list[float]
    today_build: list[float]
    check_in_build: list[float]
    today_controls: int
    check_in_controls: int
    argon2_verify_production: float
    counts: dict[str, int]


def run_in_process(data_dir: Path, samples: int) -> ServerResults:
    from argon2 import PasswordHasher

    from app.main import build_services
    from app.settings import Settings
    from app.ui.screens import checkin as checkin_screen
    from app.ui.screens import today as today_screen

    services = build_services(settings_for(data_dir))
    try:
        account = services.accounts.by_email(EMAIL)
        assert account is not None
        logbook = services.logbook
        data = logbook.load(account, account.id)
        counts = {"check-ins": len(data.check_ins), "sessions": len(data.sessions),
                  "soreness": len(data.soreness), "milestones": len(data.milestones),
                  **{f"store {k}": v for k, v in services.store.stats().items()  # type: ignore[attr-defined]
                     if k in ("records", "versions")}}
        shell = _StubShell(services.screens, account)  # what the screens are given
        load = timed(lambda: logbook.load(account, account.id), samples)
        today_build = timed(lambda: today_screen.build(shell), samples)  # type: ignore[arg-type]
        check_in_build = timed(lambda: checkin_screen.build(shell), samples)  # type: ignore[arg-type]
        today_controls = count_controls(today_screen.build(shell))  # type: ignore[arg-type]
        check_in_controls = count_controls(checkin_screen.build(shell))  # type: ignore[arg-type]
        psfs = {a.id: 5 for a in data.activities}
        check_in = timed(lambda: logbook.check_in(account, account.id, pain_now=3, worst_24h=4,
                                                  regions=["lower_back"], psfs=psfs, note=""),
                         samples)
    finally:
        services.close()
    production = Settings()
    hasher = PasswordHasher(time_cost=production.argon2_time_cost,
                            memory_cost=production.argon2_memory_kib)
    hashed = hasher.hash(PASSWORD)
    verify = statistics.median(timed(lambda: hasher.verify(hashed, PASSWORD), 3))
    return ServerResults(load, check_in, today_build, check_in_build, today_controls,
                         check_in_controls, verify, counts)


# --- report --------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def totals(taps: list[Tap]) -> list[float]:
    return [t.total for t in taps]


def report(b: BrowserResults, s: ServerResults, days: int) -> None:
    load1, load5, _ = os.getloadavg()
    print(f"\nMachine: {os.cpu_count()} CPUs, load average {load1:.1f} (1 min) / {load5:.1f} "
          f"(5 min) at the end of the run; other work on the machine inflates every number")
    print(f"Data: {days} days for {EMAIL}: " + ", ".join(f"{v} {k}" for k, v in
                                                       s.counts.items()))
    print(header("Browser (headless Chromium, phone viewport), in-page clock"))
    for series in (
        Series("minimal app: navigation -> first frame", b.minimal_first_frame),
        Series("minimal app: navigation -> button interactive", b.minimal_cold),
        Series("BackTrack: navigation -> first frame", b.app_first_frame),
        Series("BackTrack: navigation -> sign-in screen interactive", b.app_cold),
        Series("BackTrack: tap Sign in -> home interactive", totals(b.app_sign_in)),
        Series("BackTrack: navigation -> home interactive (no typing time)",
               b.app_cold_to_home),
        Series("minimal app: tap -> button updated (one round trip)", totals(b.minimal_tap)),
        Series("BackTrack: Today tab -> home interactive", totals(b.app_tab_today)),
        Series("BackTrack: Check in tab -> check-in form interactive",
               totals(b.app_tab_check_in)),
        Series("BackTrack: tap a pain score -> shown selected", totals(b.pick_score)),
        Series("BackTrack: tap Save check-in -> confirmation shown", totals(b.save)),
        Series("  same, Playwright wall clock (incl. its click checks)", b.save_wall),
    ):
        print(series.row())

    print("\nWhere an interaction's time goes (p50 ms): click -> first websocket message out "
          "| -> last\nmessage in (server work, wire, and any client hop such as a route "
          "change) | -> frame with the controls")
    print(f"  {'':<58} {'total':>8} {'to send':>8} {'server':>8} {'render':>8}")
    for label, taps in (("minimal app: tap", b.minimal_tap),
                        ("BackTrack: sign in -> home", b.app_sign_in),
                        ("BackTrack: Today tab", b.app_tab_today),
                        ("BackTrack: Check in tab", b.app_tab_check_in),
                        ("BackTrack: pick a pain score", b.pick_score),
                        ("BackTrack: save check-in", b.save)):
        med = [statistics.median([getattr(t, f) for t in taps])
               for f in ("total", "to_send", "server", "render")]
        print(f"  {label:<58} " + " ".join(f"{m:8.1f}" for m in med))

    print(header("Server side, in-process on a copy of the same store"))
    for series in (
        Series("Logbook.load (one read of the patient's whole record)", s.load),
        Series(f"Today view build ({s.today_controls} controls)", s.today_build),
        Series(f"Check-in form build ({s.check_in_controls} controls)", s.check_in_build),
        Series("Logbook.check_in (validate + fsynced append)", s.check_in),
    ):
        print(series.row())
    print(f"  argon2 verify with production settings (64 MiB, t=3): "
          f"{s.argon2_verify_production:.0f} ms (the bench server uses the fast test hash)")

    def ratio(a: list[float], m: list[float]) -> tuple[float, float]:
        return statistics.median(a) / statistics.median(m), pct(a, 0.95) / pct(m, 0.95)

    cold = ratio(b.app_cold, b.minimal_cold)
    home = ratio(b.app_cold_to_home, b.minimal_cold)
    tab_nav = ratio(totals(b.app_tab_today), totals(b.minimal_tap))
    save = totals(b.save)
    save_p95 = pct(save, 0.95)
    print("\nTargets")
    print(f"  {'':<58} {'p50':>8} {'p95':>8}  result (p50 ratio / p95 ms)")
    rows = (
        ("sign-in screen interactive vs minimal app (<= 1.5x)", cold,
         verdict(cold[0] <= LOAD_RATIO_TARGET)),
        ("navigation -> home, via sign-in, vs minimal app (<= 1.5x)", home,
         verdict(home[0] <= LOAD_RATIO_TARGET)),
        ("Today tab vs minimal app's tap round trip (no target)", tab_nav, "-"),
    )
    for label, (p50, p95), result in rows:
        print(f"  {label:<58} {p50:7.2f}x {p95:7.2f}x  {result}")
    print(f"  {'save -> confirmation, p95 (<= 150 ms)':<58} {statistics.median(save):6.0f}ms "
          f"{save_p95:6.0f}ms  {verdict(save_p95 <= SAVE_P95_TARGET_MS)}")
    print(f"    server share: Logbook.check_in p50 {statistics.median(s.check_in):.1f} ms; "
          f"the save then re-opens Today (build p50 {statistics.median(s.today_build):.0f} ms)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--loads", type=int, default=10, help="cold loads per app")
    parser.add_argument("--navs", type=int, default=3, help="tab round trips per load")
    parser.add_argument("--saves", type=int, default=30, help="timed check-in saves")
    parser.add_argument("--days", type=int, default=730, help="days of history")
    parser.add_argument("--samples", type=int, default=30, help="in-process samples")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="backtrack-ui-load-"))
    started = time.perf_counter()
    try:
        data_dir, copy_dir = root / "data", root / "in-process"
        stats = build_history(data_dir, days=args.days)
        print(f"Built {args.days} days of history in {stats.seconds:.1f} s ({root})", flush=True)
        shutil.copytree(data_dir, copy_dir)
        server = run_in_process(copy_dir, args.samples)
        minimal_file = root / "minimal_app.py"
        minimal_file.write_text(MINIMAL_APP)
        env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1",
               "PYTHONUNBUFFERED": "1"}
        env.pop("DISPLAY", None)
        app_port, minimal_port = free_port(), free_port()
        with serving([sys.executable, "-m", "app", "run", "--no-browser", "--data-dir",
                      str(data_dir), "--port", str(app_port)], root / "app.log", app_port,
                     env) as app_url, \
                serving([sys.executable, str(minimal_file), str(minimal_port)],
                        root / "minimal.log", minimal_port, env) as minimal_url:
            print("Servers up; measuring in Chromium …", flush=True)
            browser = run_browser(app_url, minimal_url, args.loads, args.navs, args.saves)
        report(browser, server, args.days)
        print(f"\nTotal run time {time.perf_counter() - started:.0f} s")
    finally:
        if args.keep:
            print(f"Kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

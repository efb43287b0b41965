"""Server CPU of one check-in cycle, in-process and without a network: the number
bench/capacity.py divides out of /proc, measured here on one quiet session so a change
to a screen can be judged in seconds, even on a machine others are loading.

    .venv/bin/python -m bench.cycle_cpu [--cycles 40] [--flet-as-shipped]

A real Flet Session and Page run the real Shell on the real services (a fresh demo
clinic plus one patient with three activities); the "connection" encodes every message
as FletApp.send_message does (the same function, installed speed-ups or not) and answers
the page's calls as the browser would (push_route: the route, then route_change). The
cycle is bench/capacity.py's: "Check in now", a pain score, "Save check-in", "Back to
Today". Printed: CPU ms per cycle (process time, all threads: the save runs in one) and
per step, bytes sent per cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import flet as ft  # noqa: E402
from flet.messaging.connection import Connection  # noqa: E402
from flet.messaging.protocol import (  # noqa: E402
    Message,
    MessageAction,
    RegisterClientResponseBody,
)
from flet.messaging.session import Session  # noqa: E402
from flet.pubsub.pubsub_hub import PubSubHub  # noqa: E402
from flet_web.fastapi.flet_app import FletApp  # noqa: E402

from bench.capacity import ACTIVITIES, PASSWORD  # noqa: E402

EMAIL = "cycle@capacity.example"
STEPS = ("open the form", "tap a score", "save", "back to Today")


class LoopbackConnection(Connection):
    """What FletApp does with a message, minus the socket; answers the page's calls."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.pubsubhub = PubSubHub(loop=loop)
        self.page_url = "http://loopback"  # Page.url (a route change reads its query)
        self._FletApp__send_queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.session: Session | None = None
        self.sent_bytes = 0

    def send_message(self, message: Any) -> None:
        FletApp.send_message(self, message)
        while not self._FletApp__send_queue.empty():
            self.sent_bytes += len(self._FletApp__send_queue.get_nowait())
        if message.action == MessageAction.INVOKE_METHOD:
            self.loop.create_task(self._answer(message.body))

    async def _answer(self, call: Any) -> None:
        assert self.session is not None
        result = None
        if call.name == "push_route":
            page = self.session.page
            route = call.args["route"]
            self.session.apply_patch(page._i, {"route": route})
            await self.session.dispatch_event(page._i, "route_change", {"route": route})
        self.session.handle_invoke_method_results(call.control_id, call.call_id, result, None)


def find(page: ft.Page, text: str) -> ft.BaseControl:
    """The clickable control showing or named `text` in the page's last view."""
    stack: list[tuple[Any, Any]] = [(page.views[-1], None)]
    while stack:
        node, clickable = stack.pop()
        if isinstance(node, list):
            stack.extend((n, clickable) for n in node)
            continue
        if not isinstance(node, ft.BaseControl):
            continue
        if getattr(node, "on_click", None) is not None:
            clickable = node
        for key in ("content", "value", "semantics_label", "text", "label"):
            if getattr(node, key, None) == text:
                return clickable or node
        for key in ("controls", "content", "appbar", "navigation_bar", "actions"):
            child = getattr(node, key, None)
            if isinstance(child, (list, ft.BaseControl)):
                stack.append((child, clickable))
    raise LookupError(text)


async def settle(page: ft.Page, text: str) -> None:
    """Let the loop and the save's thread finish until `text` is on the screen."""
    for _ in range(400):
        await asyncio.sleep(0.005)
        try:
            find(page, text)
            return
        except LookupError:
            continue
    raise TimeoutError(text)


async def run(data_dir: Path, cycles: int, profile: str | None = None) -> None:
    from app.main import build_services, seed_demo_if_empty
    from app.ui.shell import Shell
    from bench.history import settings_for

    services = build_services(settings_for(data_dir))
    seed_demo_if_empty(services, progress=lambda _: None)
    patient = services.accounts.create(EMAIL, "Cycle Patient", PASSWORD,
                                       __import__("app.domain.accounts").domain.accounts
                                       .Role.PATIENT)
    services.logbook.set_activities(patient, patient.id, ACTIVITIES)
    loop = asyncio.get_running_loop()
    conn = LoopbackConnection(loop)
    session = Session(conn)
    conn.session = session
    page = session.page
    session.apply_page_patch({"route": "/", "width": 412.0, "height": 915.0, "web": True})
    # The register answer, encoded as FletApp sends it: encoding records the page's
    # snapshots that the next diff starts from.
    conn.send_message(Message(MessageAction.REGISTER_CLIENT, RegisterClientResponseBody(
        session_id=session.id, page_patch=session.get_page_patch(), error="")))
    shell = Shell(page, services.screens)
    await shell.start()
    signed = services.auth.sign_in(EMAIL, PASSWORD)
    shell.signed_in(signed.token, signed.account)
    await settle(page, "Check in now")

    spent = dict.fromkeys(STEPS, 0.0)
    conn.sent_bytes = 0
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    for i in range(cycles):
        score = i % 11
        for step, tap, until in (
                (STEPS[0], "Check in now" if i == 0 else "Check in again",
                 f"Pain right now: {score}"),
                (STEPS[1], f"Pain right now: {score}", f"Pain right now: {score} (selected)"),
                (STEPS[2], "Save check-in", "Back to Today"),
                (STEPS[3], "Back to Today", "Check in again")):
            control = find(page, tap)
            started = time.process_time()
            await session.dispatch_event(control._i, "click", None)
            await settle(page, until)
            spent[step] += time.process_time() - started
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats(profile or "cumtime").print_stats(30)
    total = sum(spent.values())
    print(f"CPU per cycle {1000 * total / cycles:.1f} ms ("
          + ", ".join(f"{k} {1000 * v / cycles:.1f}" for k, v in spent.items())
          + f"); sent {conn.sent_bytes / cycles / 1024:.1f} KiB per cycle; {cycles} cycles")
    services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--flet-as-shipped", action="store_true",
                        help="without app.ui.flet_speedups (Flet's own send and diff)")
    parser.add_argument("--profile", metavar="SORT", choices=("tottime", "cumtime"),
                        help="print cProfile's top functions over the cycles")
    args = parser.parse_args(argv)
    if not args.flet_as_shipped:
        from app.ui.flet_speedups import install

        install()
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(run(Path(scratch), args.cycles, args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

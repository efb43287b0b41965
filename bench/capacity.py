"""Capacity of one server: how many patients checking in at once it serves within
save→confirmation p95 ≤ 150 ms (issue 17, "Capacity of one process first"). A benchmark,
not a test: it prints numbers.

Run from the repository root:

    .venv/bin/python -m bench.capacity [--sizes 25,50,100,200,400] [--seconds 60]

Each simulated patient is a bench/flet_client.FletClient: Flet's websocket protocol, no
browser, so hundreds fit on the machine. It signs in with its own account, then loops,
3 s between taps: "Check in now" on Today → tap a pain score on the check-in form →
"Save check-in" (timed until "Check-in saved. Thank you!" is in its control tree) →
"Back to Today" (timed until Today is drawn).

The target is a parameter: by default a fresh `python -m app run` per N on a data folder
the bench builds (the demo clinic plus --sizes' largest number of patients, each with
three activities to rate; BACKTRACK_FAST_HASH=1), started by `start_server`. `--server-cmd`
runs another command instead ({port} and {data_dir} are filled in; e.g. two processes
behind a proxy started by a script), `--url` points at a target that already runs (with
`--server-pid` for its CPU and memory; several pids are summed). Accounts must exist
there: `--build-only --data-dir DIR` builds a folder to start it on. `--two-servers`: the
same clinic copied into a throw-away PostgreSQL database (`migrate-store --to`) and served
by two app processes behind nginx with docs/deploy.md's several-servers block
(tests/e2e/front.py, the set-up the browser test uses); the CPU is that of both app
processes and PostgreSQL's.

Per N it prints: saves, saves per second, save→confirmation p50/p95/max, the route changes'
p95 (open the form, back to Today), the server's CPU per cycle (all its threads, from
/proc, over the measured window, divided by the saves in it), its share of one core and
how long its threads waited for a core they were ready to use ("waited", schedstat: on a
machine others are loading, the part of a latency that is theirs),
memory per session (RSS after signing everyone in minus RSS before, / N; "busy": the same at
the end of the window, after every patient has used the check-in form), and this
process's own share of a core (the simulated patients must not be the bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # also runnable as `python bench/capacity.py`
    sys.path.insert(0, str(REPO))

from bench.cpu_share import TICK  # noqa: E402
from bench.flet_client import FletClient  # noqa: E402

SIZES = (25, 50, 100, 200, 400)
GAP = 3.0  # seconds between a patient's taps (the cycle)
BAR_P95_MS = 150.0
PASSWORD = "backtrack-capacity"
ACTIVITIES = ["Getting out of bed", "Sitting for an hour", "Walking 30 minutes"]
CONFIRMATION = "Check-in saved. Thank you!"
DEFAULT_CMD = (f"{sys.executable} -m app run --no-browser --data-dir {{data_dir}} "
               "--port {port}")
# The starting point, measured with a Flet-protocol client and this cycle before this
# work; source: issue 17, "Capacity of one process first". p95 save→confirmation, ms.
BEFORE_P95_MS = {25: 35.0, 50: 68.0, 100: 367.0, 150: 804.0}
BEFORE_CPU_MS_PER_CYCLE = 70.0
BEFORE_MIB_PER_SESSION = 1.1


def email_of(i: int) -> str:
    return f"patient{i:04d}@capacity.example"


# -- the clinic ---------------------------------------------------------------------------

def build_clinic(data_dir: Path, patients: int) -> None:
    """The demo clinic plus `patients` patients (email_of(i), PASSWORD), each with
    ACTIVITIES to rate, written through the real services; a folder already holding
    enough of them is left alone."""
    from app.domain.accounts import Role
    from app.main import build_services, seed_demo_if_empty
    from bench.history import settings_for

    services = build_services(settings_for(data_dir))
    try:
        seed_demo_if_empty(services, progress=lambda _: None)
        for i in range(patients):
            if services.accounts.by_email(email_of(i)) is not None:
                continue
            patient = services.accounts.create(email_of(i), f"Patient {i}", PASSWORD,
                                               Role.PATIENT)
            services.logbook.set_activities(patient, patient.id, ACTIVITIES)
    finally:
        services.close()


# -- the target ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_server(command: str, data_dir: Path, log: Path,
                 cwd: Path = REPO) -> Iterator[tuple[str, list[int]]]:
    """Run `command` ({port}, {data_dir} filled in) until the block ends; yield its URL
    and the pids to measure (the command's process and its descendants, e.g. a
    script's app processes) once the port answers. `cwd`: where `-m app` is found (another
    checkout runs another version of the app on the same clinic)."""
    port = free_port()
    argv = shlex.split(command.format(port=port, data_dir=data_dir))
    env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1",
           "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{argv} exited early:\n{log.read_text()[-3000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", [process.pid, *_descendants(process.pid)]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _descendants(root: int) -> list[int]:
    from bench.cpu_share import _descendants as walk

    return sorted(walk(root))


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def waited_seconds(pids: list[int]) -> float:
    """Time the processes' threads were ready to run but waited for a core (schedstat's
    run-queue delay): on a machine others are using, how much of a latency is theirs."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


def rss_mib(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


# -- the patients -------------------------------------------------------------------------

@dataclass
class Tally:
    saves: list[tuple[float, float]] = field(default_factory=list)  # (when done, ms)
    opens: list[tuple[float, float]] = field(default_factory=list)
    backs: list[tuple[float, float]] = field(default_factory=list)
    taps: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def sign_in(url: str, i: int) -> FletClient:
    client = FletClient(url, "/")
    await client.connect()
    await client.type_into(await client.wait_text("Email", 60), email_of(i))
    await client.type_into(await client.wait_text("Password", 60), PASSWORD)
    await client.click(await client.wait_text("Sign in", 60))
    await client.wait_text("Hello, Patient", 60, exact=False)
    return client


async def timed_tap(client: FletClient, text: str, until: str, exact: bool = True) -> float:
    """Tap the control `text`, wait until `until` is in the tree: ms."""
    control = await client.wait_text(text)
    started = time.perf_counter()
    await client.click(control)
    await client.wait_text(until, exact=exact)
    return (time.perf_counter() - started) * 1000


async def patient_loop(client: FletClient, tally: Tally, stop_at: float,
                       rng: random.Random) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(rng.uniform(0, 4 * GAP))  # spread the patients over one cycle
    while loop.time() < stop_at:
        try:
            start = (client.find("Check in now") and "Check in now") or "Check in again"
            ms = await timed_tap(client, start, "Pain right now: ", exact=False)
            tally.opens.append((loop.time(), ms))
            await asyncio.sleep(GAP)
            score = rng.randint(0, 10)
            ms = await timed_tap(client, f"Pain right now: {score}",
                                 f"Pain right now: {score} (selected)")
            tally.taps.append((loop.time(), ms))
            await asyncio.sleep(GAP)
            ms = await timed_tap(client, "Save check-in", CONFIRMATION)
            tally.saves.append((loop.time(), ms))
            await asyncio.sleep(GAP)
            ms = await timed_tap(client, "Back to Today", "Hello, Patient", exact=False)
            tally.backs.append((loop.time(), ms))
            await asyncio.sleep(GAP)
        except Exception as exc:  # a timeout or a crash: counted, the patient goes on
            tally.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            if client.crashed:
                return
            await asyncio.sleep(GAP)


@dataclass
class Result:
    n: int
    signed_in_s: float
    window_s: float
    saves: list[float]
    opens: list[float]
    taps: list[float]
    backs: list[float]
    errors: list[str]
    cpu_s: float | None
    rss_before: float | None
    rss_after: float | None  # everyone signed in, on Today
    rss_busy: float | None  # at the end of the measured window
    bench_cpu_s: float
    waited_s: float | None  # the server's threads, ready but without a core

    def pct(self, values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_size(url: str, pids: list[int], n: int, seconds: float, warmup: float,
                   connect_at_once: int = 10) -> Result:
    rss_before = rss_mib(pids) if pids else None
    started = time.perf_counter()
    gate = asyncio.Semaphore(connect_at_once)

    async def one(i: int) -> FletClient:
        async with gate:
            return await sign_in(url, i)

    clients = await asyncio.gather(*(one(i) for i in range(n)))
    signed_in_s = time.perf_counter() - started
    await asyncio.sleep(2)  # sign-in's own follow-ups (remember the token) settle
    rss_after = rss_mib(pids) if pids else None

    loop = asyncio.get_running_loop()
    tally = Tally()
    begin = loop.time() + warmup
    stop_at = begin + seconds
    rng = random.Random(n)
    tasks = [asyncio.create_task(patient_loop(c, tally, stop_at, random.Random(rng.random())))
             for c in clients]
    await asyncio.sleep(warmup)
    cpu0, bench0, wait0 = cpu_seconds(pids), time.process_time(), waited_seconds(pids)
    await asyncio.sleep(seconds)
    cpu1, bench1, wait1 = cpu_seconds(pids), time.process_time(), waited_seconds(pids)
    rss_busy = rss_mib(pids) if pids else None
    await asyncio.gather(*tasks)
    await asyncio.gather(*(c.close() for c in clients))

    def window(series: list[tuple[float, float]]) -> list[float]:
        return [ms for at, ms in series if begin <= at < stop_at]

    return Result(n, signed_in_s, seconds, window(tally.saves), window(tally.opens),
                  window(tally.taps), window(tally.backs), tally.errors,
                  cpu1 - cpu0 if pids else None, rss_before, rss_after, rss_busy,
                  bench1 - bench0, wait1 - wait0 if pids else None)


# -- the report ---------------------------------------------------------------------------

HEADER = ("     N  saves  saves/s  save p50  save p95  save max  tap p95  open p95  back p95"
          "  CPU ms/cycle  server core  waited  MiB/session  (busy)  bench core  errors"
          "  before p95")


def row(r: Result) -> str:
    saves = len(r.saves)
    cpu = f"{r.cpu_s * 1000 / saves:12.1f}" if r.cpu_s is not None and saves else \
        f"{'n/a':>12}"
    core = f"{r.cpu_s / r.window_s:10.0%}" if r.cpu_s is not None else f"{'n/a':>10}"
    waited = f"{r.waited_s / r.window_s:6.0%}" if r.waited_s is not None else f"{'n/a':>6}"
    mem = f"{(r.rss_after - r.rss_before) / r.n:11.2f}" \
        if r.rss_after is not None and r.rss_before is not None else f"{'n/a':>11}"
    busy = f"{(r.rss_busy - r.rss_before) / r.n:6.2f}" \
        if r.rss_busy is not None and r.rss_before is not None else f"{'n/a':>6}"
    before = BEFORE_P95_MS.get(r.n)
    return (f"{r.n:6d} {saves:6d} {saves / r.window_s:8.1f} {r.pct(r.saves, .5):9.1f}"
            f" {r.pct(r.saves, .95):9.1f} {max(r.saves, default=float('nan')):9.1f}"
            f" {r.pct(r.taps, .95):8.1f} {r.pct(r.opens, .95):9.1f}"
            f" {r.pct(r.backs, .95):9.1f}  {cpu}  {core}  {waited}  {mem}  {busy}"
            f"  {r.bench_cpu_s / r.window_s:10.0%}  {len(r.errors):6d}"
            f"  {f'{before:.0f}' if before else '':>10}")


def report_header(label: str) -> None:
    print(f"\n{label}: save→confirmation and route changes in ms, {GAP:.0f} s between taps")
    print(HEADER, flush=True)


def print_before() -> None:
    print("\nbefore (issue 17, measured the same way at its starting point): p95 "
          + ", ".join(f"{v:.0f} ms at {k}" for k, v in BEFORE_P95_MS.items())
          + f"; about {BEFORE_CPU_MS_PER_CYCLE:.0f} ms of server CPU per cycle; "
            f"{BEFORE_MIB_PER_SESSION} MiB per session")


def within_bar(results: list[Result]) -> str:
    ok = [r.n for r in results if r.saves and r.pct(r.saves, .95) <= BAR_P95_MS
          and not r.errors]
    return (f"largest N within p95 ≤ {BAR_P95_MS:.0f} ms and no errors: "
            f"{max(ok) if ok else 'none'}")


@contextmanager
def two_servers_on_postgres(data_dir: Path) -> Iterator[tuple[str, list[int]]]:
    """The clinic in `data_dir` copied into a fresh database of a throw-away PostgreSQL
    cluster, two app servers on it and nginx in front; yields nginx's URL and the pids to
    measure (both app servers and the PostgreSQL cluster's processes)."""
    from tests.e2e.front import two_servers
    from tests.postgres import PostgresServer

    database = PostgresServer().start()
    try:
        url = database.fresh_database()
        copied = subprocess.run(
            [sys.executable, "-m", "app", "migrate-store", "--data-dir", str(data_dir),
             "--to", url], cwd=REPO, capture_output=True, text=True, timeout=1800)
        if copied.returncode != 0:
            raise RuntimeError(f"migrate-store failed: {copied.stdout}{copied.stderr}")
        folder = Path(tempfile.mkdtemp(prefix="backtrack-two-servers-"))
        try:
            with two_servers(url, folder) as front:
                postmaster = int((database.data / "postmaster.pid").read_text().split()[0])
                yield front.url, [*front.pids, postmaster]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        database.stop()


def _measured(pids: list[int]) -> list[int]:
    """The pids and, as they are now, their descendants (PostgreSQL's backends come with
    the app servers' connections)."""
    return sorted({p for pid in pids for p in (pid, *_descendants(pid))})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="numbers of simulated patients, comma separated")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="measured window per size (after --warmup)")
    parser.add_argument("--warmup", type=float, default=4 * GAP + 3,
                        help="seconds of cycles before the window (every patient started)")
    parser.add_argument("--data-dir", type=Path,
                        help="the clinic's folder (built if needed; default: a temp folder)")
    parser.add_argument("--server-cmd", default=DEFAULT_CMD,
                        help="how to start the target ({port}, {data_dir} filled in)")
    parser.add_argument("--server-dir", type=Path, default=REPO,
                        help="the checkout the server command runs in (e.g. the commit "
                             "before a change, for a before/after in one run)")
    parser.add_argument("--url", help="a target that already runs (no server started)")
    parser.add_argument("--server-pid", type=int, action="append", default=[],
                        help="with --url: pids whose CPU and memory to measure")
    parser.add_argument("--label", help="what the target is, for the report (default: "
                        "one process, embedded journal; or two app processes on PostgreSQL "
                        "behind nginx)")
    parser.add_argument("--two-servers", action="store_true",
                        help="two app processes on PostgreSQL behind nginx (see above)")
    parser.add_argument("--build-only", action="store_true",
                        help="build the clinic in --data-dir and stop")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    scratch = None
    data_dir = args.data_dir
    if data_dir is None:
        scratch = Path(tempfile.mkdtemp(prefix="backtrack-capacity-"))
        data_dir = scratch / "clinic"
    try:
        if args.url is None or args.build_only:
            began = time.perf_counter()
            data_dir.mkdir(parents=True, exist_ok=True)
            build_clinic(data_dir, max(sizes))
            print(f"clinic: demo + {max(sizes)} patients in {data_dir} "
                  f"({time.perf_counter() - began:.1f} s)", flush=True)
            if args.build_only:
                return 0
        results = []
        report_header(args.label or ("two app processes on PostgreSQL behind nginx"
                                     if args.two_servers else
                                     "one process, embedded journal"))
        for n in sizes:
            if args.url is not None:
                result = asyncio.run(run_size(args.url, args.server_pid, n, args.seconds,
                                              args.warmup))
            elif args.two_servers:
                with two_servers_on_postgres(data_dir) as (url, pids):
                    time.sleep(3)  # start-up jobs before the baseline
                    result = asyncio.run(run_size(url, _measured(pids), n, args.seconds,
                                                  args.warmup))
            else:
                log = data_dir.parent / f"server-{n}.log"
                with start_server(args.server_cmd, data_dir, log,
                                  args.server_dir) as (url, pids):
                    time.sleep(3)  # start-up jobs (settle-memory) before the baseline
                    pids = [pids[0], *_descendants(pids[0])]
                    result = asyncio.run(run_size(url, pids, n, args.seconds, args.warmup))
            results.append(result)
            print(row(result), flush=True)
            for error in sorted(set(result.errors))[:3]:
                print(f"        e.g. {error}")
        print_before()
        print(within_bar(results))
        print(f"machine: {os.cpu_count()} cores, load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

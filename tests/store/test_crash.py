"""kill -9 a writer process at random moments, many times: every save it acknowledged must
survive, and the store must always open again."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.store.journal import JournalStore

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 30

# The writer prints "kind id version" only after save() has returned. A small compaction
# threshold makes kills land inside background compactions too; mixed record sizes make
# some writes span several pages, so tearing is likely.
WRITER = r"""
import random, sys
from pathlib import Path
from app.store.journal import JournalStore

store = JournalStore.open(Path(sys.argv[1]), compact_threshold=40)
rng = random.Random(sys.argv[2])
prefix = sys.argv[2]
print("ready", flush=True)
i = 0
while True:
    i += 1
    if i % 5 == 0:
        rid = f"{prefix}-{rng.randrange(1, i)}"
        latest = store.latest("crash", rid)
        record = store.save("crash", rid, {"i": i}, owner="p",
                            expected_version=latest.version if latest else 0)
    else:
        pad = "x" * rng.choice([10, 300, 5000, 30000])
        record = store.save("crash", f"{prefix}-{i}", {"i": i, "pad": pad}, owner="p")
    sys.stdout.write(f"{record.kind} {record.id} {record.version}\n")
    sys.stdout.flush()
"""


@pytest.mark.slow
def test_acknowledged_saves_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(20240601)
    acknowledged: dict[tuple[str, str], int] = {}
    for round_no in range(ROUNDS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), f"r{round_no}"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n", writer.stderr.read() if writer.stderr else ""
        time.sleep(rng.uniform(0.01, 0.35))
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, err
        for line in out.splitlines(keepends=True):
            if not line.endswith("\n"):
                continue  # cut off by the kill: that print never completed
            kind, rid, acked = line.split()
            acknowledged[(kind, rid)] = max(acknowledged.get((kind, rid), 0), int(acked))

        # Verify without compacting on close, so the next round starts from whatever the
        # crash left (torn tail, half-done compaction) rather than from a tidy folder.
        with JournalStore.open(tmp_path, compact_on_close=False) as store:
            for (kind, rid), version in acknowledged.items():
                latest = store.latest(kind, rid)
                assert latest is not None, f"round {round_no}: lost {rid}"
                assert latest.version >= version, f"round {round_no}: lost {rid} v{version}"
    assert len(acknowledged) > ROUNDS  # the writers really got work done

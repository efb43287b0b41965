"""Exporting two years of daily data as FHIR, next to the JSON export, in the same run.

Run: .venv/bin/python bench/fhir_export.py [--days 730] [--repeat 5]

The patient is bench/history.py's: `--days` days of 1–2 check-ins a day with PSFS
ratings, weekly needling sessions with four soreness readings each, corrections and
milestones, written through the real services into a real (journal) store in a temporary
folder, on top of the demo clinic. Then the same patient is exported `--repeat` times in
each format through the one export door (ExportService, the operator's path, as
`python -m app export` does), and the FHIR export is also taken apart: building the
bundle, validating it with fhir.resources' R4B models, writing the JSON. Printed: median
and slowest seconds per format, file sizes and the number of resources. The issue's bar
is ≤ 1 s for the FHIR export of two years; this prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # runnable as `python bench/fhir_export.py`
    sys.path.insert(0, str(REPO))

from app.main import build_services  # noqa: E402
from app.services.fhir_export import FhirExport, validate_bundle  # noqa: E402
from bench.history import DAYS, EMAIL, build_history, settings_for  # noqa: E402


def timed(action: Callable[[], object], repeat: int) -> tuple[Timing, object]:
    """Wall-clock seconds of each run, and this process's CPU seconds: on a machine
    shared with other work the wall clock also counts their turns."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = action()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return Timing(wall, cpu), result


@dataclass(frozen=True)
class Timing:
    wall: list[float]
    cpu: list[float]

    def line(self, label: str, extra: str = "") -> str:
        return (f"{label:<28} median {statistics.median(self.wall):6.3f} s   "
                f"slowest {max(self.wall):6.3f} s   "
                f"(CPU {statistics.median(self.cpu):6.3f} s){extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        stats = build_history(data, days=args.days)
        print(f"history: {args.days} days, {stats.check_ins} check-ins "
              f"({stats.corrections} corrected), {stats.sessions} sessions, "
              f"{stats.soreness} soreness readings, {stats.milestones} milestones "
              f"(written in {stats.seconds:.1f} s)")
        services = build_services(settings_for(data))
        try:
            exports = services.exports
            patient = services.accounts.by_email(EMAIL)
            assert patient is not None
            # One warm-up each: imports (fhir.resources' models load on first use).
            exports.export(None, EMAIL, "json")
            exports.export(None, EMAIL, "fhir")
            json_s, as_json = timed(lambda: exports.export(None, EMAIL, "json"), args.repeat)
            fhir_s, as_fhir = timed(lambda: exports.export(None, EMAIL, "fhir"), args.repeat)
            exporter = FhirExport(services.store)
            build_s, bundle = timed(lambda: exporter.bundle(patient), args.repeat)
            assert isinstance(bundle, dict)
            check_s, _ = timed(lambda: validate_bundle(bundle), args.repeat)
            dump_s, _ = timed(lambda: json.dumps(bundle, ensure_ascii=False,
                                                 separators=(",", ":")), args.repeat)
        finally:
            services.close()
    json_bytes = len(as_json.content)  # type: ignore[attr-defined]
    fhir_bytes = len(as_fhir.content)  # type: ignore[attr-defined]
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    print(json_s.line("JSON export (all versions)", f"   {json_bytes / 1e6:.1f} MB"))
    print(fhir_s.line("FHIR export (bundle)",
                      f"   {fhir_bytes / 1e6:.1f} MB, {len(bundle['entry'])} resources"))
    print(build_s.line("  of which: build"))
    print(check_s.line("  of which: R4B validation"))
    print(dump_s.line("  of which: JSON text"))
    print("resources: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    verdict = "within" if statistics.median(fhir_s.wall) <= 1.0 else "OVER"
    print(f"FHIR export of {args.days} days: {verdict} the 1 s bar (median)")


if __name__ == "__main__":
    main()

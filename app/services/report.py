"""The progress report: one self-contained HTML file a therapist can keep on record.

`progress_report_html` gives the patient's summary and verdict, the four interactive
charts, the sessions with the soreness logged after each, the PSFS activity scores,
milestones and every guidance assessment, in one file that opens offline in any browser:
plotly.js is embedded once, inline (the figures themselves carry no copy of it).

Privacy: `ProgressReport` is the "report" format of app.services.exports, which checks
the actor against the policy and audits a clinician's export once ("export:report")
before the report reads anything; `progress_report_html` is that door with the bytes
decoded. `actor` None means the operator's command line (`python -m app export --format
html`), as for the JSON export. Guidance history is
read only after that check passed, as the patient's own (not audited a second time).

Takes the services it needs (records, progress, guidance), not the composition root's
whole bundle.

Never imports flet or plotly: figures come from app.charts, HTML escaping from the
standard library. Errors: NotFound (no such patient), NotAllowed (no access).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final, Protocol

from app.charts.figures import ADHERENCE, CHART_KEYS, FUNCTION, PAIN, SORENESS
from app.charts.html import figure_div, plotly_js_path
from app.domain.accounts import Account
from app.domain.guidance import Rulebook
from app.domain.progress import (
    ProgressRecord,
    ProgressThresholds,
    ResponseSummary,
    Verdict,
    soreness_curves,
)
from app.domain.regions import NEEDLING_REGIONS
from app.domain.zones import to_local
from app.services.exports import ExportService
from app.services.guidance import GuidanceService, PastAssessment
from app.services.logbook import PatientData
from app.services.progress import ProgressService, to_record

PURPOSE: Final = "export:report"
VERDICT_LABELS: Final[dict[Verdict, str]] = {
    Verdict.TOO_EARLY: "Too early to tell",
    Verdict.MEANINGFUL_IMPROVEMENT: "Meaningful improvement",
    Verdict.NO_MEANINGFUL_CHANGE: "No meaningful change",
    Verdict.WORSE: "Worse",
}
CHART_NAMES: Final = {PAIN: "Pain over time", SORENESS: "Soreness after each session",
                      FUNCTION: "Activities (PSFS) and milestones",
                      ADHERENCE: "Days with a check-in"}


def report_file_name(patient: Account, now: datetime) -> str:
    """e.g. backtrack-progress-alex-2025-11-26.html (no full name or email in it)."""
    first = "".join(ch for ch in patient.name.split()[0].lower() if ch.isalnum()) or "patient"
    return f"backtrack-progress-{first}-{now:%Y-%m-%d}.html"


class ReportReader(Protocol):
    """What the report reads a record through (app.services.logbook.Logbook)."""

    def load(self, actor: Account, patient_id: str, purpose: str = ...) -> PatientData: ...


class ProgressReport:
    """The HTML report as an export format (app.services.exports.Exporter), built from the
    three services it needs. `export` reads as the patient's own: ExportService checked and
    audited the actor before calling it."""

    name = "report"
    media_type = "text/html; charset=utf-8"
    file_suffix = ".html"

    def __init__(self, records: ReportReader, progress: ProgressService,
                 guidance: GuidanceService) -> None:
        self.records = records
        self.progress = progress
        self.guidance = guidance

    def export(self, actor: Account | None, patient: Account) -> bytes:
        return self.render(self.records.load(patient, patient.id, PURPOSE)).encode("utf-8")

    def render(self, data: PatientData) -> str:
        """The page for a record already read (and access-checked) by the caller. The
        guidance history is read as the patient's own, so it adds no second audit event."""
        patient = data.patient
        progress = self.progress
        now = progress.clock()
        record = to_record(data, now)
        thresholds = progress.thresholds
        summary, figures = progress.progress_of(patient.id, record)
        assessments = self.guidance.history(patient, patient.id)
        rulebook = self.guidance.rulebook
        tier_labels: dict[str, str] = {tier: advice.label
                                       for tier, advice in rulebook.tiers.items()}
        parts = [
            _header(patient, record, to_local(now, patient.timezone)),
            _summary(summary, thresholds),
            _charts({key: figure_div(figures[key], div_id=f"chart-{key}")
                     for key in CHART_KEYS}),
            _sessions(record, thresholds),
            _psfs(record, summary, thresholds),
            _milestones(record),
            _assessments(assessments, tier_labels, patient.timezone, rulebook),
            _footer(thresholds),
        ]
        return _page(f"Progress report — {patient.name}", "\n".join(parts), _plotly_js())


def progress_report_html(exports: ExportService, patient_email: str,
                         actor: Account | None = None) -> str:
    """The report as text, through the one export door (ExportService.export(actor,
    patient, "report")), which checks and audits once ("export:report"). For tests and
    callers that want a string; screens and the command line use the door itself."""
    return exports.export(actor, patient_email, "report").content.decode("utf-8")


# -- sections ---------------------------------------------------------------------------


def _header(patient: Account, record: ProgressRecord, generated: datetime) -> str:
    first = min((c.recorded_at.date() for c in record.check_ins), default=None)
    period = (f"{_day(first)} to {_day(record.today)}" if first is not None
              else "no check-ins yet")
    return f"""<header>
<h1>Progress report</h1>
<dl class="facts">
<dt>Patient</dt><dd>{_e(patient.name)} ({_e(patient.email)})</dd>
<dt>Period</dt><dd>{period}</dd>
<dt>Generated</dt><dd>{generated:%a %-d %b %Y, %H:%M} ({_e(patient.timezone)})</dd>
</dl>
<p class="note">Contains personal health information. Keep it as you keep clinical
records.</p>
</header>"""


def _summary(s: ResponseSummary, th: ProgressThresholds) -> str:
    rows = [
        ("Average pain (0–10)", _num(s.pain_baseline), _num(s.pain_current),
         _signed(s.pain_change_points)
         + ("" if s.pain_change_percent is None else f" ({s.pain_change_percent:+.0f} %)")),
        ("Activities, PSFS mean (0–10)", _num(s.psfs_baseline), _num(s.psfs_current),
         _signed(s.psfs_change)),
    ]
    if s.odi_baseline is not None:
        rows.append(("Oswestry disability (0–100)", _num(s.odi_baseline, 0),
                     _num(s.odi_current, 0), _signed(s.odi_change, 0)))
    table = "".join(f"<tr><th scope=\"row\">{_e(label)}</th><td>{a}</td><td>{b}</td>"
                    f"<td>{c}</td></tr>" for label, a, b, c in rows)
    flag = ""
    if s.worse:
        flag = ("<p class=\"flag\" role=\"note\"><strong>Getting worse:</strong> a sustained "
                "change beyond measurement error. Review the plan with the patient soon.</p>")
    elif s.needs_reassessment:
        flag = ("<p class=\"flag\" role=\"note\"><strong>Reassess:</strong> no meaningful "
                "response after a reasonable trial of treatment. Consider reviewing the "
                "plan with the patient.</p>")
    trial = ("complete" if s.trial_complete else
             "not yet complete" + (f" (still needed: {_e(', '.join(s.still_needed))})"
                                   if s.still_needed else ""))
    days = "–" if s.days_since_first_entry is None else str(s.days_since_first_entry)
    return f"""<section id="summary">
<h2>Summary</h2>
<p class="verdict verdict-{s.verdict.value}">{_e(VERDICT_LABELS[s.verdict])}</p>
<p class="headline">{_e(s.headline)}</p>
<p>{_e(s.detail)}</p>
{flag}
<table>
<thead><tr><th></th><th scope="col">Start</th><th scope="col">Now</th>
<th scope="col">Change</th></tr></thead>
<tbody>{table}</tbody>
</table>
<p class="small">Needling sessions: {s.sessions}. Days since the first check-in: {days}.
Trial of treatment: {trial}. Start = the first {th.baseline_window_days} days of
check-ins ({s.baseline_entries} entries); now = the last {th.current_window_days} days
({s.current_entries} entries).</p>
</section>"""


def _charts(divs: dict[str, str]) -> str:
    boxes = "".join(f'<figure class="chart"><figcaption>{_e(CHART_NAMES[key])}</figcaption>'
                    f"{div}</figure>" for key, div in divs.items())
    return f"""<section id="charts">
<h2>Charts</h2>
<p class="small screen-only">Hover over (or tap) a point to see its value.</p>
<noscript><p>The charts need JavaScript; the tables below hold the same entries.</p>
</noscript>
<div class="charts">{boxes}</div>
</section>"""


def _sessions(record: ProgressRecord, th: ProgressThresholds) -> str:
    if not record.sessions:
        return "<section id=\"sessions\"><h2>Needling sessions</h2><p>None logged.</p></section>"
    curves = {c.session_id: c for c in soreness_curves(record.sessions, record.soreness, th)}
    rows = []
    for number, session in enumerate(sorted(record.sessions, key=lambda s: s.performed_at), 1):
        regions = ", ".join(NEEDLING_REGIONS.get(r, r) for r in session.regions)
        curve = curves.get(session.id)
        readings = "–"
        flag = ""
        if curve is not None and curve.points:
            readings = ", ".join(f"{hours:.0f} h: {value}/10" for hours, value in curve.points)
            if curve.not_settling:
                flag = " <strong>not settling</strong>"
            elif curve.rising:
                flag = " <strong>rising again</strong>"
        note = f"<br><span class=\"small\">{_e(session.note)}</span>" if session.note else ""
        rows.append(f"<tr><td>{number}</td><td>{session.performed_at:%a %-d %b %Y, %H:%M}</td>"
                    f"<td>{_e(regions)}{note}</td><td>{readings}{flag}</td></tr>")
    return f"""<section id="sessions">
<h2>Needling sessions</h2>
<table>
<thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Regions</th>
<th scope="col">Soreness after (hours since the session)</th></tr></thead>
<tbody>{"".join(rows)}</tbody>
</table>
</section>"""


def _psfs(record: ProgressRecord, summary: ResponseSummary, th: ProgressThresholds) -> str:
    """Per-activity start, now and change exactly as the domain worked them out (the ✓
    is the summary's own verdict for that activity, never recomputed here)."""
    if not record.activities:
        return ("<section id=\"psfs\"><h2>Activities (PSFS)</h2><p>No activities chosen."
                "</p></section>")
    rows = []
    for activity in record.activities:
        rated = [(c.recorded_at, c.psfs[activity.id]) for c in
                 sorted(record.check_ins, key=lambda c: c.recorded_at)
                 if activity.id in c.psfs]
        start, now = summary.psfs_activity_levels.get(activity.id, (None, None))
        change = summary.psfs_activity_changes.get(activity.id)
        meaningful = summary.activity_meaningfully_better(activity.id)
        latest = (f"{rated[-1][1]}/10 on {rated[-1][0]:%-d %b}" if rated else "–")
        rows.append(
            f"<tr><th scope=\"row\">{_e(activity.name)}</th><td>{_num(start)}</td>"
            f"<td>{_num(now)}</td><td>{_signed(change)}{' ✓' if meaningful else ''}</td>"
            f"<td>{latest}</td><td>{len(rated)}</td></tr>")
    return f"""<section id="psfs">
<h2>Activities (Patient-Specific Functional Scale)</h2>
<p class="small">0 = unable to do, 10 = able to do as before the problem. ✓ = better by
at least {th.psfs_activity_change_points:g} points (a meaningful change for one
activity).</p>
<table>
<thead><tr><th scope="col">Activity</th><th scope="col">Start (mean)</th>
<th scope="col">Now (mean)</th><th scope="col">Change</th><th scope="col">Latest</th>
<th scope="col">Ratings</th></tr></thead>
<tbody>{"".join(rows)}</tbody>
</table>
</section>"""


def _milestones(record: ProgressRecord) -> str:
    if not record.milestones:
        return ""
    items = "".join(f"<li><strong>{m.achieved_on:%a %-d %b %Y}</strong>: {_e(m.text)}</li>"
                    for m in sorted(record.milestones, key=lambda m: m.achieved_on))
    return f"<section id=\"milestones\"><h2>Milestones</h2><ul>{items}</ul></section>"


def _rulebook_note(item: PastAssessment) -> str:
    if item.rulebook is None:
        return ""
    return f"<p class=\"small\">Rulebook {_e(item.rulebook)}</p>"


def _assessments(past: Sequence[PastAssessment], labels: Mapping[str, str],
                 zone: str, rulebook: Rulebook) -> str:
    if not past:
        return ("<section id=\"guidance\"><h2>\"Is this normal?\" assessments</h2>"
                "<p>None.</p></section>")
    rows = []
    for item in past:
        result = item.assessment
        reasons = "".join(f"<li>{_e(r.text)} <span class=\"small\">({_e(r.source)})</span>"
                          "</li>" for r in result.reasons)
        report = item.report
        facts = [f"{label}: {value}" for label, value in (
            ("hours since needling", _opt(report.hours_since_needling)),
            ("soreness", _opt(report.soreness_now)),
            ("pain", _opt(report.pain_now)),
            ("usual pain", _opt(report.pain_usual))) if value != "–"]
        if report.temperature_c is not None:
            facts.append(f"temperature: {report.temperature_c:g} °C")
        if report.symptoms:  # in the checklist's plain words, as the patient ticked them
            facts.append("symptoms: " + ", ".join(
                rulebook.symptom_labels.get(k, k) for k in report.symptoms))
        if report.risk_factors:
            facts.append("risk factors: " + ", ".join(
                rulebook.risk_factor_labels.get(k, k) for k in report.risk_factors))
        rows.append(
            f"<tr><td>{to_local(item.assessed_at, zone):%a %-d %b %Y, %H:%M}</td>"
            f"<td class=\"tier tier-{result.level}\">{_e(labels.get(result.level, result.level))}"
            f"</td><td>{_e('; '.join(facts))}</td>"
            f"<td>{_e(result.advice)}<ul>{reasons}</ul>{_rulebook_note(item)}</td></tr>")
    return f"""<section id="guidance">
<h2>"Is this normal?" assessments</h2>
<p class="small">What the patient reported and exactly what the app told them, newest
first.</p>
<table>
<thead><tr><th scope="col">When</th><th scope="col">Answer</th>
<th scope="col">Reported</th><th scope="col">Advice and reasons</th></tr></thead>
<tbody>{"".join(rows)}</tbody>
</table>
</section>"""


def _footer(th: ProgressThresholds) -> str:
    return f"""<footer class="small">
<p>How the verdict is reached: a meaningful change in pain is {th.pain_change_points:g}
points or {th.pain_change_percent:g} % of the starting level
(rule: {_e(th.pain_threshold_mode)}) that is also beyond measurement error (one reading
varies by up to {th.pain_single_reading_error_points:g} points; less for averages of
several check-ins); in activities {th.psfs_mean_change_points:g} points of the PSFS mean;
in the Oswestry index {th.odi_change_points:g} points or {th.odi_change_percent:g} %, when
it was answered at the start and later. A reasonable trial is {th.trial_sessions} sessions
or {th.trial_days} days; a sustained worsening is reported at once. Made by BackTrack.</p>
</footer>"""


# -- the page ---------------------------------------------------------------------------


_CSS: Final = """
:root { color-scheme: light; }
body { font: 15px/1.45 Roboto, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1F1F1F;
  margin: 0 auto; max-width: 1100px; padding: 16px; background: #FFFFFF; }
h1 { font-size: 26px; margin: 0 0 8px; } h2 { font-size: 20px; margin: 28px 0 8px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.facts dt { font-weight: 600; } .facts dd { margin: 0; }
.note, .small { color: #555; font-size: 13px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 12px; font-weight: 600;
  background: #EDEDED; margin: 0; }
.verdict-meaningful_improvement { background: #D5F0E6; }
.verdict-no_meaningful_change, .verdict-worse { background: #FBE3CF; }
.headline { font-size: 18px; font-weight: 600; }
.flag { border-left: 4px solid #D55E00; padding: 6px 10px; background: #FFF4EC; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid #E3E3E3; }
thead th { font-size: 13px; color: #555; }
td ul { margin: 4px 0 0; padding-left: 18px; }
.tier-emergency { color: #B3261E; font-weight: 600; }
.tier-call_clinic { color: #8A5300; font-weight: 600; }
/* Fixed columns: each chart is drawn as soon as it is parsed, at its cell's width then. */
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
@media (max-width: 900px) { .charts { grid-template-columns: minmax(0, 1fr); } }
.chart { margin: 0; border: 1px solid #E3E3E3; border-radius: 12px; padding: 4px;
  break-inside: avoid; min-width: 0; overflow: hidden; }
.chart figcaption { position: absolute; left: -9999px; }
.chart .plotly-graph-div { height: 360px !important; }
@media print { .screen-only { display: none; } body { max-width: none; }
  section { break-inside: avoid-page; } }
"""


def _page(title: str, body: str, plotly_js: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="BackTrack">
<title>{_e(title)}</title>
<style>{_CSS}</style>
<script>{plotly_js}</script>
</head><body>
{body}
</body></html>
"""


def _plotly_js() -> str:
    text = plotly_js_path().read_text(encoding="utf-8")
    # Inline, a literal "</script" would end the element early.
    return text.replace("</script", "<\\/script")


# -- formatting -------------------------------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text)


def _num(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def _signed(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:+.{places}f}"


def _opt(value: object) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _day(value: object) -> str:
    return f"{value:%a %-d %b %Y}"

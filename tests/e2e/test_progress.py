"""The Progress screen in a real browser: the summary in plain words, the four charts
really drawn by plotly.js inside the chart frame, the time range, the report download,
and chart pages that stop working once the patient signs out."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Browser, FrameLocator, Page, expect

from app.charts.theme import palette
from tests.e2e.flutter import CHART_FRAME, DESKTOP, fresh_page
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000
CHART_TITLES = ("Pain over time", "Soreness after each session", "Your activities",
                "Days you logged")
# What a clinician reads on a patient's charts: about the patient, not "your".
CLINICIAN_CHART_TITLES = ("Pain over time", "Soreness after each session", "Activities",
                          "Days logged")


def open_progress(page: Page, email: str) -> FrameLocator:
    sign_in(page, email)
    expect(page.get_by_text(re.compile(r"^Hello, "))).to_be_visible(timeout=WAIT)
    go(page, "Progress")
    page.wait_for_selector(CHART_FRAME, state="attached", timeout=WAIT)
    return page.frame_locator(CHART_FRAME)


def expect_charts_drawn(frame: FrameLocator,
                        titles: tuple[str, ...] = CHART_TITLES) -> None:
    """Each of the four boxes holds a Plotly plot with data in it, not a blank box."""
    expect(frame.locator(".chart:has(.main-svg)")).to_have_count(4, timeout=WAIT)
    expect(frame.locator(".chart .main-svg .trace").first).to_be_attached(timeout=WAIT)
    for title in titles:
        expect(frame.locator(".gtitle", has_text=re.compile(f"^{re.escape(title)}$"))
               ).to_have_count(1, timeout=WAIT)


def test_responder_sees_a_meaningful_change_and_drawn_charts(phone: Page) -> None:
    frame = open_progress(phone, "alex@example.com")
    expect(phone.get_by_text(re.compile(r"points lower than when you started .* a meaningful "
                                        r"change"))).to_be_visible(timeout=WAIT)
    expect_charts_drawn(frame)
    # The pain chart has points (one per check-in), not only an empty-state hint.
    assert frame.locator("#chart-0 .scatterlayer .point").count() > 20


def test_time_range_narrows_the_calendar_charts(phone: Page) -> None:
    frame = open_progress(phone, "alex@example.com")
    expect_charts_drawn(frame)
    first_src = phone.locator(CHART_FRAME).get_attribute("src")
    phone.get_by_role("button", name=re.compile("^4 weeks")).click()
    phone.wait_for_function(
        "src => { const f = document.querySelector('FRAME'); return f && f.src !== src; }"
        .replace("FRAME", CHART_FRAME),
        arg=first_src, timeout=WAIT)
    frame = phone.frame_locator(CHART_FRAME)
    expect_charts_drawn(frame)
    start = frame.locator("#chart-0").evaluate("el => el.layout.xaxis.range[0]")
    assert date.fromisoformat(str(start)[:10]) >= date.today() - timedelta(days=40)
    assert "range=4w" in phone.url


def test_non_responder_is_asked_kindly_to_talk_about_the_plan(phone: Page) -> None:
    frame = open_progress(phone, "blair@example.com")
    expect(phone.get_by_text(re.compile("talk with your therapist about your plan"))
           ).to_be_visible(timeout=WAIT)
    expect(phone.get_by_text(re.compile("^Bring this screen or the progress report"))
           ).to_be_visible(timeout=WAIT)
    expect_charts_drawn(frame)


def test_report_download_and_chart_pages_end_with_the_session(desktop: Page) -> None:
    frame = open_progress(desktop, "alex@example.com")
    expect_charts_drawn(frame)
    with desktop.expect_download(timeout=WAIT) as download:
        desktop.get_by_role("button", name="Download report").click()
    path = download.value.path()
    text = path.read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".html")
    assert "Meaningful improvement" in text and "Needling sessions" in text
    assert text.count("Plotly.newPlot") == 4

    src = desktop.locator(CHART_FRAME).get_attribute("src")
    assert src is not None
    assert desktop.request.get(src).status == 200
    data = desktop.request.get(src + "/data")
    assert data.status == 200 and len(data.json()["charts"]) == 4
    assert data.headers["cache-control"] == "no-store"
    # The page itself holds no patient data: the figures only come from the data route.
    assert "Pain over time" not in desktop.request.get(src).text()
    desktop.get_by_role("button", name="Sign out").click()
    expect(desktop.get_by_role("button", name="Sign in")).to_be_visible(timeout=WAIT)
    assert desktop.request.get(src).status == 404
    assert desktop.request.get(src + "/data").status == 404


def test_plotly_js_is_warmed_outside_the_app_and_stays(phone: Page) -> None:
    """The client page opens one hidden warm-up frame (no patient data) once Flutter has
    drawn: it is out of sight and of the accessibility tree, and it outlives navigation,
    so the first Progress screen finds plotly.js compiled."""
    warm = 'iframe[src$="/_charts/warm"]'
    phone.wait_for_function(f"""() => {{ const f = document.querySelector('{warm}');
        return !!(f && f.contentWindow && f.contentWindow.Plotly); }}""", timeout=WAIT)
    state = phone.eval_on_selector(warm, """f => ({
        hidden: f.getAttribute('aria-hidden'), tab: f.tabIndex,
        visible: getComputedStyle(f).visibility, inFlutter: !!f.closest('flutter-view'),
        plotly: !!(f.contentWindow && f.contentWindow.Plotly)})""")
    assert state == {"hidden": "true", "tab": -1, "visible": "hidden", "inFlutter": False,
                     "plotly": True}
    frame = open_progress(phone, "alex@example.com")
    expect_charts_drawn(frame)
    assert phone.locator(warm).count() == 1


def test_where_plotly_js_cannot_run_the_charts_come_as_pictures(phone: Page) -> None:
    """The chart frame without plotly.js (blocked here) shows each chart as a picture the
    server draws, with the chart's title as its text alternative."""
    phone.route(re.compile(r"/_charts/plotly-[^/]*\.js$"), lambda route: route.abort())
    frame = open_progress(phone, "alex@example.com")
    pictures = frame.locator(".chart img")
    expect(pictures).to_have_count(4, timeout=60_000)
    for index, title in enumerate(CHART_TITLES):
        picture = pictures.nth(index)
        assert picture.get_attribute("alt") == f"{title} (a picture of the chart)"
        assert picture.evaluate("img => img.complete && img.naturalWidth") > 300
    assert frame.locator(".main-svg").count() == 0  # not Plotly in the page: pictures


def test_charts_follow_the_system_switching_to_dark(phone: Page) -> None:
    """With the app following the system, a switch to dark while Progress is open redraws
    the charts dark (Flutter recolours itself; the chart page must be redrawn)."""
    frame = open_progress(phone, "alex@example.com")
    expect_charts_drawn(frame)
    light_src = phone.locator(CHART_FRAME).get_attribute("src")
    phone.emulate_media(color_scheme="dark")
    phone.wait_for_function(
        "src => { const f = document.querySelector('FRAME'); return f && f.src !== src; }"
        .replace("FRAME", CHART_FRAME), arg=light_src, timeout=WAIT)
    frame = phone.frame_locator(CHART_FRAME)
    expect_charts_drawn(frame)
    background = frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == _rgb(palette(True).paper)


def _rgb(hex_colour: str) -> str:
    value = hex_colour.lstrip("#")
    red, green, blue = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgb({red}, {green}, {blue})"


def test_a_therapist_opens_a_shared_patients_charts(desktop: Page) -> None:
    """From the caseload to one patient's progress: the clinician's summary, the charts
    drawn, the report for the record."""
    sign_in(desktop, "taylor@example.com")
    desktop.get_by_role("button", name="Open Blair's progress").click()
    expect(desktop.get_by_text("Blair Chen: no meaningful change")).to_be_visible(
        timeout=WAIT)
    expect(desktop.get_by_text("No meaningful change: reassess")).to_be_visible()
    expect(desktop.get_by_text(re.compile(r"^Pain \d+\.\d to \d+\.\d"))).to_be_visible()
    frame = desktop.frame_locator(CHART_FRAME)
    expect_charts_drawn(frame, CLINICIAN_CHART_TITLES)
    expect(frame.locator(".legendtext", has_text=re.compile("^Starting level$"))
           ).to_have_count(1)
    drawn = frame.locator("body").evaluate(
        "b => Array.from(b.querySelectorAll('.main-svg text')).map(t => t.textContent)")
    assert not [t for t in drawn if re.search(r"\byour?\b", t, re.IGNORECASE)], drawn
    with desktop.expect_download(timeout=WAIT) as download:
        desktop.get_by_role("button", name="Download report").click()
    assert "Blair Chen" in download.value.path().read_text(encoding="utf-8")
    # The range choice keeps the patient.
    desktop.get_by_role("button", name=re.compile("^4 weeks")).click()
    desktop.wait_for_url(re.compile(r"range=4w"), timeout=WAIT)
    assert "patient=" in desktop.url
    expect(desktop.get_by_text("Blair Chen: no meaningful change")).to_be_visible(
        timeout=WAIT)
    # Back to the caseload; Casey's view carries the caseload's most urgent flag first.
    desktop.get_by_role("button", name="Back").click()
    desktop.get_by_role("button", name="Open Casey's progress").click()
    expect(desktop.get_by_text("Emergency answer in the last 7 days")).to_be_visible(
        timeout=WAIT)
    expect(desktop.get_by_text(re.compile(r"^Casey Rivera: "))).to_be_visible()
    # The therapist records today's session for Casey; it counts at once.
    sessions_before = desktop.get_by_text(re.compile(r"· \d+ sessions")).inner_text()
    desktop.get_by_role("button", name="Record a needling session").click()
    expect(desktop.get_by_text(re.compile(r"^Casey Rivera's session: when"))).to_be_visible(
        timeout=WAIT)
    desktop.get_by_role("checkbox", name="Lower back (lumbar)").click()
    desktop.get_by_role("button", name="Save session").click()
    # Back on Casey's progress (the toast saying so is too brief to wait for on a busy CI).
    expect(desktop.get_by_role("button", name="Record a needling session")).to_be_visible(
        timeout=WAIT)
    found = re.search(r"(\d+) sessions", sessions_before)
    assert found is not None, sessions_before
    count = int(found.group(1))
    expect(desktop.get_by_text(re.compile(rf"· {count + 1} sessions"))).to_be_visible(
        timeout=WAIT)


def test_a_patient_who_did_not_share_stays_closed(browser: Browser, server: str) -> None:
    """A made-up or not-shared patient id (here as a deep link) shows no data."""
    with fresh_page(browser, f"{server}/progress?patient=not-shared", DESKTOP) as page:
        sign_in(page, "taylor@example.com")
        expect(page.get_by_text(re.compile("not shared with you"))).to_be_visible(
            timeout=WAIT)
        assert page.locator(CHART_FRAME).count() == 0


def test_a_deep_link_to_progress_keeps_its_range(browser: Browser, server: str) -> None:
    """The server answers /progress with a redirect to /progress/ (assets/progress is a
    folder): the app still opens Progress, with the range from the link."""
    with fresh_page(browser, f"{server}/progress?range=4w") as page:
        sign_in(page, "alex@example.com")
        expect(page.get_by_text(re.compile("a meaningful change"))).to_be_visible(
            timeout=WAIT)
        page.wait_for_selector(CHART_FRAME, state="attached", timeout=WAIT)
        assert "range=4w" in page.url

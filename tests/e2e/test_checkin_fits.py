"""The 30-second check-in fits a phone (in a real browser at 360 and 412 px): each 0–10
scale is one row, Save sits in the form (not floating over the note), and the note shows
its length limit. Measured from where things are drawn, and pixels checked for Flutter's
grey error box."""

from __future__ import annotations

import pytest
from playwright._impl._api_structures import FloatRect
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.flutter import fill, fresh_page, settle
from tests.e2e.pixels import assert_no_error_box
from tests.e2e.test_patient_app import go
from tests.e2e.test_sign_in import sign_in

WAIT = 20_000


def button_box(page: Page, name: str) -> FloatRect:
    found = page.get_by_role("button", name=name, exact=True).bounding_box()
    assert found is not None, name
    return found


def scroll_to(page: Page, target: Locator, height: int) -> None:
    """Scroll Flutter's view (a wheel over the page) until `target` is on screen: the
    accessibility node moves with it, and a click off screen reaches nothing."""
    for _ in range(20):
        found = target.bounding_box()
        if found is not None and found["y"] >= 0 and found["y"] + found["height"] <= height - 90:
            return
        page.mouse.move(100, height // 2)
        page.mouse.wheel(0, 250)
        settle(0.3)
    raise AssertionError("could not scroll to the control")


@pytest.mark.parametrize("size", [(360, 780), (412, 915)])
def test_each_scale_is_one_row_and_save_stays_clear_of_the_note(
        browser: Browser, server: str, size: tuple[int, int]) -> None:
    with fresh_page(browser, server, size) as page:
        sign_in(page, "alex@example.com")
        expect(page.get_by_text("Hello, Alex")).to_be_visible(timeout=WAIT)
        go(page, "Check in")
        expect(page.get_by_text("Pain right now", exact=True)).to_be_visible(timeout=WAIT)
        assert_no_error_box(page, f"Check-in at {size[0]} px")
        for question in ("Pain right now", "Worst pain in the last 24 hours"):
            first = button_box(page, f"{question}: 0")
            last = button_box(page, f"{question}: 10")
            assert first["y"] == last["y"], f"{question}: the 0–10 row wraps"
            assert last["x"] + last["width"] <= size[0], f"{question}: 10 is off screen"
            assert first["height"] >= 48
        note = page.get_by_label("Note (optional)")
        scroll_to(page, note, size[1])
        fill(note, "Stiff after the drive")
        # The limit shows as the patient types ("21/2000"; read out as what is left).
        expect(page.get_by_text("1,979 characters remaining").last).to_be_visible(timeout=WAIT)
        save = page.get_by_role("button", name="Save check-in")
        scroll_to(page, save, size[1])
        save_box = save.bounding_box()
        typed = note.bounding_box()
        assert typed is not None and save_box is not None
        assert save_box["y"] >= typed["y"] + typed["height"], "Save overlaps the note"

"""What a person sees, from pixels: Flutter's release build draws a failing widget as a solid
grey block (RGB ≈ 195,196,196) and keeps the previous screen's accessibility nodes, so a
test that only reads the accessibility tree passes over a broken screen. These helpers
take a screenshot and measure it (decoded by the browser's own canvas: no image library).
"""

from __future__ import annotations

import base64

from playwright.sync_api import Page

from tests.e2e.flutter import settle

# Flutter's ErrorWidget background in release mode, and how close a pixel must be.
ERROR_GREY = (195, 196, 196)
TOLERANCE = 3
# A screen with more than this share of error grey shows Flutter's error widget: no
# screen of ours paints a grey area this big (the largest grey is a disabled button).
MAX_GREY_SHARE = 0.02

# Counts the pixels of a PNG whose red, green and blue each lie within [low, high].
_COUNT = """async ([data, low, high]) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + data;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  let hits = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i] >= low[0] && px[i] <= high[0] && px[i + 1] >= low[1] && px[i + 1] <= high[1]
        && px[i + 2] >= low[2] && px[i + 2] <= high[2]) hits++;
  }
  return [hits, px.length / 4];
}"""

RGB = tuple[int, int, int]


def count_pixels(page: Page, png: bytes, low: RGB, high: RGB) -> tuple[int, int]:
    """(pixels whose colour lies within low..high per channel, all pixels) of a PNG,
    decoded in a blank page of the same browser context so the app's page is untouched."""
    scratch = page.context.new_page()
    try:
        hits, total = scratch.evaluate(
            _COUNT, [base64.b64encode(png).decode("ascii"), list(low), list(high)])
        return int(hits), int(total)
    finally:
        scratch.close()


def grey_error_share(page: Page) -> float:
    """The share of the visible screen painted in Flutter's error grey (0.0–1.0)."""
    settle()
    low = (ERROR_GREY[0] - TOLERANCE, ERROR_GREY[1] - TOLERANCE, ERROR_GREY[2] - TOLERANCE)
    high = (ERROR_GREY[0] + TOLERANCE, ERROR_GREY[1] + TOLERANCE, ERROR_GREY[2] + TOLERANCE)
    hits, total = count_pixels(page, page.screenshot(), low, high)
    return hits / total


def assert_no_error_box(page: Page, where: str) -> None:
    share = grey_error_share(page)
    assert share < MAX_GREY_SHARE, (
        f"{where}: {share:.0%} of the screen is Flutter's grey error box")

"""Draw BackTrack's app icons into assets/ (favicon, home-screen and manifest icons, the
loading picture), replacing the Flet logo Flet's web client ships. Flet serves a file in
the assets folder in place of its own of the same name.

    .venv/bin/python docs/make_icons.py

A teal tile (the app's theme colour) with a white spine of five rounded vertebrae, drawn
at 4x and scaled down for smooth edges. Needs Pillow (installed with flet[all]).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[1] / "assets"
TEAL = (0, 121, 107)  # Material teal 700, the app's seed colour family
WHITE = (255, 255, 255)
SCALE = 4


def spine(draw: ImageDraw.ImageDraw, size: int, inset: float) -> None:
    """Five vertebrae in a gentle S inside the square's middle (1 - 2*inset) part."""
    span = size * (1 - 2 * inset)
    top = size * inset
    height = span / 5
    offsets = (0.035, 0.0, -0.035, 0.0, 0.035)  # the curve, as a share of the width
    widths = (0.30, 0.36, 0.42, 0.48, 0.54)  # vertebrae grow towards the low back
    for index, (shift, width) in enumerate(zip(offsets, widths, strict=True)):
        w = span * width
        cx = size / 2 + span * shift
        y0 = top + index * height + height * 0.14
        y1 = top + (index + 1) * height - height * 0.14
        draw.rounded_rectangle((cx - w / 2, y0, cx + w / 2, y1), radius=(y1 - y0) / 2,
                               fill=WHITE)


def tile(size: int, *, rounded: bool, inset: float, transparent: bool = False) -> Image.Image:
    big = size * SCALE
    mode = "RGBA" if transparent or rounded else "RGB"
    image = Image.new(mode, (big, big), (0, 0, 0, 0) if mode == "RGBA" else TEAL)
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=TEAL)
    spine(draw, big, inset)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    icons = ASSETS / "icons"
    icons.mkdir(parents=True, exist_ok=True)
    tile(32, rounded=True, inset=0.16).save(ASSETS / "favicon.png")
    tile(192, rounded=True, inset=0.18).save(icons / "icon-192.png")
    tile(512, rounded=True, inset=0.18).save(icons / "icon-512.png")
    # Maskable: full bleed, the spine inside the 80 % safe circle.
    tile(192, rounded=False, inset=0.26).save(icons / "icon-maskable-192.png")
    tile(512, rounded=False, inset=0.26).save(icons / "icon-maskable-512.png")
    tile(192, rounded=False, inset=0.2).save(icons / "apple-touch-icon-192.png")
    # The picture Flet's page shows while the app loads: the tile, smaller, centred.
    loading = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    loading.paste(tile(256, rounded=True, inset=0.18), (128, 128))
    loading.save(icons / "loading-animation.png")
    print(f"Icons written to {icons} and {ASSETS / 'favicon.png'}")


if __name__ == "__main__":
    main()

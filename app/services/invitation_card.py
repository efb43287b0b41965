"""The patient's invitation on paper: a QR image of the /join link, and an appointment
card (one self-contained HTML page the therapist downloads and prints, or hands over as
a file) with the clinic's name, the QR image, the printed code and the link.

QR images come from segno (pure Python, no Pillow). The card names the clinic and
BackTrack, nothing about the person's health: it may be left on a table.
"""

from __future__ import annotations

import html
import io

import segno

QR_SCALE = 8  # pixels per module: about 300 px for a link of this length, sharp on a phone
QR_BORDER = 2  # quiet-zone modules (the card's white padding adds to it)


def qr_png(link: str) -> bytes:
    """The link as a QR code, PNG (for ft.Image on the inviter's screen)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return out.getvalue()


def qr_svg(link: str) -> str:
    """The link as a QR code, an inline SVG element (for the printed card: sharp at any
    printer's resolution). A viewBox and no size of its own, so the card's CSS scales it
    whole (with a fixed width and height, a smaller CSS size cut a finder pattern off)."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", border=QR_BORDER, omitsize=True,
                                     xmldecl=False, svgns=True, nl=False)
    return out.getvalue().decode("utf-8")


def card_file_name(code: str) -> str:
    return f"backtrack-invitation-{code}.html"


def appointment_card(*, clinic_name: str, inviter_name: str, code: str, link: str,
                     join_address: str, valid_until: str) -> bytes:
    """A printable card (UTF-8 HTML, no scripts, nothing fetched from elsewhere).
    `valid_until` is already worded for the reader ("Thu 4 Dec, 14:05")."""
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your invitation to BackTrack ({e(clinic_name)})</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 24px; color: #111; }}
  .card {{ max-width: 420px; border: 2px solid #00695c; border-radius: 16px;
          padding: 20px 24px; }}
  h1 {{ font-size: 22px; margin: 0 0 4px; }}
  .clinic {{ color: #00695c; font-weight: 600; margin: 0 0 12px; }}
  .qr svg {{ width: 200px; height: 200px; }}
  .code {{ font: 700 28px/1.2 ui-monospace, monospace; letter-spacing: 2px;
          margin: 8px 0; }}
  .link {{ word-break: break-all; font-size: 13px; }}
  p {{ font-size: 15px; line-height: 1.4; }}
  @media print {{ body {{ margin: 0; }} }}
</style></head>
<body><div class="card">
<h1>Your invitation to BackTrack</h1>
<p class="clinic">{e(clinic_name)} · from {e(inviter_name)}</p>
<p>Scan this with your phone's camera to join:</p>
<div class="qr">{qr_svg(link)}</div>
<p>Or open <strong>{e(join_address)}</strong> and type this code:</p>
<div class="code">{e(code)}</div>
<p>Valid until {e(valid_until)}. It works once. You choose your own password; nobody at
the clinic ever sees it.</p>
<p class="link">{e(link)}</p>
</div></body></html>
""".encode()


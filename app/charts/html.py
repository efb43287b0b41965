"""Figures as HTML fragments, and where the one copy of plotly.js lives.

The app serves plotly.min.js once (it ships inside the plotly package: no CDN, works
offline) and embeds each chart as a <div> without the 4.8 MB library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import plotly
import plotly.graph_objects as go

# Interactive but calm on a phone: no mode bar, no Plotly logo, resize with the page.
FIGURE_CONFIG: Final[dict[str, Any]] = {
    "displaylogo": False,
    "displayModeBar": False,
    "responsive": True,
    "scrollZoom": False,
}


def figure_div(fig: go.Figure, div_id: str | None = None) -> str:
    """The figure as a <div> + inline script; the page must load plotly.js itself."""
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                           config=FIGURE_CONFIG))


def plotly_js_path() -> Path:
    """The plotly.min.js bundled with the installed plotly package."""
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js is missing from the plotly package: {path}")
    return path

"""Figures as HTML fragments, and where the one copy of plotly.js lives.

The app serves plotly.js once (no CDN, works offline): the 1.5 MB cartesian bundle in
assets/vendor when it matches the plotly package, else the package's 4.8 MB full bundle;
each chart is a <div> without the library.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import plotly
import plotly.graph_objects as go

from app import paths

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


# Trace types in plotly.js's cartesian bundle; every chart must stay within them (a test
# checks the figures) for the small bundle to draw them.
CARTESIAN_TRACE_TYPES: Final = frozenset({
    "scatter", "bar", "box", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
    "contour", "image", "pie", "violin",
})


def full_plotly_js_path() -> Path:
    """The plotly.min.js bundled with the installed plotly package."""
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js is missing from the plotly package: {path}")
    return path


def plotly_js_version(path: Path) -> str:
    """The plotly.js version written in a bundle's header comment."""
    with path.open("rb") as head:
        found = re.search(rb"plotly\.js[^\n]*? v(\d+\.\d+\.\d+)", head.read(300))
    return found.group(1).decode() if found else "unknown"


def plotly_js_path() -> Path:
    """The plotly.js the app serves and the report embeds: the cartesian bundle when it is
    the same plotly.js version the plotly package was built for (figures are generated
    for that version), otherwise the package's full bundle."""
    full = full_plotly_js_path()
    small = paths.PLOTLY_CARTESIAN_JS
    if small.is_file() and plotly_js_version(small) == plotly_js_version(full):
        return small
    return full

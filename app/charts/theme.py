"""The look of every BackTrack chart: one Plotly template, light and dark.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), and every series also differs by marker, dash or width, so nothing relies
on colour alone. Layout is tuned for a 360 px wide phone: legend below the plot, 14 px
text, small margins. Display choices (how many sessions to show one by one, axis spans)
live here; clinical numbers never do (they come from assets/progress/thresholds.json).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import plotly.graph_objects as go

# Okabe & Ito 2008, "Color Universal Design".
BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"

FONT_FAMILY: Final = "Roboto, 'Segoe UI', Helvetica, Arial, sans-serif"
FONT_SIZE: Final = 14
TITLE_SIZE: Final = 16

# Display choices (not clinical).
RECENT_SESSIONS_SHOWN: Final = 6  # older soreness curves are merged into one trace
SORENESS_AXIS_HOURS: Final = 96.0
SORENESS_AXIS_MARGIN_HOURS: Final = 24.0  # shown past the expected window if it is longer
DENSE_POINTS: Final = 120  # beyond this many check-ins, smaller markers and fainter lines
MARKER_SIZE: Final = 7
DENSE_MARKER_SIZE: Final = 4
MILESTONE_LABELS_SHOWN: Final = 5  # older milestones keep their marker and hover text
MILESTONE_LABEL_CHARS: Final = 22
SCORE_AXIS_RANGE: Final = (-0.4, 10.4)  # 0–10 scales, with room for markers at the ends
FUNCTION_AXIS_RANGE: Final = (-0.4, 12.6)  # room above 10 for milestone labels


@dataclass(frozen=True)
class Palette:
    """The colours of one variant (light or dark)."""

    name: str
    paper: str
    text: str
    muted: str
    grid: str
    emphasis: str  # bold summary lines: black on light, near-white on dark
    series: tuple[str, ...]
    warning: str
    sessions: str
    band: str
    window: str
    target: str
    milestone: str
    empty_cell: str
    heat: tuple[str, str]


LIGHT: Final = Palette(
    name="light",
    paper="#FFFFFF",
    text="#1F1F1F",
    muted="#6B6B6B",
    grid="#E3E3E3",
    emphasis=BLACK,
    series=(BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, VERMILLION),
    warning=VERMILLION,
    sessions=REDDISH_PURPLE,
    band="rgba(86, 180, 233, 0.20)",  # sky blue
    window="rgba(0, 158, 115, 0.13)",  # bluish green
    target=BLUISH_GREEN,
    milestone=YELLOW,
    empty_cell="#EDEDED",
    heat=(SKY_BLUE, BLUE),
)

DARK: Final = Palette(
    name="dark",
    paper="#121212",
    text="#ECECEC",
    muted="#A0A0A0",
    grid="#333333",
    emphasis="#F5F5F5",
    series=(SKY_BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, YELLOW, VERMILLION),
    warning=VERMILLION,
    sessions=REDDISH_PURPLE,
    band="rgba(86, 180, 233, 0.22)",
    window="rgba(0, 158, 115, 0.22)",
    target=BLUISH_GREEN,
    milestone=YELLOW,
    empty_cell="#2A2A2A",
    heat=(SKY_BLUE, BLUE),
)


def palette(dark: bool) -> Palette:
    return DARK if dark else LIGHT


def _layout(p: Palette) -> dict[str, Any]:
    axis = {
        "gridcolor": p.grid,
        "zerolinecolor": p.grid,
        "linecolor": p.muted,
        "tickfont": {"size": FONT_SIZE - 1},
        "title": {"font": {"size": FONT_SIZE}, "standoff": 8},
        "automargin": True,
        "fixedrange": True,  # no accidental zoom while scrolling on a phone
    }
    return {
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": p.text},
        "title": {"font": {"size": TITLE_SIZE}, "x": 0.0, "xanchor": "left", "xref": "paper"},
        "paper_bgcolor": p.paper,
        "plot_bgcolor": p.paper,
        "colorway": list(p.series),
        "margin": {"l": 8, "r": 8, "t": 44, "b": 8, "pad": 0},
        "legend": {
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            # Below everything, at the foot of the figure: Plotly grows the bottom margin
            # to fit, so the legend never sits on the x-axis title.
            "yref": "container",
            "y": 0.0,
            "yanchor": "bottom",
            "font": {"size": FONT_SIZE - 1},
            "bgcolor": "rgba(0,0,0,0)",
        },
        "hovermode": "closest",
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "dragmode": False,
    }


@cache
def template(dark: bool = False) -> go.layout.Template:
    """The BackTrack Plotly template (built once per variant; do not mutate)."""
    return go.layout.Template(layout=_layout(palette(dark)))


def empty_layout(message: str, title: str, dark: bool) -> dict[str, Any]:
    """Layout of a chart with nothing to draw yet: a centred hint, no axes."""
    p = palette(dark)
    return {
        "template": template(dark),
        "title": {"text": title},
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "showlegend": False,
        "annotations": [{
            "text": message,
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
            "showarrow": False,
            "font": {"size": FONT_SIZE + 1, "color": p.muted},
        }],
    }

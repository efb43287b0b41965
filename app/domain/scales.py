"""The measurement scales patients answer, and the input limits of every field.

Clinical *thresholds* (what counts as meaningful change, triage rules) are content and
live in `assets/` with their sources; this module only holds what a valid answer is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

# Numeric Pain Rating Scale, 0 = no pain, 10 = worst pain imaginable
# (Childs et al., Spine 2005;30:1331–4). Soreness after needling uses the same 0–10 scale
# (Martín-Pintado-Zugasti et al. 2016).
NRS_MIN: Final = 0
NRS_MAX: Final = 10
NRS_ANCHORS: Final = {0: "No pain", 10: "Worst pain imaginable"}

# Patient-Specific Functional Scale: 3–5 activities the patient names, each rated
# 0 = unable to perform … 10 = able to perform at the level before the problem
# (Stratford et al., Physiother Can 1995;47:258–63).
PSFS_MIN_ACTIVITIES: Final = 3
PSFS_MAX_ACTIVITIES: Final = 5
PSFS_MIN: Final = 0
PSFS_MAX: Final = 10
PSFS_ANCHORS: Final = {0: "Unable to do it", 10: "Can do it as before the problem"}

# Oswestry Disability Index (Fairbank & Pynsent, Spine 2000): 10 sections scored 0–5,
# total reported as a percentage 0–100.
ODI_SECTIONS: Final = 10
ODI_SECTION_MAX: Final = 5

# Patient Global Impression of Change, 1 = very much improved … 7 = very much worse
# (NINDS common data elements).
PGIC_LABELS: Final = {
    1: "Very much improved",
    2: "Much improved",
    3: "Minimally improved",
    4: "No change",
    5: "Minimally worse",
    6: "Much worse",
    7: "Very much worse",
}

# Input limits (not clinical): keep notes readable and records small.
NOTE_MAX_CHARS: Final = 2000
NAME_MAX_CHARS: Final = 80
# Clocks on phones drift; a few minutes "in the future" is a clock, not a typo.
FUTURE_TOLERANCE: Final = timedelta(minutes=5)

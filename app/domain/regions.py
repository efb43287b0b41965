"""Body regions: where a patient hurts, and where a therapist needled.

Needling region keys are the ones the guidance engine's input contract uses.
"""

from __future__ import annotations

from typing import Final

NEEDLING_REGIONS: Final[dict[str, str]] = {
    "lumbar": "Lower back (lumbar)",
    "thoracic": "Upper back (thoracic)",
    "neck": "Neck",
    "shoulder": "Shoulder",
    "chest_wall": "Chest wall",
    "gluteal": "Buttock (gluteal)",
    "hip": "Hip",
    "leg": "Leg",
}

PAIN_REGIONS: Final[dict[str, str]] = {
    "neck": "Neck",
    "upper_back": "Upper back",
    "mid_back": "Middle back",
    "lower_back": "Lower back",
    "buttock_left": "Left buttock",
    "buttock_right": "Right buttock",
    "hip_left": "Left hip",
    "hip_right": "Right hip",
    "leg_left": "Left leg",
    "leg_right": "Right leg",
    "shoulder_left": "Left shoulder",
    "shoulder_right": "Right shoulder",
}

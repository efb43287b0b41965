"""Every file path the app uses, in one module."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"
GUIDANCE_RULEBOOK = ASSETS_DIR / "guidance" / "rulebook.json"
EDUCATION_PAGE = ASSETS_DIR / "guidance" / "education.md"
PROGRESS_THRESHOLDS = ASSETS_DIR / "progress" / "thresholds.json"
FHIR_CODES = ASSETS_DIR / "fhir" / "codes.json"  # the FHIR export's code systems
# plotly.js built with the cartesian trace types only (npm plotly.js-cartesian-dist-min,
# MIT licence beside it): a third of the full bundle, so a phone compiles it faster.
PLOTLY_CARTESIAN_JS = ASSETS_DIR / "vendor" / "plotly-cartesian-4.1.1.min.js"


def default_data_dir() -> Path:
    return REPO_ROOT / "storage"


def store_dir(data_dir: Path) -> Path:
    return data_dir / "store"


def backups_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


SMTP_FILE_NAME = "smtp.json"


def smtp_file(data_dir: Path) -> Path:
    """The clinic's mail server settings, password included (app.services.mail_settings):
    beside the store, not in it, so no backup or export carries the password."""
    return data_dir / SMTP_FILE_NAME

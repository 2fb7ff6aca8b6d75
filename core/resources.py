"""Where the bundled models live."""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(os.environ.get("COLORIZER_RESOURCES", Path(__file__).resolve().parent.parent / "resources"))
MODELS = RESOURCES / "models"


def default_checkpoint() -> Path:
    """The default model: the file named in resources/models/DEFAULT."""
    name = (MODELS / "DEFAULT").read_text().strip()
    return MODELS / name


def bundled_checkpoints() -> list[Path]:
    return sorted(MODELS.glob("*.safetensors"))

"""Atomic publication of a finished temporary file under its final name."""

from __future__ import annotations

import os
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would have given; mkstemp makes 0600


def publish(tmp: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Give tmp the usual file permissions and rename it to dst in one step (dst is whole or absent)."""
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, dst)
    return Path(dst)

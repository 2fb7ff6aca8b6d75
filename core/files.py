"""Atomic file writes: every file this project writes appears whole under its final name, or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would have given; mkstemp makes 0600


def part_prefix(dst: Path) -> str:
    """Name prefix of dst's temporary file while it is written; short enough for any legal dst name."""
    return f".{dst.name[:100]}."


def publish(tmp: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Give tmp the usual file permissions and rename it to dst in one step (dst is whole or absent)."""
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, dst)
    return Path(dst)


def write_atomic(dst: str | os.PathLike, write: Callable[[BinaryIO], None], fsync: bool = True) -> Path:
    """Call write(f) on a hidden `.NAME.*.part` file beside dst, then rename it to dst.

    A crash at any moment leaves dst as it was (or absent) and at most a .part file, which the batch
    cleans up (core.batch.remove_stale_parts). Whatever write raises is raised again, the part file removed.
    """
    dst = Path(dst)
    fd, tmp = tempfile.mkstemp(prefix=part_prefix(dst), suffix=".part", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        return publish(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(dst: str | os.PathLike, data: bytes) -> Path:
    return write_atomic(dst, lambda f: f.write(data))


def write_text_atomic(dst: str | os.PathLike, text: str) -> Path:
    return write_bytes_atomic(dst, text.encode())

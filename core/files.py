"""Files: atomic writes (every file this project writes appears whole under its final name, or not at all) and
resolved paths."""

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
    """Name prefix of dst's temporary files: `.NAME.`, NAME cut to 100 bytes of whole UTF-8 characters, so
    that with the writer's process id and a random part the name stays far under 255 bytes."""
    return f".{dst.name.encode()[:100].decode(errors='ignore')}."


def part_owner(part: Path, dst: Path) -> int | None:
    """The process id that wrote a temporary file of dst's (`.NAME.PID.RANDOM.part`), or None if unknown."""
    pid = part.name[len(part_prefix(dst)):].split(".", 1)[0]
    return int(pid) if pid.isdigit() else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True


def publish(tmp: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Give tmp the usual file permissions and rename it to dst in one step (dst is whole or absent)."""
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, dst)
    return Path(dst)


def write_atomic(dst: str | os.PathLike, write: Callable[[BinaryIO], None], fsync: bool = True) -> Path:
    """Call write(f) on a hidden `.NAME.*.part` file beside dst, then rename it to dst.

    A crash at any moment leaves dst as it was (or absent) and at most a .part file named with this
    process's id, which a later run cleans up once this process is gone (core.batch.remove_stale_parts).
    Whatever write raises is raised again, the part file removed.
    """
    dst = Path(dst)
    fd, tmp = tempfile.mkstemp(prefix=f"{part_prefix(dst)}{os.getpid()}.", suffix=".part", dir=dst.parent)
    _IN_PROGRESS.add(tmp)
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
    finally:
        _IN_PROGRESS.discard(tmp)


_IN_PROGRESS: set[str] = set()  # this process's temporary files being written now


def remove_own_parts() -> None:
    """Delete this process's temporary files being written now: before quitting at once (a second Ctrl-C)."""
    for tmp in list(_IN_PROGRESS):
        Path(tmp).unlink(missing_ok=True)


def write_bytes_atomic(dst: str | os.PathLike, data: bytes) -> Path:
    return write_atomic(dst, lambda f: f.write(data))


def write_text_atomic(dst: str | os.PathLike, text: str) -> Path:
    return write_bytes_atomic(dst, text.encode())


def resolved_path(p: str | os.PathLike) -> Path:
    """The real path of p, or its absolute path where it cannot be resolved (e.g. a symlink loop)."""
    try:
        return Path(p).resolve()
    except (OSError, RuntimeError):
        return Path(p).absolute()

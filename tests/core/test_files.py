"""Atomic writes: whole or absent, temp names that fit, and a temp file of a running process left alone."""

import subprocess
import sys

import pytest

from core.batch import remove_stale_parts
from core.files import part_owner, part_prefix, write_atomic, write_bytes_atomic


def test_written_whole_or_not_at_all(tmp_path):
    dst = tmp_path / "a.bin"
    write_bytes_atomic(dst, b"first")

    def fails(f):
        f.write(b"half")
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError):
        write_atomic(dst, fails)
    assert dst.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_a_253_byte_chinese_name_gets_a_temporary_name_under_255_bytes(tmp_path):
    name = "照" * 83 + ".jpg"  # 249 + 4 bytes: legal
    assert len(name.encode()) == 253
    dst = tmp_path / name
    write_bytes_atomic(dst, b"photo")  # the temporary file beside it would fail with ENAMETOOLONG if too long
    assert dst.read_bytes() == b"photo"
    assert len(part_prefix(dst).encode()) <= 102  # "." + 100 bytes of whole characters + "."
    part_prefix(dst).encode().decode()  # no character cut in half


def test_stale_parts_are_removed_but_a_running_process_parts_are_kept(tmp_path):
    dst = tmp_path / "photo.jpg"
    prefix = part_prefix(dst)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
        alive = tmp_path / f"{prefix}{sleeper.pid}.abc123.part"
        dead = tmp_path / f"{prefix}{gone}.def456.part"
        old_style = tmp_path / f"{prefix}xyz789.part"  # from a version without the process id
        for p in (alive, dead, old_style):
            p.write_bytes(b"partial")
        assert part_owner(alive, dst) == sleeper.pid and part_owner(old_style, dst) is None
        remove_stale_parts(dst)
        assert alive.exists() and not dead.exists() and not old_style.exists()
    finally:
        sleeper.kill()

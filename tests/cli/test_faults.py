"""Faults while writing: a read-only output, a full disk, and kill -9 in the middle of a batch."""

import errno
import os
import random
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from PIL import Image

from cli.colorize_folder import main
from tests.helpers import random_gray, snapshot


def _album(root, n, size=(48, 36)):
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        random_gray(*size, seed=i).save(root / f"photo_{i:02d}.png")
    return root


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _assert_outputs_whole(out):
    assert not [p for p in out.rglob("*.part")], "a temporary file was left behind"
    for p in out.rglob("*.png"):
        with Image.open(p) as im:
            im.load()  # raises if the file were partial


@contextmanager
def tmpfs(path, options):
    """A small tmpfs mounted at path, when this machine lets us mount (root on Linux); else skip."""
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)])


def test_full_disk_fails_the_photos_that_do_not_fit_and_leaves_nothing_partial(tmp_path, tiny_checkpoint):
    album = _album(tmp_path / "album", 6, size=(160, 120))
    before = snapshot(album)
    with tmpfs(tmp_path / "small", "size=120k") as out:
        r = _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", "64", "--format", "tiff")
        assert r.exit_code == 1
        assert "No space left on device" in r.output
        _assert_outputs_whole(out)
        for p in out.rglob("*.tif"):
            with Image.open(p) as im:
                im.load()
                assert im.size == (160, 120)
    assert snapshot(album) == before


def test_read_only_output_folder_is_a_usage_error_before_the_model_loads(tmp_path):
    album = _album(tmp_path / "album", 3)
    not_a_model = tmp_path / "not-a-model.safetensors"
    not_a_model.write_bytes(b"garbage: loading it would fail with another message")
    with tmpfs(tmp_path / "ro", "ro,size=1m") as out:
        r = _run(album, "-o", out, "--checkpoint", not_a_model, "--render-size", "64")
        assert r.exit_code == 2
        assert f"cannot write in the output folder {out} (Read-only file system)" in r.output
        assert "Traceback" not in r.output and "safetensors" not in r.output
        assert not list(out.iterdir())
        r = _run(album, "-o", out / "new" / "folder", "--checkpoint", not_a_model)
        assert r.exit_code == 2 and "cannot create the output folder" in r.output


def test_a_write_error_mid_batch_is_reported_and_the_batch_goes_on(tmp_path, tiny_checkpoint, monkeypatch):
    """The same fault injected at the write, for machines that cannot mount a tmpfs."""
    import core.images

    album = _album(tmp_path / "album", 4)
    real_save = Image.Image.save
    calls = []

    def flaky_save(self, fp, *a, **k):
        calls.append(fp)
        if len(calls) == 2:
            fp.write(b"half a photo")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, fp, *a, **k)

    monkeypatch.setattr(core.images.Image.Image, "save", flaky_save)
    out = tmp_path / "out"
    r = _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", "64")
    assert r.exit_code == 1
    assert "3 done, 0 skipped (output exists), 1 failed" in r.output
    assert "No space left on device" in r.output
    assert len(list(out.glob("*.png"))) == 3
    _assert_outputs_whole(out)


def _kill_and_resume(tmp_path, tiny_checkpoint, kills: int, n: int):
    album = _album(tmp_path / "album", n, size=(400, 300))
    before = snapshot(album)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cli.colorize_folder", str(album), "-o", str(out),
           "--checkpoint", str(tiny_checkpoint), "--render-size", "64"]
    rng = random.Random(7)
    for k in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done_before = len(list(out.glob("*.png"))) if out.exists() else 0
        # kill at a random moment once this run has written at least one photo of its own
        deadline = time.time() + 120
        while proc.poll() is None and time.time() < deadline:
            if out.exists() and len(list(out.glob("*.png"))) > done_before:
                time.sleep(rng.uniform(0.0, 0.3))
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait()
        if out.exists():
            for p in out.glob("*.png"):  # whatever is under a final name is a whole photo
                with Image.open(p) as im:
                    im.load()
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout and "skipped" in r.stdout
    assert len(list(out.glob("*.png"))) == n
    _assert_outputs_whole(out)
    assert snapshot(album) == before


def test_kill_9_mid_batch_then_rerun_finishes(tmp_path, tiny_checkpoint):
    _kill_and_resume(tmp_path, tiny_checkpoint, kills=2, n=8)


@pytest.mark.slow
def test_kill_9_mid_batch_many_times(tmp_path, tiny_checkpoint):
    _kill_and_resume(tmp_path, tiny_checkpoint, kills=8, n=30)

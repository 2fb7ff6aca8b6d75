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


def test_an_output_path_longer_than_the_system_allows_fails_that_photo_only(tmp_path, tiny_checkpoint):
    inputs = tmp_path / "in"
    deep = inputs / "/".join(["d" * 250] * 14)  # an input path of about 3,600 bytes: legal
    _album(deep, 1)
    _album(inputs / "short", 1)
    out = tmp_path / ("o" * 250) / ("o" * 250) / ("o" * 250)  # 750 bytes more on the output side: over PATH_MAX
    r = _run(inputs, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", "64")
    assert r.exit_code == 1, r.output
    assert "1 done, 0 skipped (output exists), 1 failed" in r.output
    assert "File name too long" in r.output and "Traceback" not in r.output
    assert (out / "short" / "photo_00.png").exists()


def test_an_output_subfolder_that_cannot_be_read_fails_its_photos_only(tmp_path, tiny_checkpoint, monkeypatch):
    import pathlib

    album = _album(tmp_path / "album", 2)
    _album(album / "locked", 1)
    out = tmp_path / "out"
    (out / "locked").mkdir(parents=True)
    (out / "locked").chmod(0)
    real_exists = pathlib.Path.exists

    def exists(self, *a, **k):  # root can read anything: fail as a stat in an unreadable folder fails for users
        if self.parent == out / "locked":
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "exists", exists)
    r = _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", "64")
    (out / "locked").chmod(0o755)
    assert r.exit_code == 1, r.output
    assert "2 done, 0 skipped (output exists), 1 failed" in r.output
    assert "photo_00.png: cannot use its output path" in r.output and "(Permission denied)" in r.output


def test_a_253_byte_chinese_file_name_is_colorized(tmp_path, tiny_checkpoint):
    album = tmp_path / "album"
    album.mkdir()
    name = "祖母的照片" * 16 + "照片集.png"  # 83 characters of 3 bytes and ".png": 253 bytes
    assert len(name.encode()) == 253
    random_gray(48, 36).save(album / name)
    r = _run(album, "-o", tmp_path / "out", "--checkpoint", tiny_checkpoint, "--render-size", "64")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / name).exists()


def _cli(album, out, tiny_checkpoint, *extra):
    return [sys.executable, "-m", "cli.colorize_folder", str(album), "-o", str(out),
            "--checkpoint", str(tiny_checkpoint), "--render-size", "64", *extra]


def _wait_for_outputs(out, n, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and len(list(out.glob("*.png"))) >= n:
            return
        time.sleep(0.01)
    raise AssertionError("the batch ended or stalled before it could be interrupted")


def test_ctrl_c_stops_after_the_photos_in_hand_and_says_interrupted(tmp_path, tiny_checkpoint):
    album = _album(tmp_path / "album", 40, size=(600, 400))
    before = snapshot(album)
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(album, out, tiny_checkpoint), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    _wait_for_outputs(out, 2, proc)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    done = int(stdout.split(" done,")[0].split()[-1])
    assert 2 <= done < 40 and "0 failed; interrupted" in stdout
    assert "Traceback" not in stderr and "terminate called" not in stderr
    assert len(list(out.glob("*.png"))) == done
    _assert_outputs_whole(out)
    assert snapshot(album) == before


def test_a_second_ctrl_c_stops_at_once_and_cleanly(tmp_path, tiny_checkpoint):
    album = _album(tmp_path / "album", 40, size=(600, 400))
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(album, out, tiny_checkpoint), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    _wait_for_outputs(out, 1, proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr  # not -6 (SIGABRT) as it was
    assert "Traceback" not in stderr and "terminate called" not in stderr
    _assert_outputs_whole(out)


def test_two_runs_into_one_output_folder_report_no_false_failures(tmp_path, tiny_checkpoint):
    album = _album(tmp_path / "album", 16, size=(1600, 1200))  # slow writes: long-lived temporary files
    out = tmp_path / "out"
    runs = [subprocess.Popen(_cli(album, out, tiny_checkpoint, "--overwrite"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.communicate(timeout=300), p.returncode) for p in runs]
    for (stdout, stderr), code in results:
        assert code == 0 and "0 failed" in stdout, stdout + stderr
    assert len(list(out.glob("*.png"))) == 16
    _assert_outputs_whole(out)

"""A corpus of bad and odd inputs, made here, through `colorize-folder` in one batch.

Each file is either colorized correctly (size and orientation kept) or reported with a one-line error that
names it and the cause; the batch goes on; the exit code and summary are right; no original changes.
"""

import io
import os
import struct
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageCms

from cli.colorize_folder import main
from tests.helpers import random_gray, random_rgb, snapshot

W, H = 48, 36


def _jpeg_bytes(im, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def _png_bytes(im, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


def _bomb_png() -> bytes:
    """A valid PNG that declares 100000 x 100000 pixels (10 GP) but holds almost nothing."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


def _weird_gray_icc() -> bytes:
    """A gray ICC profile (not RGB, so it must not be carried into a colour output), with an odd description."""
    p = ImageCms.createProfile("LAB")  # a valid profile of a colour space our RGB output can't use
    return ImageCms.ImageCmsProfile(p).tobytes()


# name -> (how to make it, expected: ("ok", output name, size) or ("failed", words in the cause))
def corpus() -> dict:
    gray, rgb = random_gray(W, H), random_rgb(W, H)
    good_jpeg = _jpeg_bytes(gray)
    good_png = _png_bytes(gray)
    pal = rgb.convert("P", palette=Image.ADAPTIVE)
    pal.info["transparency"] = 0
    frames = [random_gray(W, H, seed=s) for s in range(3)]
    c = {
        "zero.jpg": (b"", ("failed", "empty file")),
        "truncated.jpg": (good_jpeg[: len(good_jpeg) // 2], ("failed", "truncated")),
        "truncated.png": (good_png[: len(good_png) // 2], ("failed", "truncated")),
        "text.jpg": (b"just some notes, not a photo\n", ("failed", "not an image")),
        "page.png": (b"<!doctype html><html><body>404</body></html>", ("failed", "not an image")),
        "bomb.png": (_bomb_png(), ("failed", "too large")),
        "cmyk.jpg": (rgb.convert("CMYK"), ("ok", "cmyk.jpg", (W, H))),
        "gray16.png": (Image.fromarray(np.asarray(gray).astype(np.uint16) * 257), ("ok", "gray16.png", (W, H))),
        "gray16.tif": (Image.fromarray(np.asarray(gray).astype(np.uint16) * 257), ("ok", "gray16.tif", (W, H))),
        "la.png": (Image.merge("LA", (gray, gray)), ("ok", "la.png", (W, H))),
        "p_transparent.png": (pal, ("ok", "p_transparent.png", (W, H))),
        "rgba.png": (Image.merge("RGBA", (*rgb.split(), gray)), ("ok", "rgba.png", (W, H))),
        "animated.gif": (frames, ("ok", "animated.png", (W, H))),
        "multipage.tif": (frames, ("ok", "multipage.tif", (W, H))),
        "one_pixel.png": (Image.new("L", (1, 1), 128), ("ok", "one_pixel.png", (1, 1))),
        "long_20000x20.png": (Image.new("L", (20000, 20), 90), ("ok", "long_20000x20.png", (20000, 20))),
        "gray_weird_icc.jpg": ((gray, {"icc_profile": _weird_gray_icc()}), ("ok", "gray_weird_icc.jpg", (W, H))),
        "ünïcødé fötö (1950).jpg": (gray, ("ok", "ünïcødé fötö (1950).jpg", (W, H))),
        ("x" * 240 + ".jpg"): (gray, ("ok", "x" * 240 + ".jpg", (W, H))),
    }
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        upright = (H, W) if o in (5, 6, 7, 8) else (W, H)
        c[f"exif_orientation_{o}.jpg"] = ((gray, {"exif": exif.tobytes()}), ("ok", f"exif_orientation_{o}.jpg", upright))
    return c


def _write(path, what):
    if isinstance(what, bytes):
        path.write_bytes(what)
    elif isinstance(what, list):
        what[0].save(path, save_all=True, append_images=what[1:])
    elif isinstance(what, tuple):
        what[0].save(path, **what[1])
    else:
        what.save(path)


@pytest.fixture
def hostile(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    expected = {}
    for name, (what, outcome) in corpus().items():
        _write(folder / name, what)
        expected[name] = outcome
    # a symlink loop among the photos, and a folder symlink pointing back up (no endless walk)
    os.symlink(folder / "loop_b.jpg", folder / "loop_a.jpg")
    os.symlink(folder / "loop_a.jpg", folder / "loop_b.jpg")
    expected["loop_a.jpg"] = ("failed", "symbolic links")
    expected["loop_b.jpg"] = ("failed", "symbolic links")
    (folder / "sub").mkdir()
    os.symlink(folder, folder / "sub" / "back_up")
    return folder, expected


def test_every_bad_or_odd_input_is_colorized_or_reported(hostile, tmp_path, tiny_checkpoint):
    folder, expected = hostile
    before = snapshot(folder)
    out = tmp_path / "out"
    # the CMYK file is listed a second time on its own: it must be colorized once
    r = CliRunner().invoke(main, [str(folder), str(folder / "cmyk.jpg"), "-o", str(out),
                                  "--checkpoint", str(tiny_checkpoint), "--render-size", "64"],
                           catch_exceptions=False)
    n_ok = sum(e[0] == "ok" for e in expected.values())
    n_failed = len(expected) - n_ok
    assert r.exit_code == 1, r.output
    assert f"{n_ok} done, 0 skipped (output exists), {n_failed} failed" in r.output
    failures = [line.strip()[len("failed: "):] for line in r.output.splitlines() if line.strip().startswith("failed: ")]
    outcome_table = []
    for name, (status, *rest) in sorted(expected.items()):
        if status == "ok":
            out_name, size = rest
            with Image.open(out / "scans" / out_name) as im:
                assert im.size == size, name
                assert im.mode in ("RGB", "RGBA")
            outcome_table.append((name, f"colorized, {size[0]}x{size[1]}"))
        else:
            (words,) = rest
            line = next((f for f in failures if f.startswith(str(folder / name) + ":")), None)
            assert line is not None, f"{name} not reported: {r.output}"
            assert words in line and "\n" not in line, line
            outcome_table.append((name, line.split(": ", 1)[1]))
    assert not (out / "cmyk.jpg").exists(), "a file listed twice is colorized once"
    assert snapshot(folder) == before
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    print("\n".join(f"| {n} | {o} |" for n, o in outcome_table))


def test_unreadable_file_is_reported(tmp_path, tiny_checkpoint, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    random_gray(W, H).save(folder / "fine.jpg")
    locked = folder / "locked.jpg"
    random_gray(W, H).save(locked)
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # root reads anything: make the open fail as it would for a user
        import builtins

        real_open = builtins.open

        def guarded(file, *a, **k):
            if str(file) == str(locked):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *a, **k)

        monkeypatch.setattr(builtins, "open", guarded)
    r = CliRunner().invoke(main, [str(folder), "-o", str(tmp_path / "out"), "--checkpoint", str(tiny_checkpoint),
                                  "--render-size", "64"], catch_exceptions=False)
    assert r.exit_code == 1
    assert f"failed: {locked}: cannot open (Permission denied)" in r.output
    assert "1 done" in r.output

"""A corpus of bad and odd inputs, made here, through `colorize-folder` in one batch.

Each file is either colorized correctly (size and orientation kept) or reported with a one-line error that
names it and the cause; the batch goes on; the exit code and summary are right; no original changes.
"""

import io
import os
import struct
import zlib
from pathlib import Path

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


def _tiff_bytes(im, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "TIFF", **kw)
    return buf.getvalue()


def _damaged_ancillary_png(gray) -> bytes:
    """A PNG whose tEXt chunk (before the image data) fails its CRC, as a bad copy leaves it."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Aunt Ida, 1952")
    data = bytearray(_png_bytes(gray, pnginfo=info))
    at = data.find(b"tEXt")
    data[at + 6] ^= 0xFF  # a flipped bit in the comment: its CRC no longer matches
    return bytes(data)


def pixels_as_the_file_means_them(gray, rgb, good_jpeg) -> dict:
    g = np.asarray(gray)
    key = int(g[0, 0])
    int32 = (g.astype(np.int64) * 16_000_000 - 2_000_000_000).astype(np.int32)  # a full-range 32-bit scan
    deflated_tiff = _tiff_bytes(gray, compression="tiff_deflate")  # libtiff writes its directory last
    return {
        "trns_gray.png": ((gray, {"transparency": key}), ("ok", "trns_gray.png", (W, H), "transparent")),
        "trns_rgb.png": ((rgb, {"transparency": tuple(np.asarray(rgb)[0, 0].tolist())}),
                         ("ok", "trns_rgb.png", (W, H), "transparent")),
        "int32_full_range.tif": (Image.fromarray(int32, "I"), ("ok", "int32_full_range.tif", (W, H), "tones")),
        "float_in_other_units.tif": (Image.fromarray(g.astype(np.float32) * 40.0 - 900.0, "F"),
                                     ("ok", "float_in_other_units.tif", (W, H), "tones")),
        "no_end_marker.jpg": (good_jpeg[:-2], ("ok", "no_end_marker.jpg", (W, H), "end marker")),
        "damaged_comment.png": (_damaged_ancillary_png(gray), ("ok", "damaged_comment.png", (W, H), "tEXt")),
        "cut_directory.tif": (deflated_tiff[: len(deflated_tiff) - 60], ("failed", "truncated")),
        "IMG_0001": (good_jpeg, ("ok", "IMG_0001.png", (W, H))),  # an old camera transfer: no extension
        "notes": (b"shopping list\n", ("ignored",)),  # no extension, not an image: not a photo at all
        "Thumbs.db": (b"\xd0\xcf\x11\xe0" + bytes(500), ("ignored",)),
        "._junk_photo.jpg": (b"\x00\x05\x16\x07AppleDouble", ("ignored",)),
        "__MACOSX/mac_junk.jpg": (b"\x00\x05\x16\x07AppleDouble", ("ignored",)),
        "fifo.jpg": ("fifo", ("skipped", "not a regular file (a named pipe)")),
        "line\nbreak.jpg": (good_jpeg[: len(good_jpeg) // 2], ("failed", "truncated")),
    }


# name -> (how to make it, expected: ("ok", output name, size[, what else to check]), ("failed", words in the
# cause), ("skipped", words in the note) or ("ignored",): never mentioned, never colorized)
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
    c.update(pixels_as_the_file_means_them(gray, rgb, good_jpeg))
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        upright = (H, W) if o in (5, 6, 7, 8) else (W, H)
        c[f"exif_orientation_{o}.jpg"] = ((gray, {"exif": exif.tobytes()}), ("ok", f"exif_orientation_{o}.jpg", upright))
    return c


def _write(path, what):
    path.parent.mkdir(parents=True, exist_ok=True)
    if what == "fifo":
        os.mkfifo(path)  # opening it would block the batch forever
    elif isinstance(what, bytes):
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
    n_failed = sum(e[0] == "failed" for e in expected.values())
    assert r.exit_code == 1, r.output
    assert f"{n_ok} done, 0 skipped (output exists), {n_failed} failed" in r.output
    lines = [line.strip() for line in r.output.splitlines()]
    failures = [line[len("failed: "):] for line in lines if line.startswith("failed: ")]
    notes = [line[len("skipped: "):] for line in lines if line.startswith("skipped: ")]
    warnings = [line[len("warning: "):] for line in lines if line.startswith("warning: ")]
    outcome_table = []
    for name, (status, *rest) in sorted(expected.items()):
        shown = str(folder / name).replace("\n", "\\n")  # control characters are escaped
        if status == "ok":
            out_name, size, *check = rest
            with Image.open(out / out_name) as im:  # the only folder: straight into the output folder
                assert im.size == size, name
                assert im.mode in ("RGB", "RGBA")
                pixels = np.asarray(im)
            if check == ["transparent"]:
                assert im.mode == "RGBA" and (pixels[..., 3] == 0).any() and (pixels[..., 3] == 255).any(), name
            elif check == ["tones"]:
                assert pixels[..., :3].std() > 20, f"{name}: tones lost"
            elif check:  # forgiven damage: colorized, with a warning that says what was forgiven
                assert any(w.startswith(shown + ":") and check[0] in w for w in warnings), (name, warnings)
            outcome_table.append((name, f"colorized, {size[0]}x{size[1]}"))
        elif status == "ignored":
            assert name.split("/")[-1] not in r.output, f"{name} should be silently ignored"
            assert not list(out.rglob(Path(name).stem + "*")), name
            outcome_table.append((name, "ignored"))
        else:
            (words,) = rest
            reported = failures if status == "failed" else notes
            line = next((f for f in reported if f.startswith(shown + ":")), None)
            assert line is not None, f"{name} not reported: {r.output}"
            assert words in line, line
            outcome_table.append((name, line.split(": ", 1)[1]))
    assert "Traceback" not in r.output and "Warning:" not in r.output and "site-packages" not in r.output
    assert [p.name for p in out.glob("cmyk*")] == ["cmyk.jpg"], "a file listed twice is colorized once"
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


def test_a_photo_over_the_megapixel_limit_is_refused_naming_the_option(tmp_path, tiny_checkpoint):
    folder = tmp_path / "in"
    folder.mkdir()
    random_gray(1500, 1000).save(folder / "scan.png")  # 1.5 MP
    random_gray(W, H).save(folder / "small.png")
    args = [str(folder), "-o", str(tmp_path / "out"), "--checkpoint", str(tiny_checkpoint), "--render-size", "64"]
    r = CliRunner().invoke(main, args + ["--max-megapixels", "1"], catch_exceptions=False)
    assert r.exit_code == 1 and "1 done, 0 skipped (output exists), 1 failed" in r.output
    assert "scan.png: a large image (2 MP, 1500x1000), over the 1 MP limit; raise it with --max-megapixels" in r.output
    r = CliRunner().invoke(main, args + ["--max-megapixels", "2"], catch_exceptions=False)
    assert r.exit_code == 0 and "1 done, 1 skipped (output exists), 0 failed" in r.output


@pytest.mark.slow
def test_a_108_megapixel_scan_is_colorized(tmp_path, tiny_checkpoint):
    """A 10 x 7.5 inch print at 1200 dpi: Pillow alone refuses it as a decompression bomb."""
    folder = tmp_path / "in"
    folder.mkdir()
    small = np.asarray(random_gray(400, 300))
    Image.fromarray(small).resize((12000, 9000), Image.BILINEAR).save(folder / "print_1200dpi.jpg", quality=85)
    r = CliRunner().invoke(main, [str(folder), "-o", str(tmp_path / "out"), "--checkpoint", str(tiny_checkpoint),
                                  "--render-size", "64"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Image.open(tmp_path / "out" / "print_1200dpi.jpg") as im:
        assert im.size == (12000, 9000) and im.mode == "RGB"

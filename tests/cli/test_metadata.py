"""Hostile inputs, metadata: what scanners, cameras and photo editors write never fails a photo, in any output
format; what a format cannot hold is dropped and named in one warning line; every output's metadata reads
back with Pillow and carries the provenance note."""

import io

import pytest
from click.testing import CliRunner
from PIL import Image, TiffImagePlugin

from cli.colorize_folder import main
from core.metadata import PROVENANCE
from tests.helpers import random_gray, snapshot

W, H = 48, 36
DATE_TAKEN = "1951:06:01 12:00:00"


def _exif(**sub) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Canon", "EOS 300D", "2004:01:01 10:00:00"  # Make, Model, DateTime
    exif.get_ifd(0x8769)[0x9003] = DATE_TAKEN  # DateTimeOriginal
    for ifd, tags in sub.items():
        exif.get_ifd({"exif": 0x8769, "gps": 0x8825}[ifd]).update(tags)
    return exif


def _tiff(tags: dict, **save) -> bytes:
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, value in tags.items():
        ifd[tag] = value
    buf = io.BytesIO()
    random_gray(W, H).save(buf, "TIFF", tiffinfo=ifd, **save)
    return buf.getvalue()


def _jpeg(**save) -> bytes:
    buf = io.BytesIO()
    random_gray(W, H).convert("RGB").save(buf, "JPEG", **save)
    return buf.getvalue()


def metadata_files() -> dict:
    """name -> (bytes, words the warning line must hold, or None when everything is carried)."""
    gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    camera = _jpeg(exif=_exif(gps=gps).tobytes())
    # a camera maker note that fills the 64 KB EXIF block to within 30 bytes: the provenance note cannot fit
    maker_note = _jpeg(exif=_exif(exif={0x927C: bytes(range(256)) * 255 + bytes(66)}).tobytes())
    return {
        # a scanner's TIFF with DateTimeOriginal in its EXIF sub-IFD
        "scanner_subifd.tif": (_tiff({0x010F: "EPSON", 0x8769: {0x9003: DATE_TAKEN}}), None),
        "camera_gps.jpg": (camera, None),
        "makernote_64k.jpg": (maker_note, {"JPEG": "MakerNote", "WEBP": "MakerNote"}),
        "photoshop_xmp_iptc.tif": (_tiff({700: b"<x:xmpmeta>" + b" " * 70_000 + b"</x:xmpmeta>",
                                          33723: b"\x1c\x02\x05\x00\x05Grandpa" * 2000}),
                                   {fmt: "XMP block" for fmt in ("JPEG", "PNG", "TIFF", "WEBP")}),
        "bigtiff.tif": (_tiff({0x010F: "EPSON", 0x8769: {0x9003: DATE_TAKEN}}, big_tiff=True), None),
        # an RGB profile header on a body LittleCMS cannot parse
        "broken_icc.jpg": (_jpeg(icc_profile=b"\0" * 16 + b"RGB " + b"\x07" * 300),
                           {fmt: "colour profile (unreadable)" for fmt in ("JPEG", "PNG", "TIFF", "WEBP")}),
    }


OUTPUT_FORMAT = {"jpg": "JPEG", "png": "PNG", "tiff": "TIFF"}


@pytest.mark.parametrize("fmt", ["keep", "jpg", "png", "tiff"])
def test_metadata_never_fails_a_photo_in_any_output_format(tmp_path, tiny_checkpoint, fmt):
    folder = tmp_path / "scans"
    folder.mkdir()
    files = metadata_files()
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    before = snapshot(folder)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, [str(folder), "-o", str(out), "--format", fmt, "--checkpoint", str(tiny_checkpoint),
                                  "--render-size", "64"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert f"{len(files)} done, 0 skipped (output exists), 0 failed" in r.output
    # each warning shows live (stderr) and again in the closing summary
    warnings = {line.strip() for line in r.output.splitlines() if line.strip().startswith("warning: ")}
    for name, (_, expected_warning) in files.items():
        src = folder / name
        dst = next(out.glob(src.stem + ".*"))
        out_format = OUTPUT_FORMAT.get(fmt) or Image.open(src).format
        with Image.open(dst) as im:
            im.load()
            assert im.size == (W, H)
            exif = im.getexif()  # reads back
            sub, gps = exif.get_ifd(0x8769), exif.get_ifd(0x8825)
        assert exif[0x0131] == PROVENANCE, name
        mine = [w for w in warnings if w.startswith(f"warning: {src}: ")]
        want = (expected_warning or {}).get(out_format)
        if want:
            assert len(mine) == 1 and want in mine[0], (name, out_format, mine)
        else:
            assert mine == [], (name, out_format)
        if name in ("scanner_subifd.tif", "camera_gps.jpg", "bigtiff.tif"):
            assert sub.get(0x9003) == DATE_TAKEN, (name, out_format)  # the date taken survives every format
        if name == "camera_gps.jpg":
            assert exif[0x010F] == "Canon" and gps[2] == (52.0, 31.0, 12.0)
    assert snapshot(folder) == before

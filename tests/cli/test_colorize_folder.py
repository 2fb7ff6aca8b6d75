import os

import pytest
from click.testing import CliRunner
from PIL import Image, ImageCms

from cli.colorize_folder import main
from core.output_map import MAP_FILE
from tests.helpers import random_gray, snapshot


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def album(tmp_path):
    src = tmp_path / "album"
    (src / "1950s" / "summer").mkdir(parents=True)
    random_gray(40, 30, 1).save(src / "a.jpg")
    random_gray(30, 50, 2).save(src / "1950s" / "b.png")
    random_gray(35, 35, 3).save(src / "1950s" / "summer" / "c.tif")
    return src


def test_colorizes_a_tree_into_a_mirrored_tree(album, tmp_path, tiny_checkpoint):
    before = snapshot(album)
    out = tmp_path / "out"
    r = _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64)
    assert r.exit_code == 0, r.output
    assert "3 done, 0 skipped" in r.output
    for rel, size in [("a.jpg", (40, 30)), ("1950s/b.png", (30, 50)), ("1950s/summer/c.tif", (35, 35))]:
        with Image.open(out / rel) as im:
            assert im.size == size and im.mode == "RGB"
    assert snapshot(album) == before, "originals must stay byte-identical with unchanged mtimes"
    left = [p for p in out.rglob("*") if p.name.startswith(".") and p.name != MAP_FILE]
    assert not left, "no temporary file may be left (only the output folder's map of where folders go)"


def test_format_option_changes_the_output_type(album, tmp_path, tiny_checkpoint):
    out = tmp_path / "out"
    assert _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64, "--format", "png").exit_code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "1950s/b.png", "1950s/summer/c.png", "a.png"]


def test_rerun_skips_existing_and_overwrite_redoes(album, tmp_path, tiny_checkpoint):
    out = tmp_path / "out"
    common = ["-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64]
    assert _run(album, *common).exit_code == 0
    (out / "a.jpg").unlink()  # as if the first run had been interrupted before this photo
    stamp = (out / "1950s" / "b.png").stat().st_mtime_ns
    r = _run(album, *common)
    assert r.exit_code == 0 and "1 done, 2 skipped" in r.output
    assert (out / "a.jpg").exists() and (out / "1950s" / "b.png").stat().st_mtime_ns == stamp
    r = _run(album, *common, "--overwrite")
    assert r.exit_code == 0 and "3 done, 0 skipped" in r.output


def test_a_bad_file_fails_alone_and_the_batch_goes_on(album, tmp_path, tiny_checkpoint):
    (album / "1950s" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (album / "notes.png").write_text("<html>not an image</html>")
    before = snapshot(album)
    out = tmp_path / "out"
    r = _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64)
    assert r.exit_code == 1
    assert "3 done, 0 skipped (output exists), 2 failed" in r.output
    assert "broken.jpg" in r.output and "notes.png" in r.output
    assert not (out / "1950s" / "broken.jpg").exists()
    assert snapshot(album) == before


def test_exif_and_icc_profile_are_carried_over(tmp_path, tiny_checkpoint):
    src = tmp_path / "in"
    src.mkdir()
    exif = Image.Exif()
    exif[0x013B] = "Grandma"  # Artist
    exif[0x0112] = 8  # rotated: the output is upright, so its orientation tag must be reset
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    random_gray(40, 20).convert("RGB").save(src / "p.jpg", exif=exif.tobytes(), icc_profile=icc)
    out = tmp_path / "out"
    assert _run(src, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64).exit_code == 0
    with Image.open(out / "p.jpg") as im:
        assert im.size == (20, 40)
        assert im.info.get("icc_profile") == icc
        e = im.getexif()
        assert e[0x013B] == "Grandma" and e[0x0112] == 1
        assert "Colorized by" in e[0x0131]


def test_output_folder_equal_to_input_folder_is_refused(album, tiny_checkpoint):
    before = snapshot(album)
    r = _run(album, "-o", album, "--checkpoint", tiny_checkpoint, "--render-size", 64)
    assert r.exit_code == 1 and "is an input file" in r.output
    assert snapshot(album) == before


def test_output_folder_inside_the_input_is_not_colorized_again(album, tiny_checkpoint):
    out = album / "colour"
    common = ["-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64]
    assert _run(album, *common).exit_code == 0
    r = _run(album, *common)
    assert r.exit_code == 0 and "0 done, 3 skipped" in r.output


def test_files_and_folders_together(album, tmp_path, tiny_checkpoint):
    single = tmp_path / "loose.jpg"
    random_gray(20, 20).save(single)
    out = tmp_path / "out"
    r = _run(album, single, single, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64)
    assert r.exit_code == 0 and "4 done" in r.output
    assert (out / "loose.jpg").exists() and (out / "1950s" / "b.png").exists()


def test_a_folder_added_later_never_moves_the_photos_already_done(album, tmp_path, tiny_checkpoint):
    """The first folder colorized into an output folder maps straight in; one added later gets a subfolder,
    and the first one's photos stay where they are: nothing is redone, no new subfolder appears for them."""
    out = tmp_path / "out"
    common = ["-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64]
    assert _run(album, *common).exit_code == 0
    first = sorted(p.relative_to(out) for p in out.rglob("*.*") if not p.name.startswith("."))
    other = tmp_path / "more" / "album"  # the first folder's name: its subfolder gets a number
    other.mkdir(parents=True)
    random_gray(20, 20).save(other / "c.png")
    r = _run(album, other, *common)
    assert r.exit_code == 0 and "1 done, 3 skipped" in r.output, r.output
    assert (out / "album" / "c.png").exists()  # "album" is free: the first folder went straight in
    now = sorted(p.relative_to(out) for p in out.rglob("*.*") if not p.name.startswith("."))
    assert set(first) <= set(now) and len(now) == len(first) + 1
    r = _run(other, *common)  # on its own later: still its own subfolder, already done
    assert r.exit_code == 0 and "0 done, 1 skipped" in r.output


@pytest.mark.parametrize("args", [
    ["does-not-exist", "-o", "out"],
    ["{album}", "-o", "{album}/a.jpg"],  # the output folder is a file
    ["{album}/a.jpg/", "-o", "out"],  # a file given as if it were a folder
    ["{album}", "-o", "out", "--render-size", "100"],
    ["{album}"],
])
def test_usage_errors_exit_2(album, tiny_checkpoint, tmp_path, args):
    os.chdir(tmp_path)
    r = _run(*[a.format(album=album) for a in args], "--checkpoint", tiny_checkpoint)
    assert r.exit_code == 2


def test_outputs_get_the_usual_file_permissions(album, tmp_path, tiny_checkpoint):
    out = tmp_path / "out"
    assert _run(album, "-o", out, "--checkpoint", tiny_checkpoint, "--render-size", 64).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "a.jpg").stat().st_mode & 0o777 == 0o666 & ~umask

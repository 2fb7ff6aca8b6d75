"""colorize-folder --hints and --warmth."""

import json

import numpy as np
from click.testing import CliRunner
from PIL import Image

from cli.colorize_folder import main
from core.lab import rgb_to_lab
from tests.helpers import snapshot


def _photos(tmp_path):
    album = tmp_path / "album"
    (album / "1950s").mkdir(parents=True)
    a = np.full((100, 150), 60, np.uint8)
    a[:, 75:] = 200
    Image.fromarray(a).save(album / "1950s" / "grandma.png")
    Image.fromarray(a).save(album / "plain.png")
    loose = tmp_path / "loose.png"
    Image.fromarray(a).save(loose)
    return album, loose


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _b_star(path, box):
    return rgb_to_lab(np.asarray(Image.open(path).convert("RGB"))[box])[..., 2].mean()


def test_hints_colour_the_named_photos_and_leave_the_rest_as_usual(tmp_path, tiny_checkpoint):
    album, loose = _photos(tmp_path)
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps({"1950s/grandma.png": [{"x": 30, "y": 50, "color": "#2a4d8f"}],
                                 "loose.png": [{"x": 30, "y": 50, "color": "#2a4d8f"}]}))
    before = snapshot(album)
    common = ["--checkpoint", tiny_checkpoint, "--render-size", 64]
    r = _run(album, loose, "-o", tmp_path / "with", "--hints", hints, *common)
    assert r.exit_code == 0, r.output
    r = _run(album, loose, "-o", tmp_path / "without", *common)
    assert r.exit_code == 0, r.output
    left = np.s_[30:70, 5:60]
    for rel in ("1950s/grandma.png", "loose.png"):
        assert _b_star(tmp_path / "with" / rel, left) < -15, rel  # blue where the hint is
    with_plain, without_plain = (np.asarray(Image.open(tmp_path / d / "plain.png")) for d in ("with", "without"))
    assert np.array_equal(with_plain, without_plain)  # a photo not in the file: colorized as usual
    assert snapshot(album) == before


def test_a_bad_hints_file_is_a_usage_error_naming_the_file_and_entry(tmp_path, tiny_checkpoint):
    album, _ = _photos(tmp_path)
    hints = tmp_path / "hints.json"
    cases = [({"1950s/grandma.png": [{"x": 400, "y": 50, "color": "#2a4d8f"}]},
              "entry '1950s/grandma.png', hint 1: point (400, 50) is outside the photo (150x100)"),
             ({"grandma.png": [{"x": 1, "y": 1, "color": "#2a4d8f"}]}, "entry 'grandma.png': no such photo"),
             ({"plain.png": [{"x": 1, "y": 1, "color": "#2a4d8"}]}, "entry 'plain.png', hint 1: colour")]
    for data, words in cases:
        hints.write_text(json.dumps(data))
        r = _run(album, "-o", tmp_path / "out", "--hints", hints, "--checkpoint", tiny_checkpoint)
        assert r.exit_code == 2 and str(hints) in r.output and words in r.output, r.output
    hints.write_text("{oops")
    r = _run(album, "-o", tmp_path / "out", "--hints", hints, "--checkpoint", tiny_checkpoint)
    assert r.exit_code == 2 and "not a JSON file" in r.output


def test_warmth_warms_and_is_checked(tmp_path, tiny_checkpoint):
    album, _ = _photos(tmp_path)
    common = ["--checkpoint", tiny_checkpoint, "--render-size", 64]
    assert _run(album, "-o", tmp_path / "warm", "--warmth", "1", *common).exit_code == 0
    assert _run(album, "-o", tmp_path / "cool", "--warmth", "-1", *common).exit_code == 0
    box = np.s_[:, :]
    assert _b_star(tmp_path / "warm" / "plain.png", box) > _b_star(tmp_path / "cool" / "plain.png", box) + 20
    r = _run(album, "-o", tmp_path / "x", "--warmth", "2", *common)
    assert r.exit_code == 2 and "--warmth" in r.output

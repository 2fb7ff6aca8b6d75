"""Colour hints and warmth in the engine: the hint's colour where it points, no bleeding across an edge,
photos without hints untouched, warmth symmetric."""

import json

import numpy as np
import pytest
from PIL import Image

from core.colorizer import WARM_AB, Colorizer, warm
from core.hints import Hint, HintsError, load_hints_file
from core.lab import rgb_to_lab
from trainer.metrics import ciede2000

BLUE = "#2a4d8f"


def _two_regions(w=192, h=128) -> Image.Image:
    """A dark left half and a light right half, split by a sharp vertical edge."""
    a = np.full((h, w), 60, np.uint8)
    a[:, w // 2:] = 200
    return Image.fromarray(a)


@pytest.fixture(scope="module")
def colorizer(tiny_checkpoint):
    return Colorizer(tiny_checkpoint, device="cpu", render_size=64)


def test_a_hint_colours_its_region_and_does_not_bleed_across_the_edge(colorizer):
    photo = _two_regions()
    plain = np.asarray(colorizer.colorize(photo))
    hinted = np.asarray(colorizer.colorize(photo, [Hint(40, 64, BLUE)]))
    left, right = np.s_[:, 8:88], np.s_[:, 104:]
    # the hinted region takes the hint's colour, with the photo's own lightness
    target = rgb_to_lab(np.asarray(Image.new("RGB", (1, 1), BLUE)))[0, 0]
    got = rgb_to_lab(hinted[left])
    ours_l = rgb_to_lab(plain[left])[..., :1]
    want = np.concatenate([ours_l, np.broadcast_to(target[1:], ours_l.shape[:2] + (2,))], -1)
    from skimage.color import deltaE_ciede2000

    assert deltaE_ciede2000(want, got).mean() < 5.0
    # the other region changes by less than CIEDE2000 2
    assert ciede2000(hinted[right], plain[right]) < 2.0


def test_without_hints_the_colour_is_unchanged(colorizer):
    """A photo without hints comes out the same when another photo of its batch has hints."""
    from core.images import photo_from_image

    photo = _two_regions()
    plain = np.asarray(colorizer.colorize(photo))
    hinted, unhinted = colorizer.colorize_photos([photo_from_image(photo)] * 2, [[Hint(10, 10, "#2a4d8f")], []])
    assert np.abs(np.asarray(unhinted).astype(int) - plain).max() <= 1  # batching alone may round differently
    assert np.abs(np.asarray(hinted).astype(int) - plain).max() > 10


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "I;16", "P", "CMYK"])
def test_every_accepted_mode_comes_back_full_size_with_the_hint_colour(colorizer, mode):
    photo = _two_regions(150, 100)
    im = photo.convert("RGB").convert(mode) if mode != "I;16" else Image.fromarray(
        np.asarray(photo).astype(np.uint16) * 257)
    out = colorizer.colorize(im, [Hint(20, 50, BLUE)])
    assert out.size == (150, 100)
    lab = rgb_to_lab(np.asarray(out.convert("RGB"))[40:60, 10:40])
    assert lab[..., 2].mean() < -15  # blue: b* well below 0 where the hint is


def test_warmth_is_symmetric_and_zero_is_the_prediction(colorizer):
    ab = np.random.default_rng(0).normal(0, 20, (2, 8, 8)).astype(np.float32)
    for w in (0.3, 1.0, -0.7):
        np.testing.assert_allclose(warm(warm(ab, w), -w), ab, atol=1e-5)
    np.testing.assert_allclose(warm(ab, 0.5) - ab, (0.5 * WARM_AB).reshape(2, 1, 1) * np.ones_like(ab), atol=1e-5)
    photo = _two_regions()
    base = colorizer.predict_ab([np.asarray(photo, np.float32) / 2.55])[0]
    colorizer.warmth = 0.6
    try:
        warmer = colorizer.predict_ab([np.asarray(photo, np.float32) / 2.55])[0]
    finally:
        colorizer.warmth = 0.0
    np.testing.assert_allclose(warmer - base, (0.6 * WARM_AB).reshape(2, 1, 1) * np.ones_like(base), atol=1e-4)
    with pytest.raises(ValueError, match="warmth"):
        colorizer.warmth = 1.5


@pytest.mark.parametrize("content, words", [
    ("not json at all", "not a JSON file"),
    ('["a list"]', "should map each photo"),
    ('{"a.jpg": {"x": 1}}', "entry 'a.jpg': should be a list"),
    ('{"a.jpg": [{"x": 1, "y": 2, "color": "blue"}]}', "entry 'a.jpg', hint 1: colour 'blue' is not of the form"),
    ('{"a.jpg": [{"x": -1, "y": 2, "color": "#112233"}]}', "entry 'a.jpg', hint 1: x and y must be whole numbers"),
    ('{"a.jpg": [{"x": 1, "color": "#112233"}]}', "entry 'a.jpg', hint 1: a hint is"),
])
def test_a_bad_hints_file_names_the_file_and_the_entry(tmp_path, content, words):
    path = tmp_path / "hints.json"
    path.write_text(content)
    with pytest.raises(HintsError) as e:
        load_hints_file(path)
    assert str(e.value).startswith(f"{path}: ") and words in str(e.value) and "\n" not in str(e.value)


def test_a_good_hints_file_round_trips(tmp_path):
    path = tmp_path / "hints.json"
    data = {"1950s/grandma.jpg": [{"x": 120, "y": 80, "color": "#2A4D8F"}], "loose.png": []}
    path.write_text(json.dumps(data))
    hints = load_hints_file(path)
    assert hints == {"1950s/grandma.jpg": [Hint(120, 80, "#2a4d8f")], "loose.png": []}
    assert hints["1950s/grandma.jpg"][0].to_json() == {"x": 120, "y": 80, "color": "#2a4d8f"}

import numpy as np
import pytest
import torch
from skimage.color import lab2rgb, rgb2lab

from core import lab


@pytest.fixture
def rgb_u8():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    a[0, :3] = [[0, 0, 0], [255, 255, 255], [128, 128, 128]]
    return a


def test_rgb_to_lab_matches_scikit_image(rgb_u8):
    ours = lab.rgb_to_lab(rgb_u8)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, rgb2lab(rgb_u8), atol=2e-3)


def test_float64_input_matches_scikit_image_closely(rgb_u8):
    x = rgb_u8 / 255.0
    np.testing.assert_allclose(lab.rgb_to_lab(x), rgb2lab(x), atol=1e-6)


def test_torch_batched_matches_numpy(rgb_u8):
    t = torch.from_numpy(np.stack([rgb_u8, rgb_u8[::-1]])).permute(0, 3, 1, 2)  # N x 3 x H x W
    out = lab.rgb_to_lab(t)
    assert out.shape == t.shape
    np.testing.assert_allclose(out[1].permute(1, 2, 0).numpy(), lab.rgb_to_lab(rgb_u8[::-1].copy()), atol=1e-4)


def test_round_trip(rgb_u8):
    back = lab.lab_to_rgb(lab.rgb_to_lab(rgb_u8))
    np.testing.assert_allclose(back * 255, rgb_u8, atol=0.05)
    t = torch.from_numpy(rgb_u8).permute(2, 0, 1)[None]
    np.testing.assert_allclose(lab.lab_to_rgb(lab.rgb_to_lab(t)).numpy() * 255, t.numpy(), atol=0.05)


def test_out_of_gamut_ab_is_clipped_like_scikit_image():
    wild = np.array([[[50.0, 120.0, -120.0], [90.0, -128.0, 127.0], [5.0, 100.0, 100.0], [100, 0, 0]]])
    ours = lab.lab_to_rgb(wild)
    assert ours.min() >= 0.0 and ours.max() <= 1.0
    np.testing.assert_allclose(ours, lab2rgb(wild), atol=1e-6)


def test_gray_lightness_equals_rgb_lightness():
    g = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_allclose(lab.gray_to_l(g), lab.rgb_to_lab(np.stack([g] * 3, -1))[..., 0], atol=1e-4)


def test_normalisation_inverts_and_spans_unit_range():
    l, ab = np.array([0.0, 50.0, 100.0]), np.array([-110.0, 0.0, 110.0])
    n = lab.Normalisation()
    np.testing.assert_allclose(n.normalize_l(l), [-1, 0, 1])
    np.testing.assert_allclose(n.normalize_ab(ab), [-1, 0, 1])
    np.testing.assert_allclose(n.denormalize_l(n.normalize_l(l)), l)
    np.testing.assert_allclose(n.denormalize_ab(n.normalize_ab(ab)), ab)


def test_fast_merge_matches_scikit_image_within_half_a_delta_e():
    from skimage.color import deltaE_ciede2000

    rng = np.random.default_rng(7)
    # random photos: Lab of random sRGB pixels, as scikit-image computes it in float64
    rgb = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    l, a, b = np.moveaxis(rgb2lab(rgb).astype(np.float32), -1, 0)
    ours = np.stack(lab.lab_to_rgb_u8(l, a, b), -1)
    assert ours.dtype == np.uint8 and ours.shape == (64, 80, 3)
    theirs = lab2rgb(np.stack([l, a, b], -1).astype(np.float64))
    assert deltaE_ciede2000(rgb2lab(ours), rgb2lab(theirs)).max() < 0.5
    np.testing.assert_array_equal(ours, rgb)  # and the round trip is exact in 8 bits
    # random Lab values, most of them outside the sRGB gamut: clipped as scikit-image clips, to the same 8 bits
    # (at most one level apart where the 65536-entry table rounds the other way at a half)
    l = rng.uniform(0, 100, (64, 80)).astype(np.float32)
    a, b = (rng.uniform(-110, 110, (64, 80)).astype(np.float32) for _ in range(2))
    ours = np.stack(lab.lab_to_rgb_u8(l, a, b), -1).astype(int)
    theirs = (lab2rgb(np.stack([l, a, b], -1).astype(np.float64)) * 255 + 0.5).astype(int)
    assert np.abs(ours - theirs).max() <= 1 and (ours != theirs).mean() < 0.01


def test_lightness_tables_equal_the_formulas(rgb_u8):
    g = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_allclose(lab.gray_u8_to_l(g), lab.gray_to_l(g), atol=1e-4)
    np.testing.assert_allclose(lab.rgb_u8_to_l(rgb_u8), rgb2lab(rgb_u8)[..., 0], atol=2e-3)
    assert lab.rgb_u8_to_l(np.zeros((2, 2, 3), np.uint8)).max() == 0.0  # the linear segment near black

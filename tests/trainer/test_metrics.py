import numpy as np
import pytest

from trainer import metrics


def test_psnr_known_values():
    a = np.full((4, 4, 3), 100, np.uint8)
    assert metrics.psnr(a, a) == float("inf")
    # every value off by 1: MSE 1 -> 10 log10(255^2) = 48.1308 dB
    assert metrics.psnr(a + 1, a) == pytest.approx(48.1308, abs=1e-4)


def test_ciede2000_zero_for_identical_and_known_for_gray_steps():
    a = np.full((2, 2, 3), 90, np.uint8)
    assert metrics.ciede2000(a, a) == 0.0
    # for two neutral grays CIEDE2000 reduces to the lightness term dL / S_L
    from skimage.color import rgb2lab

    b = np.full((2, 2, 3), 110, np.uint8)
    l1, l2 = rgb2lab(a)[0, 0, 0], rgb2lab(b)[0, 0, 0]
    lbar = (l1 + l2) / 2
    s_l = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    assert metrics.ciede2000(b, a) == pytest.approx(abs(l2 - l1) / s_l, rel=1e-3)


def test_colourfulness_known_values():
    assert metrics.colourfulness(np.full((3, 3, 3), 77, np.uint8)) == 0.0
    red = np.zeros((3, 3, 3), np.uint8)
    red[..., 0] = 255  # rg = 255, yb = 127.5, no spread
    assert metrics.colourfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))
    half = red.copy()
    half[:, :1] = 0  # spread appears, so colourfulness grows beyond the mean term alone
    assert metrics.colourfulness(half) > 0.3 * np.hypot(170, 85)


def test_auc_known_values():
    ab = np.zeros((4, 4, 2))
    assert metrics.auc_ab_error(ab, ab) == pytest.approx(1.0)
    far = np.full((4, 4, 2), 200.0)
    assert metrics.auc_ab_error(far, ab) == 0.0
    # every pixel off by exactly 75: the curve steps from 0 to 1 at 75; the trapezoid adds half a step
    off = np.zeros((4, 4, 2))
    off[..., 0] = 75
    assert metrics.auc_ab_error(off, ab) == pytest.approx((150 - 75 + 0.5) / 150, abs=1e-9)


def test_torch_batch_metrics_agree_with_numpy():
    import torch

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-9, 10, a.shape), 0, 255).astype(np.uint8)
    ta, tb = (torch.from_numpy(x).permute(0, 3, 1, 2).double() / 255 for x in (a, b))
    got = metrics.psnr_batch(ta, tb)
    cf = metrics.colourfulness_batch(ta)
    for i in range(2):
        assert got[i].item() == pytest.approx(metrics.psnr(a[i], b[i]), rel=1e-9)
        assert cf[i].item() == pytest.approx(metrics.colourfulness(a[i]), rel=1e-9)

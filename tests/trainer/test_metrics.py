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

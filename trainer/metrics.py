"""Image-quality metrics for colorization, each on uint8 sRGB arrays (H x W x 3)."""

from __future__ import annotations

import numpy as np


def psnr(pred: np.ndarray, true: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over all RGB values (inf for identical images)."""
    mse = np.mean((pred.astype(np.float64) - true.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def ciede2000(pred: np.ndarray, true: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference (scikit-image's implementation, D65)."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    return float(np.mean(deltaE_ciede2000(rgb2lab(true), rgb2lab(pred))))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness: sigma_rgyb + 0.3 * mu_rgyb on 0..255 values."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))

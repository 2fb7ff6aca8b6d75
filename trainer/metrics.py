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


def auc_ab_error(pred_ab: np.ndarray, true_ab: np.ndarray, max_threshold: float = 150.0) -> float:
    """Area under the curve of the fraction of pixels whose ab error (L2) is within a threshold, thresholds
    0..max_threshold, normalised to [0, 1] (Zhang et al. 2016, "raw accuracy" AuC)."""
    err = np.sqrt(((pred_ab.astype(np.float64) - true_ab.astype(np.float64)) ** 2).sum(-1)).ravel()
    thresholds = np.arange(0, max_threshold + 1)
    within = np.searchsorted(np.sort(err), thresholds, side="right") / err.size
    return float(np.trapezoid(within, thresholds) / max_threshold)


# Batched torch versions for validation during training: rgb is N x 3 x H x W in [0, 1].

def psnr_batch(pred, true):
    """Per-image PSNR (dB) of float RGB batches on the 0..255 scale."""
    mse = ((pred - true) * 255.0).pow(2).flatten(1).mean(1)
    return 10 * (255.0**2 / mse.clamp_min(1e-10)).log10()


def colourfulness_batch(rgb):
    """Per-image Hasler & Suesstrunk colourfulness on the 0..255 scale."""
    r, g, b = (rgb[:, i].flatten(1) * 255.0 for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return (rg.std(1, unbiased=False).hypot(yb.std(1, unbiased=False))
            + 0.3 * rg.mean(1).hypot(yb.mean(1)))


def lab_batch_to_rgb(l_norm, ab_norm, normalisation):
    """Model-space (normalised L, ab) batches -> sRGB in [0, 1], N x 3 x H x W."""
    import torch

    from core import lab

    labt = torch.cat([normalisation.denormalize_l(l_norm.float()), normalisation.denormalize_ab(ab_norm.float())], 1)
    return lab.lab_to_rgb(labt)


class ColourStats:
    """Validation PSNR, colourfulness and delta_cf = |mean CF(pred) - mean CF(truth)|, over batches of photos."""

    def __init__(self):
        self.psnr: list[float] = []
        self.cf_pred: list[float] = []
        self.cf_true: list[float] = []

    def add(self, pred_rgb, true_rgb) -> None:
        self.psnr += psnr_batch(pred_rgb, true_rgb).tolist()
        self.cf_pred += colourfulness_batch(pred_rgb).tolist()
        self.cf_true += colourfulness_batch(true_rgb).tolist()

    def result(self) -> dict[str, float]:
        cf_pred, cf_true = np.mean(self.cf_pred), np.mean(self.cf_true)
        return {"psnr": float(np.mean(self.psnr)), "colourfulness": float(cf_pred),
                "delta_cf": float(abs(cf_pred - cf_true))}

"""a*b* as classes (Zhang, Isola & Efros 2016, "Colorful Image Colorization").

The a*b* plane is cut into grid x grid cells; the classes are the cells that some sRGB colour falls in.
Training asks the network for a distribution over them: each pixel's target spreads over its 5 nearest cell
centres with Gaussian weights (sigma 5), and the loss is the cross-entropy. Unlike an L1 or L2 regression,
which settles on the median or mean colour (beige, for most things), the distribution keeps "blue or gray"
apart from "bluish gray". The colour is read out as the annealed mean, the mean of the distribution sharpened
by a temperature T: T = 1 is the plain mean (the least squared error), T -> 0 the most likely colour; Zhang et al.
use 0.38. A model trained on plain (calibrated) frequencies finds near-gray the most likely colour wherever it is
unsure, so the read-out can also boost rare, saturated classes by their rebalancing weight (Zhang et al.'s
w = 1 / ((1 - lambda) p + lambda / Q), from the training data's class frequencies p): the distribution is
multiplied by w ** prior_boost before the annealed mean. prior_boost 0 is the model as trained.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

NEIGHBOURS, SIGMA = 5, 5.0
_AB_MIN, _AB_MAX = -128, 127  # the soft-encoding table covers every integer a*b* in this square


@lru_cache(maxsize=4)
def gamut_bins(grid: int = 10) -> np.ndarray:
    """Centres (Q x 2, a* and b*) of the grid cells that colours of an sRGB lattice (64 levels a channel) hit."""
    from core.lab import rgb_to_lab

    levels = np.linspace(0.0, 1.0, 64, dtype=np.float64)
    rgb = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(-1, 1, 3)
    ab = rgb_to_lab(rgb)[:, 0, 1:]
    cells = np.unique(np.round(ab / grid).astype(np.int64), axis=0)
    return (cells * grid).astype(np.float32)


class ColourBins(nn.Module):
    """The classes' centres, the soft-encoded targets and loss, and the annealed-mean read-out."""

    def __init__(self, grid: int = 10):
        super().__init__()
        centres = torch.from_numpy(gamut_bins(grid))
        self.register_buffer("centres", centres)  # Q x 2, in a*b* units
        # For every integer (a*, b*): its NEIGHBOURS nearest centres and their weights, so that encoding a
        # batch is a table lookup instead of a distance to every centre for every pixel.
        grid_ab = torch.stack(torch.meshgrid(torch.arange(_AB_MIN, _AB_MAX + 1.0),
                                             torch.arange(_AB_MIN, _AB_MAX + 1.0), indexing="ij"), -1).reshape(-1, 2)
        dist, idx = torch.cdist(grid_ab, centres).topk(NEIGHBOURS, largest=False)
        weights = torch.exp(-dist.square() / (2 * SIGMA**2))
        self.register_buffer("_nearest", idx, persistent=False)
        self.register_buffer("_weights", weights / weights.sum(1, keepdim=True), persistent=False)

    def __len__(self) -> int:
        return len(self.centres)

    def soft_encode(self, ab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For ab (N x 2 x H x W, a*b* units): the nearest classes and their weights, each N x 5 x H x W."""
        side = _AB_MAX - _AB_MIN + 1
        a, b = (ab.round().clamp(_AB_MIN, _AB_MAX).long() - _AB_MIN).unbind(1)
        flat = a * side + b
        return self._nearest[flat].permute(0, 3, 1, 2), self._weights[flat].permute(0, 3, 1, 2)

    def loss(self, logits: torch.Tensor, ab: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        """Cross-entropy of logits (N x Q x h x w) against ab's soft encoding (ab is resized to h x w).

        weight (Q), when given, scales each pixel's loss by the weight of its nearest class (class rebalancing).
        """
        if ab.shape[-2:] != logits.shape[-2:]:
            ab = F.adaptive_avg_pool2d(ab, logits.shape[-2:])
        idx, w = self.soft_encode(ab)
        log_p = F.log_softmax(logits.float(), 1)
        per_pixel = -(w * log_p.gather(1, idx)).sum(1)
        if weight is not None:
            per_pixel = per_pixel * weight[idx[:, 0]]
        return per_pixel.mean()

    def annealed_mean(self, logits: torch.Tensor, temperature: float) -> torch.Tensor:
        """a*b* (N x 2 x h x w): the mean of softmax(logits / temperature) over the class centres."""
        p = F.softmax(logits.float() / temperature, 1)
        return torch.einsum("nqhw,qc->nchw", p, self.centres)

    def frequencies(self, ab: np.ndarray) -> np.ndarray:
        """How often each class is the nearest to the a*b* values ab (... x 2), as a distribution over Q."""
        flat = torch.from_numpy(np.asarray(ab, np.float32).reshape(-1, 2).T.copy()).view(1, 2, 1, -1)
        nearest = self.soft_encode(flat)[0][0, 0, 0]
        counts = torch.bincount(nearest, minlength=len(self)).double()
        return (counts / counts.sum()).numpy()

    def rebalancing_log_weights(self, frequencies: np.ndarray, lam: float = 0.5, sigma: float = SIGMA) -> np.ndarray:
        """log w per class, Zhang et al.'s rebalancing: frequencies smoothed by a Gaussian over the a*b* plane,
        mixed with the uniform distribution by lam, inverted, and scaled so the expected weight is 1."""
        c = self.centres.double()
        kernel = torch.exp(-torch.cdist(c, c).square() / (2 * sigma**2))
        smooth = kernel @ torch.as_tensor(frequencies, dtype=torch.float64)
        smooth = smooth / smooth.sum()
        w = 1.0 / ((1 - lam) * smooth + lam / len(self))
        w = w / (smooth * w).sum()
        return w.log().float().numpy()


class BinsUnet(nn.Module):
    """A U-Net with a ColourBins head: normalised L -> class logits at half size (logits=True, for training),
    or -> normalised ab (a*b* / ab_scale) at the input's size, read out at the given temperature."""

    def __init__(self, unet: nn.Module, bins: ColourBins, temperature: float, ab_scale: float,
                 prior_boost: float = 0.0, log_weights: tuple[float, ...] = ()):
        super().__init__()
        self.unet, self.bins, self.temperature, self.ab_scale = unet, bins, temperature, ab_scale
        self.prior_boost = prior_boost
        # from the config, not the weights: the read-out is a setting, and a model trained without it still loads
        self.register_buffer("log_weights", torch.tensor(log_weights or [0.0] * len(bins)), persistent=False)

    def forward(self, l: torch.Tensor, logits: bool = False) -> torch.Tensor:
        z = self.unet(l)
        return z if logits else self.decode(z, l.shape[-2:])

    def decode(self, logits: torch.Tensor, size) -> torch.Tensor:
        """Normalised ab at size (H, W) from half-size class logits."""
        if self.prior_boost:
            logits = logits.float() + self.prior_boost * self.log_weights.view(1, -1, 1, 1)
        ab = self.bins.annealed_mean(logits, self.temperature) / self.ab_scale
        return F.interpolate(ab, size=tuple(size), mode="bilinear", align_corners=False)

"""Stage 1: the generator alone, on its own loss.

- regression head: L1 between the predicted and the true normalised ab (the method's stage 1);
- classification head: the soft-encoded cross-entropy over a*b* classes (core.models.colour_bins), which
  commits to a colour where L1 settles on the median (beige).
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn
from torch.nn import functional as F

from core.models.colour_bins import BinsUnet
from trainer.distributed import unwrap


def generator_loss(model: nn.Module, l: torch.Tensor, ab: torch.Tensor,
                   predict: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The stage-1 loss of model on a batch, and (when predict) its normalised ab prediction."""
    net = unwrap(model)
    if isinstance(net, BinsUnet):
        logits = model(l, logits=True)
        loss = net.bins.loss(logits, ab.float() * net.ab_scale)
        return loss, (net.decode(logits, l.shape[-2:]) if predict else None)
    pred = model(l).float()
    return F.l1_loss(pred, ab), pred


class Supervised:
    """One optimiser step of the generator on generator_loss."""

    def __init__(self, generator: nn.Module, opt: torch.optim.Optimizer, autocast=contextlib.nullcontext):
        self.generator, self.opt, self.autocast = generator, opt, autocast

    def train_step(self, l: torch.Tensor, ab: torch.Tensor) -> dict[str, float]:
        with self.autocast():
            loss, _ = generator_loss(self.generator, l, ab)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.item()}

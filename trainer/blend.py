"""Network interpolation: a model whose weights lie between two trained models of the same architecture.

theta = (1 - alpha) * theta_a + alpha * theta_b, as ESRGAN blends its PSNR-trained and GAN-trained generators
(Wang et al. 2018): a smooth knob between a safe L1 model and a vivid GAN model fine-tuned from it, which
trades colour against accuracy better than turning the GAN model's saturation down (see the vivid model's card).
"""

from __future__ import annotations

import os

from core.checkpoint import Checkpoint, CheckpointError, load_checkpoint


def blend(path_a: str | os.PathLike, path_b: str | os.PathLike, alpha: float) -> Checkpoint:
    """The interpolated model; its card is B's, with the blend recorded."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1] (got {alpha})")
    a, b = load_checkpoint(path_a), load_checkpoint(path_b)
    if type(a.config) is not type(b.config) or a.config != b.config:
        raise CheckpointError(f"{path_b}: a different architecture from {path_a} ({b.config} vs {a.config})")
    sa, sb = a.model.state_dict(), b.model.state_dict()
    mixed = {k: (1 - alpha) * v.float() + alpha * sb[k].float() if v.is_floating_point() else sb[k]
             for k, v in sa.items()}
    b.model.load_state_dict(mixed)
    card = dict(b.card)
    card["blend"] = {"a": str(path_a), "b": str(path_b), "alpha": alpha,
                     "rule": "(1 - alpha) * a + alpha * b, every floating-point weight and BatchNorm statistic"}
    return Checkpoint(model=b.model, config=b.config, card=card)

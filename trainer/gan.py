"""Stage 2: pix2pix (Isola et al. 2017). The generator keeps its L1 loss (x lambda) and gains a conditional
PatchGAN adversary that judges (L, ab) pairs. `Pix2Pix.train_step` is the whole algorithm: the D step, then
the G step, as in pix2pix's own `pix2pix_model.py`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from trainer import distributed


class GANLoss(nn.Module):
    """'vanilla' (BCE on logits, pix2pix's default) or 'lsgan' (least squares) against a constant target."""

    def __init__(self, mode: str = "vanilla"):
        super().__init__()
        if mode not in ("vanilla", "lsgan"):
            raise ValueError(f"unknown GAN loss {mode!r} (vanilla or lsgan)")
        self.mode = mode

    def forward(self, logits: torch.Tensor, real: bool) -> torch.Tensor:
        target = torch.full_like(logits, 1.0 if real else 0.0)
        if self.mode == "vanilla":
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.mse_loss(logits, target)


def augment(x: torch.Tensor, p: float) -> torch.Tensor:
    """Differentiable, colour-free augmentations for the discriminator's input (N x C x H x W), each
    applied per image with probability p: integer translation by up to 1/8 of the size (zero padding),
    and cutout of a square half the size. Neither changes the ab statistics of what remains visible."""
    if p <= 0:
        return x
    n, _, h, w = x.shape
    dev = x.device
    # translation: shift each image by (dy, dx) via a gather over padded coordinates
    shift = (torch.rand(n, 1, 1, device=dev) < p).float()
    dy = (torch.randint(-(h // 8), h // 8 + 1, (n, 1, 1), device=dev) * shift).long()
    dx = (torch.randint(-(w // 8), w // 8 + 1, (n, 1, 1), device=dev) * shift).long()
    yy = torch.arange(h, device=dev).view(1, h, 1) - dy
    xx = torch.arange(w, device=dev).view(1, 1, w) - dx
    valid = ((yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)).unsqueeze(1)
    idx = (yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    x = torch.gather(x.flatten(2), 2, idx).view_as(x) * valid
    # cutout: zero a square of half the size centred at a random point
    cut = (torch.rand(n, 1, 1, 1, device=dev) < p).float()
    cy = torch.randint(0, h, (n, 1, 1, 1), device=dev)
    cx = torch.randint(0, w, (n, 1, 1, 1), device=dev)
    ys = torch.arange(h, device=dev).view(1, 1, h, 1)
    xs = torch.arange(w, device=dev).view(1, 1, 1, w)
    inside = ((ys - cy).abs() < h // 4) & ((xs - cx).abs() < w // 4)
    return x * (1 - inside.float() * cut)


class AdaptiveAugment:
    """ADA's controller: raise p when the discriminator overfits (r_t = E[sign(D(real))] above target)."""

    def __init__(self, target: float = 0.6, speed_images: float = 20_000, interval: int = 4, p: float = 0.0):
        self.target, self.speed_images, self.interval, self.p = target, speed_images, interval, p
        self._signs: list[float] = []
        self._images = 0

    def update(self, real_logits: torch.Tensor) -> None:
        self._signs.append(real_logits.detach().float().sign().mean().item())
        self._images += real_logits.shape[0]
        if len(self._signs) >= self.interval:
            r_t = sum(self._signs) / len(self._signs)
            step = self._images / self.speed_images
            self.p = min(1.0, max(0.0, self.p + (step if r_t > self.target else -step)))
            self._signs, self._images = [], 0


def set_requires_grad(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


class Pix2Pix:
    """The generator G (L -> ab) against a conditional discriminator D ((L, ab) -> real/fake logits per patch).

    G's loss is adv + lambda_l1 * L1(G(L), ab); D's is the mean of its losses on real and on generated pairs.
    D's learning rate follows G's schedule (set_lr). With ada, D sees both real and generated pairs through the
    same random augmentation, applied with ADA's probability p.
    """

    def __init__(self, generator: nn.Module, disc: nn.Module, opt_g: torch.optim.Optimizer,
                 opt_d: torch.optim.Optimizer, gan_mode: str = "vanilla", lambda_l1: float = 100.0,
                 ada: AdaptiveAugment | None = None, autocast=None):
        import contextlib

        self.generator, self.disc, self.opt_g, self.opt_d = generator, disc, opt_g, opt_d
        self.crit, self.lambda_l1, self.ada = GANLoss(gan_mode), lambda_l1, ada
        self.autocast = autocast or contextlib.nullcontext

    def _d_in(self, l: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        x = torch.cat([l, ab], 1)
        return augment(x, self.ada.p) if self.ada else x

    def train_step(self, l: torch.Tensor, ab: torch.Tensor) -> dict[str, float]:
        with self.autocast():
            fake = self.generator(l)

        # 1. D step: real pairs against the generator's colours (detached: this step does not train G)
        set_requires_grad(self.disc, True)
        with self.autocast():
            d_real = self.disc(self._d_in(l, ab)).float()
            d_fake = self.disc(self._d_in(l, fake.detach())).float()
            loss_d = 0.5 * (self.crit(d_real, True) + self.crit(d_fake, False))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        distributed.average_gradients(self.disc)
        self.opt_d.step()
        if self.ada:
            self.ada.update(d_real)

        # 2. G step: fool D (its gradients flow through D, whose weights stay put) and stay near the truth
        set_requires_grad(self.disc, False)
        with self.autocast():
            adv = self.crit(self.disc(self._d_in(l, fake)).float(), True)
            l1 = F.l1_loss(fake.float(), ab)
            loss_g = adv + self.lambda_l1 * l1
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        return {"loss": loss_g.item(), "loss_d": loss_d.item(), "d_real": d_real.mean().item(),
                "d_fake": d_fake.mean().item(), "ada_p": self.ada.p if self.ada else 0.0,
                "loss_l1": l1.item(), "loss_g_adv": adv.item()}

    def set_lr(self, lr_d: float) -> None:
        for group in self.opt_d.param_groups:
            group["lr"] = lr_d

    def state_dict(self) -> dict:
        return {"disc": self.disc.state_dict(), "opt_d": self.opt_d.state_dict(),
                "ada_p": self.ada.p if self.ada else 0.0}

    def load_state_dict(self, state: dict) -> None:
        self.disc.load_state_dict(state["disc"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.ada:
            self.ada.p = state["ada_p"]

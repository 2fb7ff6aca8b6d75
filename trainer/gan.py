"""Stage 2: pix2pix. The generator keeps its L1 loss (x lambda) and gains a conditional PatchGAN adversary.

Built as one fastai callback on the stage-1 Learner: the Learner still runs the generator's forward, L1 loss,
backward and optimiser step; the callback trains the discriminator on each batch (after the forward) and adds
the adversarial term to the generator's loss (after the L1 loss).
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


def make_pix2pix_callback(disc: nn.Module, gan_mode: str = "vanilla", lambda_l1: float = 100.0,
                          lr: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999),
                          ada: AdaptiveAugment | None = None):
    """A fastai callback that turns an L1 Learner on the generator into pix2pix training."""
    from fastai.callback.core import Callback

    class Pix2Pix(Callback):
        order = 5  # before Autocast (10): its after_loss leaves autocast, and the adversarial term belongs inside

        def __init__(self):
            self.disc, self.crit, self.lambda_l1, self.ada = disc, GANLoss(gan_mode), lambda_l1, ada
            self.opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas)
            self.lr_d = lr
            self.stats: dict[str, float] = {}

        def before_fit(self):
            self.disc.to(next(self.learn.model.parameters()).device)
            self.g_lr_max = max(h["lr"] for h in self.opt.hypers)

        def _d_in(self, ab: torch.Tensor) -> torch.Tensor:
            x = torch.cat([self.xb[0], ab], 1)
            return augment(x, self.ada.p) if self.ada else x

        def after_pred(self):
            if not self.training:
                return
            # Discriminator step: real (L, ab) pairs vs the generator's (detached) colours.
            self.disc.train()
            fake, real = self.pred.detach(), self.yb[0]
            d_real = self.disc(self._d_in(real))
            d_fake = self.disc(self._d_in(fake))
            loss_d = 0.5 * (self.crit(d_real.float(), True) + self.crit(d_fake.float(), False))
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            distributed.average_gradients(self.disc)
            self.opt_d.step()
            if self.ada:
                self.ada.update(d_real)
            self.stats = {"loss_d": loss_d.item(), "d_real": d_real.float().mean().item(),
                          "d_fake": d_fake.float().mean().item(), "ada_p": self.ada.p if self.ada else 0.0}

        def after_loss(self):
            if not self.training:
                return
            # Generator: fool D (gradients flow through D into G; D's own weights are not stepped here).
            for p in self.disc.parameters():
                p.requires_grad_(False)
            adv = self.crit(self.disc(self._d_in(self.pred)).float(), True)
            for p in self.disc.parameters():
                p.requires_grad_(True)
            self.stats.update(loss_l1=self.loss_grad.item(), loss_g_adv=adv.item())
            self.learn.loss_grad = self.lambda_l1 * self.loss_grad + adv
            self.learn.loss = self.learn.loss_grad.detach().clone()

        def after_step(self):
            # D follows the generator's learning-rate schedule (flat, then cosine decay).
            for group in self.opt_d.param_groups:
                group["lr"] = self.lr_d * self.opt.hypers[0]["lr"] / self.g_lr_max

    return Pix2Pix()

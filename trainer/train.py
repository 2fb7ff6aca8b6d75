"""Both training stages on one fastai Learner: stage 1 (pretrain, L1) and stage 2 (gan, pix2pix), and resume.

A run directory holds config.json (everything needed to rebuild the run), the artefacts written by
trainer.callbacks.RunArtifacts, and state.pt for `trainer resume`.
"""

from __future__ import annotations

import json
import math
import platform
import random
import sys
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path

STAGES = ("pretrain", "gan")
DEFAULT_LR = {"pretrain": 1e-3, "gan": 2e-4}


@dataclass
class RunConfig:
    """One training run. Written to RUN_DIR/config.json; `trainer resume` reads it back."""

    stage: str
    data: str
    out: str
    epochs: int = 5
    size: int = 128
    batch_size: int = 16
    lr: float | None = None  # peak learning rate; None: 1e-3 for pretrain, 2e-4 (pix2pix) for gan
    init: str | None = None  # start the generator from this checkpoint (required for gan)
    val: str | None = None  # a separate validation folder; default: a fixed 5 % of data
    val_fraction: float = 0.05
    seed: int = 0
    arch: str = "resnet18"  # the generator's encoder (core.models.encoders.ARCHS); ignored with init
    pretrained: bool = False  # ImageNet encoder weights (offline for efficientnet_lite*); ignored with init
    bf16: bool = True
    device: str = "auto"
    cache: str | None = None
    max_side: int = 320
    save_every: int = 50  # training steps between resumable states
    n_samples: int = 6  # validation photos in each epoch's sample grid
    threads: int | None = None  # torch CPU threads; None: torch's default
    channels_last: bool = True  # NHWC weights and activations (faster on CUDA, and ~10 % on this project's CPU)
    # stage 2 (pix2pix)
    gan_mode: str = "vanilla"
    lambda_l1: float = 100.0
    lr_d: float = 2e-4
    ada: bool = False  # adaptive discriminator augmentation (off by default: not yet shown to help here)
    ada_target: float = 0.6
    ada_speed: float = 20_000  # images for p to move by 1
    argv: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}")
        if self.stage == "gan" and not self.init:
            raise ValueError("the gan stage starts from a stage-1 checkpoint: give --init")
        if self.size % 32:
            raise ValueError(f"--size must be a multiple of 32 (got {self.size})")
        if self.lr is None:
            self.lr = DEFAULT_LR[self.stage]

    def save(self, run_dir: Path) -> None:
        from trainer.callbacks import save_json

        save_json(run_dir / "config.json", asdict(self))

    @classmethod
    def load(cls, run_dir: Path) -> "RunConfig":
        data = json.loads((run_dir / "config.json").read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def hardware_description(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return f"GPU {torch.cuda.get_device_name(0)}"
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def _schedule(cfg: RunConfig, lr: float) -> dict:
    """pretrain: fastai's one-cycle (lr and momentum); gan: flat lr, then cosine decay (pix2pix-like)."""
    from fastai.callback.schedule import combined_cos

    if cfg.stage == "pretrain":
        return {"lr": combined_cos(0.25, lr / 25, lr, lr / 1e5), "mom": combined_cos(0.25, 0.95, 0.85, 0.95)}
    return {"lr": combined_cos(0.5, lr, lr, lr / 1e5)}


_NOT_WITHIN_PSNR = 1e6  # larger than any delta_cf (colourfulness is < 200)


def _best_rule(cfg: RunConfig, init_psnr: float | None):
    """Score to minimise for best.safetensors.

    pretrain: the validation L1 (the objective itself). gan: L1 always prefers grayish colour, so instead
    the colourfulness gap to the truth (delta_cf), among epochs whose PSNR stays within 0.5 dB of the
    starting model's (the vivid-model targets). Until an epoch does, the one that lost the least PSNR is
    best, so a run always leaves a best.safetensors (a real 2-epoch CPU run lost 2 dB in both epochs).
    """
    if cfg.stage == "pretrain":
        return lambda row: float(row["valid_loss"])

    def gan_score(row):
        psnr_loss = init_psnr - float(row["psnr"]) if init_psnr is not None else 0.0
        if psnr_loss > 0.5:
            return _NOT_WITHIN_PSNR + psnr_loss  # ranks after every epoch within 0.5 dB, whatever its delta_cf
        return float(row["delta_cf"])

    return gan_score


def train(cfg: RunConfig, resume: bool = False, log=print):
    """Run (or, with resume, continue) the training a RunConfig describes."""
    import torch
    from fastai.callback.schedule import ParamScheduler
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.optimizer import Adam

    from core.checkpoint import load_checkpoint
    from core.colorizer import pick_device
    from core.models import GeneratorConfig, PatchGANConfig, build_model
    from trainer import distributed
    from trainer.callbacks import Autocast, EpochSeeds, RunArtifacts, truncate_csv, validation_metrics
    from trainer.data import LabCrops, epoch_loader, open_or_build_store, split_indices
    from trainer.gan import AdaptiveAugment, make_pix2pix_callback

    out = Path(cfg.out)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = distributed.device_for_rank(pick_device(cfg.device))
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    out.mkdir(parents=True, exist_ok=True)
    if not resume and distributed.is_main():
        cfg.save(out)

    with distributed.main_first():
        store = open_or_build_store(cfg.data, cfg.cache, cfg.max_side, log=log)
        if cfg.val:
            val_store = open_or_build_store(cfg.val, None, cfg.max_side, log=log)
            train_idx, val_idx = list(range(len(store))), list(range(len(val_store)))
        else:
            val_store = store
            train_idx, val_idx = split_indices(len(store), cfg.val_fraction, seed=1234)
    log(f"{len(train_idx)} training photos, {len(val_idx)} validation photos, {cfg.size} px, device {device}")
    train_ds = LabCrops(store, train_idx, cfg.size, train=True, seed=cfg.seed)
    valid_ds = LabCrops(val_store, val_idx, cfg.size, train=False)
    shard = {"rank": distributed.rank(), "world": distributed.world_size()}
    train_dl = epoch_loader(train_ds, cfg.batch_size, shuffle=True, seed=cfg.seed,
                            drop_last=len(train_idx) > cfg.batch_size * shard["world"], **shard)
    valid_dl = epoch_loader(valid_ds, cfg.batch_size, shuffle=False, **shard)
    dls = DataLoaders(train_dl, valid_dl, device=torch.device(device))

    if cfg.init:
        ckpt = load_checkpoint(cfg.init)
        model, gen_config = ckpt.model.train(), ckpt.config
    else:
        gen_config = GeneratorConfig(arch=cfg.arch, pretrained=cfg.pretrained)
        model = build_model(gen_config)

    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)  # 1-channel inputs are NHWC already
    opt_func = Adam if cfg.stage == "pretrain" else partial(Adam, mom=0.5, sqr_mom=0.999, eps=1e-8, wd=0.0)
    learn = Learner(dls, model.to(device), loss_func=torch.nn.L1Loss(), opt_func=opt_func, path=out,
                    model_dir=".", metrics=validation_metrics())
    learn.create_opt()
    distributed.quiet_unless_main(learn)

    state = None
    if resume:
        state = torch.load(out / "state.pt", map_location=device, weights_only=True)
        if state["epoch"] >= cfg.epochs:
            log(f"{out}: the run is already complete ({cfg.epochs} epochs)")
            return None
        learn.model.load_state_dict(state["model"])
        learn.opt.load_state_dict({"state": state["opt"]["state"], "hypers": state["opt"]["hypers"]})
        # drop anything the killed run logged after the state it left
        done_step = state["epoch"] * len(train_dl) + state["batches_done"]
        truncate_csv(out / "steps.csv", lambda r: int(r["step"]) <= done_step)
        truncate_csv(out / "metrics.csv", lambda r: int(r["epoch"]) < state["epoch"])
        log(f"resuming at epoch {state['epoch']}, batch {state['batches_done']}")

    extra_state, pix2pix, init_psnr = None, None, None
    if cfg.stage == "gan":
        disc = build_model(PatchGANConfig()).to(device)
        if cfg.channels_last:
            disc = disc.to(memory_format=torch.channels_last)
        ada = AdaptiveAugment(cfg.ada_target, cfg.ada_speed) if cfg.ada else None
        pix2pix = make_pix2pix_callback(disc, cfg.gan_mode, cfg.lambda_l1, cfg.lr_d, ada=ada)
        if state:
            disc.load_state_dict(state["disc"])
            pix2pix.opt_d.load_state_dict(state["opt_d"])
            init_psnr = state["init_psnr"]
            if ada:
                ada.p = state["ada_p"]
        else:
            init_psnr = float(learn.validate()[1])  # the starting model's validation PSNR
            log(f"starting model: validation PSNR {init_psnr:.2f} dB")

        def extra_state():
            return {"disc": disc.state_dict(), "opt_d": pix2pix.opt_d.state_dict(), "init_psnr": init_psnr,
                    "ada_p": ada.p if ada else 0.0}

    n_val = len(valid_ds)
    samples = [valid_ds[i] for i in range(0, n_val, max(1, n_val // cfg.n_samples))][:cfg.n_samples]
    sample_batch = (torch.stack([s[0] for s in samples]), torch.stack([s[1] for s in samples]))
    card = {
        "stage": {"pretrain": "pretrain (L1)", "gan": "gan (pix2pix: adversarial + lambda * L1)"}[cfg.stage],
        "command": " ".join(cfg.argv) or " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "data": cfg.data, "train_photos": len(train_idx), "init": cfg.init,
        "hardware": hardware_description(device) + distributed.description(),
    }
    start = (state["epoch"], state["batches_done"]) if state else (0, 0)
    cbs = [RunArtifacts(out, gen_config, card, cfg.save_every, sample_batch, _best_rule(cfg, init_psnr),
                        extra_state=extra_state, step_stats=(lambda: pix2pix.stats) if pix2pix else None,
                        start=start,
                        best=state["best"] if state else math.inf,
                        wall_time=state["wall_time"] if state else 0.0),
           EpochSeeds(train_ds, start)]
    if cfg.bf16:
        cbs.append(Autocast(device.split(":")[0]))
    if pix2pix:
        cbs.append(pix2pix)
    cbs += distributed.callbacks()
    if not distributed.is_main():
        cbs = [c for c in cbs if not isinstance(c, RunArtifacts)]
    learn.fit(cfg.epochs, cfg.lr, cbs=[ParamScheduler(_schedule(cfg, cfg.lr))] + cbs, start_epoch=start[0])
    return learn

"""Stage 1: the generator alone, L1 loss on normalised ab, Adam with fastai's one-cycle schedule."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from core.models import GeneratorConfig


@dataclass
class PretrainOptions:
    data: Path
    out: Path
    epochs: int = 5
    size: int = 128
    batch_size: int = 16
    lr: float = 1e-3
    val_fraction: float = 0.05
    seed: int = 0
    init: Path | None = None  # continue from this checkpoint instead of a fresh model
    pretrained: bool = False  # ImageNet body (needs internet); ignored with init
    bf16: bool = True
    device: str = "auto"
    cache: Path | None = None
    max_side: int = 320


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but no CUDA GPU is available")
    return device


def hardware_description(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return f"GPU {torch.cuda.get_device_name(0)}"
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def make_callbacks(opts_card: dict, config: GeneratorConfig, out: Path, bf16: bool, device: str):
    """fastai callbacks shared by the stages: bf16 autocast on any device and checkpoint export."""
    import torch
    from fastai.callback.core import Callback
    from fastai.callback.progress import CSVLogger
    from fastai.callback.tracker import TrackerCallback

    from core.checkpoint import save_checkpoint

    class Autocast(Callback):
        """bf16 autocast around forward and loss on the training device (fastai's MixedPrecision is CUDA-only)."""

        order = 10

        def before_batch(self):
            self._ctx = torch.autocast(device.split(":")[0], dtype=torch.bfloat16)
            self._ctx.__enter__()

        def after_pred(self):
            self.learn.pred = self.pred.float()

        def after_loss(self):
            self._ctx.__exit__(None, None, None)

    class ExportCheckpoints(TrackerCallback):
        """After every epoch write last.safetensors, and best.safetensors when the validation loss improves."""

        order = TrackerCallback.order + 1

        def before_fit(self):
            super().before_fit()
            self.start = time.time()

        def after_epoch(self):
            super().after_epoch()
            card = dict(opts_card, epochs_done=self.epoch + 1, wall_time_s=round(time.time() - self.start),
                        valid_l1=float(self.recorder.values[-1][1]), hardware=hardware_description(device))
            save_checkpoint(out / "last.safetensors", self.learn.model, config, card)
            if self.new_best:
                save_checkpoint(out / "best.safetensors", self.learn.model, config, card)

    cbs: list[Callback] = [CSVLogger(fname="metrics.csv"), ExportCheckpoints(monitor="valid_loss")]
    if bf16:
        cbs.append(Autocast())
    return cbs


def pretrain(opts: PretrainOptions, log=print):
    """Train the generator with L1 and write metrics.csv and last/best checkpoints into opts.out."""
    import torch
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    import fastai.callback.schedule  # noqa: F401  (adds Learner.fit_one_cycle)
    from fastai.learner import Learner
    from fastai.optimizer import Adam

    from core.checkpoint import load_checkpoint
    from core.models import build_model
    from trainer.data import LabCrops, open_or_build_store, split_indices

    device = resolve_device(opts.device)
    torch.manual_seed(opts.seed)
    import random

    random.seed(opts.seed)
    opts.out.mkdir(parents=True, exist_ok=True)
    store = open_or_build_store(opts.data, opts.cache, opts.max_side, log=log)
    train_idx, val_idx = split_indices(len(store), opts.val_fraction, seed=1234)
    log(f"{len(train_idx)} training photos, {len(val_idx)} validation photos, {opts.size} px, device {device}")
    train_dl = DataLoader(LabCrops(store, train_idx, opts.size, train=True), bs=opts.batch_size, shuffle=True,
                          drop_last=len(train_idx) > opts.batch_size, num_workers=0)
    valid_dl = DataLoader(LabCrops(store, val_idx, opts.size, train=False), bs=opts.batch_size, num_workers=0)
    dls = DataLoaders(train_dl, valid_dl, device=torch.device(device))

    if opts.init:
        ckpt = load_checkpoint(opts.init)
        model, config = ckpt.model.train(), ckpt.config
    else:
        config = GeneratorConfig(pretrained=opts.pretrained)
        model = build_model(config)
    card = {
        "stage": "pretrain (L1)",
        "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
        "data": str(opts.data),
        "train_photos": len(train_idx),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()},
    }
    learn = Learner(dls, model.to(device), loss_func=torch.nn.L1Loss(), opt_func=Adam, path=opts.out,
                    model_dir=".", cbs=make_callbacks(card, config, opts.out, opts.bf16, device))
    learn.fit_one_cycle(opts.epochs, opts.lr)
    return learn

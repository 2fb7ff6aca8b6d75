"""fastai callbacks shared by both training stages: bf16 autocast, validation colour metrics, and the run
directory (steps/metrics CSVs, sample grids, loss plots, last/best checkpoints, resumable state)."""

from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from fastai.callback.core import Callback
from fastai.metrics import Metric

from core import lab
from trainer import metrics
from trainer.distributed import unwrap


class Autocast(Callback):
    """bf16 autocast around forward and loss on the training device (fastai's MixedPrecision is CUDA-only)."""

    order = 10

    def __init__(self, device_type: str):
        self.device_type = device_type

    def before_batch(self):
        self._ctx = torch.autocast(self.device_type, dtype=torch.bfloat16)
        self._ctx.__enter__()

    def after_pred(self):
        self.learn.pred = self.pred.float()

    def after_loss(self):
        self._ctx.__exit__(None, None, None)

    def after_cancel_batch(self):
        self._ctx.__exit__(None, None, None)


def to_rgb(l_norm: torch.Tensor, ab_norm: torch.Tensor) -> torch.Tensor:
    """Model-space (L, ab) batches -> sRGB in [0, 1], N x 3 x H x W."""
    labt = torch.cat([lab.denormalize_l(l_norm.float()), lab.denormalize_ab(ab_norm.float())], 1)
    return lab.lab_to_rgb(labt)


class ColourStats(Metric):
    """Validation PSNR, colourfulness and dCF = |CF(pred) - CF(truth)| (means over the validation photos)."""

    def __init__(self, which: str):
        self.which = which

    def reset(self):
        self.psnr, self.cf_pred, self.cf_true = [], [], []

    def accumulate(self, learn):
        pred, true = to_rgb(learn.xb[0], learn.pred), to_rgb(learn.xb[0], learn.yb[0])
        self.psnr += metrics.psnr_batch(pred, true).tolist()
        self.cf_pred += metrics.colourfulness_batch(pred).tolist()
        self.cf_true += metrics.colourfulness_batch(true).tolist()

    @property
    def value(self):
        if not self.psnr:
            return None
        if self.which == "psnr":
            return float(np.mean(self.psnr))
        if self.which == "colourfulness":
            return float(np.mean(self.cf_pred))
        return float(abs(np.mean(self.cf_pred) - np.mean(self.cf_true)))

    @property
    def name(self):
        return {"psnr": "psnr", "colourfulness": "colourfulness", "dcf": "delta_cf"}[self.which]


def validation_metrics() -> list[Metric]:
    return [ColourStats("psnr"), ColourStats("colourfulness"), ColourStats("dcf")]


def atomic_torch_save(obj, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def truncate_csv(path: Path, keep) -> None:
    """Keep only the rows (dicts) for which keep(row) is true: drops what a killed run logged past its state."""
    if not path.exists():
        return
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, [r for r in reader if keep(r)]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


class RunArtifacts(Callback):
    """Everything a run leaves in its directory.

    - steps.csv: one row per training step (loss, lr, images/s, and the GAN's component losses);
    - metrics.csv: one row per epoch (train/valid loss and the validation colour metrics);
    - samples/epoch_NNN.png: the same validation photos each epoch, rows gray | predicted | real;
    - losses.png: the loss curves;
    - last.safetensors / best.safetensors: exported models with their card;
    - state.pt: model, optimisers, epoch and step, written every `save_every` steps and at each epoch's end,
      so `trainer resume` continues a run killed at any moment.
    """

    order = 70  # after the Recorder (50) has the epoch's metrics

    def __init__(self, out: Path, config, card: dict, save_every: int, sample_batch, best_rule,
                 extra_state=None, step_stats=None, start=(0, 0), best: float = math.inf, wall_time: float = 0.0):
        self.out, self.gen_config, self.card, self.save_every = out, config, card, save_every
        self.step_stats = step_stats or dict
        self.sample_batch, self.best_rule, self.extra_state = sample_batch, best_rule, extra_state
        self.start_epoch, self.skipped = start
        self.best, self.wall_before = best, wall_time

    # -- bookkeeping -------------------------------------------------------------------------------------
    def before_fit(self):
        (self.out / "samples").mkdir(parents=True, exist_ok=True)
        self.t0 = time.time()
        self.steps_file = open(self.out / "steps.csv", "a", newline="")
        self.steps_writer = None

    def before_train(self):
        self._t_batch = self._t_epoch = time.time()
        self._epoch_images = 0
        # batches of this epoch already done before a resume (only the first resumed epoch has any)
        self.offset = self.skipped if self.epoch == self.start_epoch else 0
        if self.offset:
            # fastai set pct_train for the epoch's start; move it to where the killed run stopped
            self.learn.pct_train += self.offset / (self.n_iter_full * self.n_epoch)

    @property
    def n_iter_full(self) -> int:
        return len(self.dls.train)  # a resumed epoch yields fewer batches, but its length stays the full one

    def _step(self) -> int:
        return self.epoch * self.n_iter_full + self.offset + self.iter + 1

    def after_batch(self):
        if not self.training:
            return
        now = time.time()
        row = {"step": self._step(), "epoch": self.epoch, "loss": self.loss.detach().item(),
               "lr": self.opt.hypers[0]["lr"], "images_per_s": round(len(self.xb[0]) / (now - self._t_batch), 2)}
        self._t_batch = now
        self._epoch_images += len(self.xb[0])
        pbar = getattr(getattr(self.learn, "progress", None), "pbar", None)
        if pbar is not None:  # fastai's bar shows the smoothed loss; add the speed
            pbar.comment = f"loss {self.smooth_loss.item():.4f}, {self._epoch_images / (now - self._t_epoch):.1f} img/s"
        row.update(self.step_stats())
        if self.steps_writer is None:
            new = self.steps_file.tell() == 0
            self.steps_writer = csv.DictWriter(self.steps_file, fieldnames=list(row))
            if new:
                self.steps_writer.writeheader()
        self.steps_writer.writerow(row)
        self.steps_file.flush()
        if row["step"] % self.save_every == 0:
            self.save_state(self.epoch, self.offset + self.iter + 1)

    def after_epoch(self):
        if self.epoch < self.start_epoch:
            return  # an epoch a resumed run skipped: fastai still sends its after_epoch
        names, values = self.recorder.metric_names, self.recorder.log
        row = dict(zip(names, values))
        path = self.out / "metrics.csv"
        new = not path.exists()
        with open(path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=names)
            if new:
                w.writeheader()
            w.writerow(row)
        self.write_grid(self.out / "samples" / f"epoch_{self.epoch:03d}.png")
        self.plot()
        improved = self.export(row)
        self.save_state(self.epoch + 1, 0)
        speed = self._epoch_images / max(self._t_batch - self._t_epoch, 1e-9)  # training steps only
        print(f"epoch {self.epoch + 1}/{self.n_epoch}: train loss {row.get('train_loss', math.nan):.4f}, "
              f"valid loss {row.get('valid_loss', math.nan):.4f}, PSNR {row.get('psnr', math.nan):.2f} dB, "
              f"dCF {row.get('delta_cf', math.nan):.1f}, {speed:.1f} img/s"
              f"{', new best' if improved else ''}", flush=True)

    def after_fit(self):
        self.steps_file.close()

    # -- artefacts ---------------------------------------------------------------------------------------
    def wall_time(self) -> float:
        return self.wall_before + time.time() - self.t0

    def save_state(self, epoch: int, batches_done: int) -> None:
        opt = self.opt.state_dict()
        state = {"epoch": epoch, "batches_done": batches_done, "best": self.best, "wall_time": self.wall_time(),
                 "model": unwrap(self.model).state_dict(),
                 "opt": {"state": [dict(s) for s in opt["state"]], "hypers": [dict(h) for h in opt["hypers"]]}}
        if self.extra_state:
            state.update(self.extra_state())
        atomic_torch_save(state, self.out / "state.pt")

    def export(self, row: dict) -> bool:
        """Write last (and best, when this epoch scores better); True when best was written."""
        from core.checkpoint import save_checkpoint

        card = dict(self.card, epochs_done=self.epoch + 1, wall_time_s=round(self.wall_time()),
                    validation={k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()
                                if k not in ("epoch", "time")})
        model = unwrap(self.model)
        save_checkpoint(self.out / "last.safetensors", model, self.gen_config, card)
        score = self.best_rule(row)
        if score < self.best:
            self.best = score
            save_checkpoint(self.out / "best.safetensors", model, self.gen_config, card)
            return True
        return False

    @torch.no_grad()
    def write_grid(self, path: Path) -> None:
        from PIL import Image

        model = unwrap(self.model)
        l_norm, ab_norm = (t.to(next(model.parameters()).device) for t in self.sample_batch)
        was_training = model.training
        model.eval()
        pred = model(l_norm).float()
        model.train(was_training)
        rows = [to_rgb(l_norm, torch.zeros_like(ab_norm)), to_rgb(l_norm, pred), to_rgb(l_norm, ab_norm)]
        grid = torch.cat([torch.cat(list(r), 2) for r in rows], 1)  # 3 rows of n photos
        Image.fromarray((grid.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)).save(path)

    def plot(self) -> None:
        plot_losses(self.out)


def plot_losses(out: Path) -> None:
    """losses.png: training loss per step (smoothed) and the validation loss per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = _read_csv(out / "steps.csv")
    epochs = _read_csv(out / "metrics.csv")
    keys = [k for k in ("loss", "loss_l1", "loss_g_adv", "loss_d") if steps and k in steps[0]]
    fig, axes = plt.subplots(1, len(keys) + 1, figsize=(4 * (len(keys) + 1), 3), squeeze=False)
    for ax, k in zip(axes[0], keys):
        x = [int(r["step"]) for r in steps]
        y = np.array([float(r[k]) for r in steps])
        ax.plot(x, y, alpha=0.3)
        if len(y) >= 10:
            w = max(1, len(y) // 50)
            ax.plot(x[w - 1:], np.convolve(y, np.ones(w) / w, mode="valid"))
        ax.set_title(k)
        ax.set_xlabel("step")
    ax = axes[0][-1]
    if epochs:
        ax.plot([int(r["epoch"]) for r in epochs], [float(r["valid_loss"]) for r in epochs], "o-")
    ax.set_title("valid L1")
    ax.set_xlabel("epoch")
    fig.tight_layout()
    fig.savefig(out / "losses.png", dpi=80)
    plt.close(fig)


def _read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    os.replace(tmp, path)


class EpochSeeds(Callback):
    """Tell the data which epoch it serves, make a resumed epoch skip the batches already done, and seed
    torch's RNG per batch (the discriminator augmentations), so a resumed run replays the killed one."""

    order = -5

    def __init__(self, dataset, start: tuple[int, int]):
        self.dataset, (self.start_epoch, self.skip) = dataset, start

    def before_epoch(self):
        self.dataset.epoch = self.epoch
        if self.epoch == self.start_epoch and self.skip:
            self.dls.train.skip_batches = self.skip

    def before_batch(self):
        if self.training:
            done = self.iter + (self.skip if self.epoch == self.start_epoch else 0)
            torch.manual_seed(hash((self.dataset.seed, self.epoch, done)) & 0xFFFFFFFF)

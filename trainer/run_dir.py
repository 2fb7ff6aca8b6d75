"""What a run leaves in its directory, and nothing else:

- config.json: the RunConfig (written by trainer.config);
- steps.csv: one row per training step (loss, lr, images/s, and the GAN's component losses);
- metrics.csv: one row per epoch (train/valid loss and the validation colour metrics);
- samples/epoch_NNN.png: the same validation photos each epoch, rows gray | predicted | real;
- holdout.png (finetune): those held-out photos, rows gray | the starting model | the best so far | real;
- losses.png: the loss curves;
- last.safetensors / best.safetensors: the generator with its card;
- state.pt: everything `trainer resume` needs (trainer.state.RunState).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from core.files import write_bytes_atomic


class RunDirectory:
    def __init__(self, out: Path):
        self.out = Path(out)
        (self.out / "samples").mkdir(parents=True, exist_ok=True)

    @property
    def state_file(self) -> Path:
        return self.out / "state.pt"

    # -- CSV logs ----------------------------------------------------------------------------------------
    def log_step(self, row: dict) -> None:
        _append_row(self.out / "steps.csv", row)

    def log_epoch(self, row: dict) -> None:
        _append_row(self.out / "metrics.csv", row)

    def forget_after(self, step: int, epoch: int) -> None:
        """Drop what a killed run logged past the state it is resumed from: steps after step, epochs from epoch."""
        _keep_rows(self.out / "steps.csv", lambda r: int(r["step"]) <= step)
        _keep_rows(self.out / "metrics.csv", lambda r: int(r["epoch"]) < epoch)

    # -- pictures ----------------------------------------------------------------------------------------
    def save_samples(self, epoch: int, gray, pred, real) -> None:
        """samples/epoch_NNN.png from three N x 3 x H x W sRGB batches in [0, 1]: rows gray | predicted | real."""
        self.save_grid(f"samples/epoch_{epoch:03d}.png", gray, pred, real)

    def save_grid(self, name: str, *rows) -> None:
        """A picture of N x 3 x H x W sRGB batches in [0, 1], one row each, the photos side by side."""
        import torch
        from PIL import Image

        grid = torch.cat([torch.cat(list(r), 2) for r in rows], 1).permute(1, 2, 0).cpu().numpy()
        buf = io.BytesIO()
        Image.fromarray((grid * 255 + 0.5).astype(np.uint8)).save(buf, format="PNG")
        write_bytes_atomic(self.out / name, buf.getvalue())

    def plot_losses(self) -> None:
        """losses.png: training losses per step (smoothed) and the validation loss per epoch."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps, epochs = _read_rows(self.out / "steps.csv"), _read_rows(self.out / "metrics.csv")
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
        ax.set_title("valid loss")
        ax.set_xlabel("epoch")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        plt.close(fig)
        write_bytes_atomic(self.out / "losses.png", buf.getvalue())

    # -- models ------------------------------------------------------------------------------------------
    def export(self, name: str, model, config, card: dict) -> None:
        from core.checkpoint import save_checkpoint

        save_checkpoint(self.out / f"{name}.safetensors", model, config, card)


def _append_row(path: Path, row: dict) -> None:
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row) if new else _header(path))
        if new:
            w.writeheader()
        w.writerow(row)


def _header(path: Path) -> list[str]:
    with open(path, newline="") as f:
        return next(csv.reader(f))


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _keep_rows(path: Path, keep) -> None:
    if not path.exists():
        return
    fields, rows = _header(path), [r for r in _read_rows(path) if keep(r)]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    write_bytes_atomic(path, buf.getvalue().encode())

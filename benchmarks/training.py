"""Training throughput: `trainer` stage 1 and 2 against a plain PyTorch loop as the seed's tutorial writes it.

    .venv/bin/python benchmarks/training.py [--steps 8] [--size 128] [--batch-size 16]

Baseline: a torch Dataset that opens each JPEG, resizes it and runs scikit-image rgb2lab in __getitem__,
float32, default DataLoader and threads; stage 2 adds the tutorial's discriminator step. Ours: the trainer
itself (cached Lab store, bf16 autocast, channels_last), timed from its steps.csv. Same generator,
PatchGAN, batch and image size. Target on the CPU: ours >= 2x the baseline.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, table  # noqa: E402

TRAIN = ROOT.parent / "shared" / "data" / "train"


def baseline(files: list[Path], steps: int, size: int, bs: int, gan: bool) -> float:
    """Median seconds per step of the tutorial-style loop."""
    import numpy as np
    import torch
    from PIL import Image
    from skimage.color import rgb2lab
    from torch import nn

    from core.models import GeneratorConfig, PatchGANConfig, build_model

    class ColorizationDataset(torch.utils.data.Dataset):
        def __len__(self):
            return len(files)

        def __getitem__(self, i):
            img = Image.open(files[i]).convert("RGB").resize((size, size), Image.BICUBIC)
            lab = rgb2lab(np.array(img)).astype("float32")
            lab = torch.from_numpy(lab).permute(2, 0, 1)
            return lab[[0]] / 50.0 - 1.0, lab[[1, 2]] / 110.0

    dl = torch.utils.data.DataLoader(ColorizationDataset(), batch_size=bs, shuffle=True)
    net_g = build_model(GeneratorConfig())
    opt_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    if gan:
        net_d = build_model(PatchGANConfig())
        opt_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        bce = nn.BCEWithLogitsLoss()
    l1 = nn.L1Loss()
    times, it = [], iter(dl)
    for _ in range(steps):
        t = time.perf_counter()
        L, ab = next(it)
        fake = net_g(L)
        if gan:
            opt_d.zero_grad()
            pf, pr = net_d(torch.cat([L, fake.detach()], 1)), net_d(torch.cat([L, ab], 1))
            loss_d = 0.5 * (bce(pf, torch.zeros_like(pf)) + bce(pr, torch.ones_like(pr)))
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            pf = net_d(torch.cat([L, fake], 1))
            loss_g = bce(pf, torch.ones_like(pf)) + 100 * l1(fake, ab)
        else:
            opt_g.zero_grad()
            loss_g = l1(fake, ab)
        loss_g.backward()
        opt_g.step()
        times.append(time.perf_counter() - t)
    return statistics.median(times[1:])


def ours(data: Path, work: Path, steps: int, size: int, bs: int, stage: str, init: Path | None) -> float:
    """Median seconds per step of the trainer, from its steps.csv (images/s per step)."""
    from trainer.config import RunConfig
    from trainer.loop import train

    out = work / stage
    train(RunConfig(stage=stage, data=str(data), out=str(out), epochs=1, size=size, batch_size=bs,
                    init=str(init) if init else None, cache=str(work / "cache"), val_fraction=0.02,
                    save_every=10_000, n_samples=1), log=lambda m: None)
    with open(out / "steps.csv", newline="") as f:
        rows = list(csv.DictReader(f))[:steps]
    return statistics.median(bs / float(r["images_per_s"]) for r in rows[1:])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args()
    n = args.steps * args.batch_size + 4
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    try:
        data = work / "photos"
        data.mkdir()
        files = sorted(TRAIN.glob("*.jpg"))[:n]
        for f in files:
            (data / f.name).symlink_to(f)
        from core.checkpoint import save_checkpoint
        from core.models import GeneratorConfig, build_model

        init = save_checkpoint(work / "init.safetensors", build_model(GeneratorConfig()), GeneratorConfig())
        rows = []
        for stage, gan in (("pretrain", False), ("gan", True)):
            b = baseline(files, args.steps, args.size, args.batch_size, gan)
            o = ours(data, work, args.steps, args.size, args.batch_size, stage, init if gan else None)
            rows.append((f"stage {1 + gan} ({stage})", args.batch_size / b, args.batch_size / o, b / o))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.steps} steps of {args.batch_size} x {args.size} px (median step); {machine()}")
    print(table(rows, ("stage", "baseline images/s", "trainer images/s", "speed-up")))


if __name__ == "__main__":
    main()

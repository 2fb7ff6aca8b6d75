"""Render size against speed, and (on a GPU) the largest batch that fits at each size.

    .venv/bin/python benchmarks/render_size.py [--device cpu|cuda] [--sizes 128 192 256 384 512] [--batch-size 1]

For each render size: forward passes per second through Colorizer.predict_ab (what a batch runs), at
--batch-size photos a pass. On CUDA it then doubles the batch until the Colorizer reports running out of GPU
memory (its fallback warns and retries smaller, so a warning marks the limit) or --max-batch is reached, and
gives the largest batch that fitted with its photos per second.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, table  # noqa: E402


def photos_per_second(colorizer, batch: int, seconds: float = 3.0) -> tuple[float, bool]:
    """(photos/s over at least `seconds`, whether the device ran out of memory at this batch)."""
    import numpy as np

    r = colorizer.render_size
    lightness = [np.random.default_rng(i).uniform(0, 100, (r, r)).astype(np.float32) for i in range(batch)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        colorizer.predict_ab(lightness)  # warm-up (and cuDNN's algorithm search)
        n, t0 = 0, time.perf_counter()
        while n == 0 or time.perf_counter() - t0 < seconds:
            colorizer.predict_ab(lightness)
            n += batch
        rate = n / (time.perf_counter() - t0)
    return rate, any("out of memory" in str(w.message) for w in caught)


def largest_batch(colorizer, max_batch: int) -> tuple[int, float]:
    """The largest power-of-two batch that runs without running out of GPU memory, and its photos/s."""
    best = (0, 0.0)
    batch = 1
    while batch <= max_batch:
        rate, oom = photos_per_second(colorizer, batch, seconds=1.0)
        if oom:
            break
        best = (batch, rate)
        batch *= 2
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 192, 256, 384, 512])
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--max-batch", type=int, default=1024)
    p.add_argument("--checkpoint", type=Path, default=None)
    args = p.parse_args()
    from core.colorizer import Colorizer, prefer_passive_threads

    prefer_passive_threads()
    colorizer = Colorizer(args.checkpoint, device=args.device)
    gpu = colorizer.device.startswith("cuda")
    rows, base = [], None
    for size in args.sizes:
        colorizer.render_size = size
        rate, _ = photos_per_second(colorizer, args.batch_size)
        base = rate if size == 256 else base
        row = [size, rate, 1000.0 / rate]
        if gpu:
            row += list(largest_batch(colorizer, args.max_batch))
        rows.append(row)
    for row in rows:
        row.insert(3, f"{row[1] / base:.2f}" if base else "")
    print(f"render size vs speed, device {colorizer.device}, batch {args.batch_size}, model "
          f"{colorizer.checkpoint_path.name}; {machine()}")
    cols = ["render size", "photos/s", "ms/photo", "vs 256"]
    if gpu:
        cols += [f"largest batch (≤ {args.max_batch})", "photos/s at it"]
    print(table(rows, cols))


if __name__ == "__main__":
    main()

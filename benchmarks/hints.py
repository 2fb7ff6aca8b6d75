"""Hint recovery (Zhang et al. 2017's test) and the cost of hints.

    .venv/bin/python benchmarks/hints.py [--checkpoint MODEL] [--limit N] [--counts 0,1,5,10,20]

For each colour photo of ../shared/data/eval: its lightness is colorized with N hints taken from the real photo
at random points (the mean colour of the 5 x 5 patch there; the same points for every model), and compared with
the real photo: PSNR, CIEDE2000 and the colourfulness gap dCF, for each N. Then the time of colorizing a
3000 x 2000 scan with 10 hints against none, at the default render size. Target: with 10 hints PSNR at least
2.5 dB above no hints and rising with N; 10 hints cost at most 1.5x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import EVAL, machine, table  # noqa: E402


def random_hints(truth: np.ndarray, n: int, rng: np.random.Generator):
    """n hints at random points of an H x W x 3 photo, each the mean colour of the 5 x 5 patch there."""
    from core.hints import Hint

    h, w = truth.shape[:2]
    hints = []
    for _ in range(n):
        y, x = int(rng.integers(2, max(h - 2, 3))), int(rng.integers(2, max(w - 2, 3)))
        r, g, b = truth[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3].reshape(-1, 3).mean(0).round().astype(int)
        hints.append(Hint(x, y, f"#{r:02x}{g:02x}{b:02x}"))
    return hints


def recovery(colorizer, files: list[Path], counts: list[int], seed: int) -> list[tuple]:
    from core.images import open_rgb, photo_from_image
    from trainer import metrics

    rows = {n: {"psnr": [], "ciede": [], "cf": []} for n in counts}
    cf_true = []
    for i, f in enumerate(files):
        image = open_rgb(f)
        truth, photo = np.asarray(image), photo_from_image(image)
        cf_true.append(metrics.colourfulness(truth))
        points = random_hints(truth, max(counts), np.random.default_rng(seed * 100_003 + i))
        for n in counts:
            pred = np.asarray(colorizer.colorize_photos([photo], [points[:n]])[0])
            rows[n]["psnr"].append(metrics.psnr(pred, truth))
            rows[n]["ciede"].append(metrics.ciede2000(pred, truth))
            rows[n]["cf"].append(metrics.colourfulness(pred))
    real_cf = float(np.mean(cf_true))
    base = float(np.mean(rows[counts[0]]["psnr"]))
    return [(n, float(np.mean(r["psnr"])), float(np.mean(r["psnr"])) - base, float(np.mean(r["ciede"])),
             abs(float(np.mean(r["cf"])) - real_cf)) for n, r in rows.items()]


def cost(colorizer, repeats: int = 5) -> tuple[float, float]:
    """Median seconds to colorize a 3000 x 2000 scan without hints and with 10."""
    from PIL import Image

    from core.images import photo_from_image

    src = sorted(EVAL.glob("*.jpg"))[0]
    with Image.open(src) as im:
        scan = im.convert("L").resize((3000, 2000), Image.BICUBIC)
    photo = photo_from_image(scan)
    hints = random_hints(np.asarray(scan.convert("RGB")), 10, np.random.default_rng(0))
    times = {0: [], 10: []}
    colorizer.colorize_photos([photo], [hints])  # warm-up: imports, allocator
    for _ in range(repeats):
        for n in (0, 10):
            t = time.perf_counter()
            colorizer.colorize_photos([photo], [hints[:n]])
            times[n].append(time.perf_counter() - t)
    return statistics.median(times[0]), statistics.median(times[10])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=None, help="default: the shipped default model")
    p.add_argument("--data", type=Path, default=EVAL)
    p.add_argument("--limit", type=int)
    p.add_argument("--counts", default="0,1,5,10,20")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--render-size", type=int, default=256)
    args = p.parse_args()

    from core.batch import find_photos
    from core.colorizer import Colorizer

    colorizer = Colorizer(args.checkpoint, device="cpu", render_size=args.render_size)
    files = find_photos(args.data)[:args.limit]
    rows = recovery(colorizer, files, [int(c) for c in args.counts.split(",")], args.seed)
    plain, hinted = cost(colorizer)
    print(f"{len(files)} photos from {args.data}, model {colorizer.checkpoint_path.name}, render size "
          f"{args.render_size}; {machine()}")
    print(table(rows, ("hints", "PSNR (dB)", "PSNR gain (dB)", "CIEDE2000", "dCF")))
    print(f"3000x2000 scan: {plain:.3f} s without hints, {hinted:.3f} s with 10 ({hinted / plain:.2f}x)")


if __name__ == "__main__":
    main()

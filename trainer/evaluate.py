"""`trainer eval`: how close a model's colours come to the truth, beside the gray (no-colour) baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer import metrics

METRICS = {  # name -> (function of (pred, true), higher is better)
    "PSNR (dB)": (metrics.psnr, True),
    "CIEDE2000": (metrics.ciede2000, False),
    "colourfulness": (lambda pred, true: metrics.colourfulness(pred), None),
}


def evaluate(checkpoint: Path, data: Path, render_size: int = 256, device: str = "auto",
             limit: int | None = None, batch_size: int = 8) -> dict:
    """Mean metrics of the model and of the gray baseline over the colour photos in data."""
    from core import lab
    from core.colorizer import Colorizer
    from core.images import ImageError, open_rgb, photo_from_image
    from trainer.data import find_images

    colorizer = Colorizer(checkpoint, device=device, render_size=render_size)
    files = find_images(data)[:limit]
    rows: dict[str, list[dict]] = {"model": [], "gray": [], "truth": []}
    skipped = []
    for i in range(0, len(files), batch_size):
        truths, photos = [], []
        for f in files[i:i + batch_size]:
            try:
                rgb = open_rgb(f)
            except ImageError as e:
                skipped.append(str(e))
                continue
            truths.append(np.asarray(rgb))
            photos.append(photo_from_image(rgb))  # the model only ever sees the photo's lightness
        for true, photo, pred in zip(truths, photos, colorizer.colorize_photos(photos)):
            gray = lab.lab_to_rgb(np.stack([photo.lightness, *np.zeros((2,) + photo.lightness.shape,
                                                                      np.float32)], -1))
            gray = (gray * 255 + 0.5).astype(np.uint8)
            for name, img in (("model", np.asarray(pred)), ("gray", gray), ("truth", true)):
                rows[name].append({m: fn(img, true) for m, (fn, _) in METRICS.items()})
    n = len(rows["model"])
    if n == 0:
        raise FileNotFoundError(f"{data}: no readable photos to evaluate")
    mean = {k: {m: float(np.mean([r[m] for r in v])) for m in METRICS} for k, v in rows.items()}
    return {"checkpoint": str(checkpoint), "data": str(data), "photos": n, "render_size": render_size,
            "skipped": skipped, "mean": mean}


def format_table(result: dict) -> str:
    """A plain-text table: one row per metric, columns model, gray baseline and (where meaningful) truth."""
    mean = result["mean"]
    lines = [f"{result['photos']} photos from {result['data']}, render size {result['render_size']}",
             f"{'metric':<16}{'model':>10}{'gray':>10}{'truth':>10}"]
    for m, (_, higher) in METRICS.items():
        truth = f"{mean['truth'][m]:>10.2f}" if higher is None else f"{'':>10}"
        lines.append(f"{m:<16}{mean['model'][m]:>10.2f}{mean['gray'][m]:>10.2f}{truth}")
    lines += [f"skipped: {s}" for s in result["skipped"]]
    return "\n".join(lines)

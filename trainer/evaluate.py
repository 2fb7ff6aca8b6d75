"""`trainer eval`: how close a model's colours come to the truth, beside the gray (no-colour) baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer import metrics

# per-photo metrics: name -> (function of (pred_rgb, true_rgb, pred_ab, true_ab), which way is better)
PER_PHOTO = {
    "PSNR (dB)": (lambda p, t, pab, tab: metrics.psnr(p, t), "higher"),
    "CIEDE2000": (lambda p, t, pab, tab: metrics.ciede2000(p, t), "lower"),
    "AuC ab": (lambda p, t, pab, tab: metrics.auc_ab_error(pab, tab), "higher"),
    "colourfulness": (lambda p, t, pab, tab: metrics.colourfulness(p), "nearer the truth"),
}
SET_METRICS = {"delta_cf": ("dCF", "lower")}  # computed over the whole set, from the mean colourfulness
GRID_PHOTOS, GRID_HEIGHT = 6, 160


def evaluate(checkpoint: Path, data: Path, render_size: int = 256, device: str = "auto",
             limit: int | None = None, batch_size: int = 8, grid: Path | None = None,
             saturation: float = 1.0, temperature: float | None = None, prior_boost: float | None = None) -> dict:
    """Mean metrics of the model and of the gray baseline over the colour photos in data.

    Each photo is reduced to its lightness (what the model sees) and colorized at render_size; dCF is
    |mean colourfulness - mean colourfulness of the truth| over the set, as DDColor reports it.
    """
    from core import lab
    from core.colorizer import Colorizer
    from core.images import ImageError, open_rgb, photo_from_image
    from core.batch import find_photos

    colorizer = Colorizer(checkpoint, device=device, render_size=render_size, saturation=saturation,
                          temperature=temperature, prior_boost=prior_boost)
    files = find_photos(data)[:limit]
    rows: dict[str, list[dict]] = {"model": [], "gray": [], "truth": []}
    skipped, sheet = [], []
    for i in range(0, len(files), batch_size):
        truths, photos = [], []
        for f in files[i:i + batch_size]:
            try:
                rgb = open_rgb(f)
            except ImageError as e:
                skipped.append(str(e))
                continue
            truths.append(np.asarray(rgb))
            photos.append(photo_from_image(rgb))
        for true, photo, pred in zip(truths, photos, colorizer.colorize_photos(photos)):
            zeros = np.zeros(photo.lightness.shape + (2,), np.float32)
            gray = (lab.lab_to_rgb(np.concatenate([photo.lightness[..., None], zeros], -1)) * 255 + 0.5)
            gray = gray.astype(np.uint8)
            pred = np.asarray(pred)
            true_ab = lab.rgb_to_lab(true)[..., 1:]
            for name, img in (("model", pred), ("gray", gray), ("truth", true)):
                img_ab = lab.rgb_to_lab(img)[..., 1:]
                rows[name].append({m: fn(img, true, img_ab, true_ab) for m, (fn, _) in PER_PHOTO.items()})
            if len(sheet) < GRID_PHOTOS:
                sheet.append((gray, pred, true))
    n = len(rows["model"])
    if n == 0:
        raise FileNotFoundError(f"{data}: no readable photos to evaluate")
    mean = {k: {m: float(np.mean([r[m] for r in v])) for m in PER_PHOTO} for k, v in rows.items()}
    for k in mean:
        mean[k]["delta_cf"] = abs(mean[k]["colourfulness"] - mean["truth"]["colourfulness"])
    if grid:
        save_grid(sheet, grid)
    return {"checkpoint": str(checkpoint), "data": str(data), "photos": n, "render_size": render_size,
            "colour_gain": colorizer.colour_gain, "saturation": saturation,
            "temperature": getattr(colorizer.model, "temperature", None),
            "prior_boost": getattr(colorizer.model, "prior_boost", None), "skipped": skipped, "mean": mean}


def save_grid(sheet: list[tuple[np.ndarray, ...]], path: Path) -> None:
    """Rows gray | predicted | real; one column per photo, each scaled to GRID_HEIGHT."""
    from PIL import Image

    def scaled(a: np.ndarray) -> Image.Image:
        im = Image.fromarray(a)
        return im.resize((max(1, round(im.width * GRID_HEIGHT / im.height)), GRID_HEIGHT), Image.LANCZOS)

    columns = [[scaled(a) for a in triple] for triple in sheet]
    width = sum(c[0].width for c in columns)
    out = Image.new("RGB", (width, 3 * GRID_HEIGHT), "white")
    x = 0
    for col in columns:
        for row, im in enumerate(col):
            out.paste(im, (x, row * GRID_HEIGHT))
        x += col[0].width
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    out.save(path)


def format_table(result: dict) -> str:
    """Plain text: one row per metric; columns model, gray baseline and, where meaningful, the truth."""
    mean = result["mean"]
    temperature = (f", temperature {result['temperature']:g}, prior boost {result['prior_boost']:g}"
                   if result.get("temperature") is not None else "")
    lines = [f"{result['photos']} photos from {result['data']}, render size {result['render_size']}, "
             f"colour gain {result['colour_gain']:g} x saturation {result['saturation']:g}{temperature}",
             f"{'metric':<16}{'model':>10}{'gray':>10}{'truth':>10}   better"]
    rows = [(m, m, better) for m, (_, better) in PER_PHOTO.items()]
    rows += [(key, label, better) for key, (label, better) in SET_METRICS.items()]
    for key, label, better in rows:
        truth = f"{mean['truth'][key]:>10.3f}" if key == "colourfulness" else " " * 10
        lines.append(f"{label:<16}{mean['model'][key]:>10.3f}{mean['gray'][key]:>10.3f}{truth}   {better}")
    lines += [f"skipped: {s}" for s in result["skipped"]]
    return "\n".join(lines)

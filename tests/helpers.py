"""Tiny images made in the tests."""

import numpy as np
from PIL import Image


def random_rgb(w: int, h: int, seed: int = 0) -> Image.Image:
    """A smooth random colour image (gradients plus noise), so Lab conversions see real variety."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x / max(w - 1, 1), y / max(h - 1, 1), 1 - x / max(w - 1, 1)], -1) * 200
    a = np.clip(base + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(a)


def random_gray(w: int, h: int, seed: int = 0) -> Image.Image:
    return random_rgb(w, h, seed).convert("L")


def snapshot(root) -> dict:
    """Bytes and mtime of every file under root (or of root itself): to prove originals are untouched."""
    from pathlib import Path

    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}

"""Shared helpers for the benchmarks: scan-sized test photos, timing, peak memory and the printed table."""

from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from pathlib import Path

EVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval"
TRAIN = EVAL.parent / "train"


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{os.cpu_count()} cores {cpu}, torch {torch.__version__}, {torch.get_num_threads()} threads{gpu}"


def make_scans(n: int, size: tuple[int, int] = (3000, 2000), folder: Path | None = None,
               source: Path = EVAL) -> Path:
    """n gray JPEG 'scans' made by upscaling colour photos from the eval set (never committed anywhere)."""
    from PIL import Image

    folder = Path(folder or tempfile.mkdtemp(prefix="scans-"))
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(source.glob("*.jpg"))[:n]
    if len(sources) < n:
        raise SystemExit(f"need {n} photos in {source}, found {len(sources)}")
    for i, src in enumerate(sources):
        with Image.open(src) as im:
            w, h = size if im.width >= im.height else size[::-1]
            im.convert("L").resize((w, h), Image.BICUBIC).save(folder / f"scan_{i:03d}.jpg", quality=92)
    return folder


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(rows: list[tuple], headers: tuple) -> str:
    """A markdown table."""
    cells = [list(map(str, headers))] + [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([fmt(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(r) for r in cells[1:]])


ROOT = Path(__file__).resolve().parents[1]


def run_child(code: str, *args: str, env: dict | None = None, timeout: float | None = None) -> dict:
    """Run `python -c code args...` in a fresh interpreter at the repo root; its last stdout line is JSON."""
    import json
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=timeout)
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        raise SystemExit(f"benchmark child failed (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
    return json.loads(lines[-1])


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values, linear between ranks (numpy's default)."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)

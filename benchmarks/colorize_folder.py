"""Batch colorizing speed on scan-sized photos: naive pipeline vs `colorize-folder` vs the model-bound limit.

    .venv/bin/python benchmarks/colorize_folder.py [--n 8] [--render-size 256] [--device cpu]

(a) naive: one image at a time, scikit-image rgb2lab/lab2rgb in float64 at full size, fp32 model, no overlap;
(b) the project's pipeline (core.batch.run, what `colorize-folder` runs), same model and render size;
(c) the model alone: the render-size forward passes (b) makes, on the same device, threads and streams
    (forward passes run at once, as core.colorizer.share_cpu_threads chooses; --streams 1 for one at a time).
Targets on a 2-core CPU: (b) >= 3x (a), and (b) >= 80 % of (c).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Timer, machine, make_scans, table  # noqa: E402


def naive(files: list[Path], out: Path, ckpt: Path, render: int, device: str) -> None:
    """The straightforward pipeline, written as a tutorial would."""
    import numpy as np
    import torch
    from PIL import Image
    from skimage.color import lab2rgb, rgb2lab
    from skimage.transform import resize

    from core.checkpoint import load_checkpoint

    model = load_checkpoint(ckpt, device=device).model
    for f in files:
        rgb = np.asarray(Image.open(f).convert("RGB"))
        lab = rgb2lab(rgb)  # float64, full size
        small = resize(lab[..., 0], (render, render))
        with torch.no_grad():
            x = torch.from_numpy(small / 50.0 - 1.0).float()[None, None].to(device)
            ab = model(x)[0].cpu().numpy().transpose(1, 2, 0) * 110.0
        ab_full = resize(ab, lab.shape[:2] + (2,))
        out_rgb = lab2rgb(np.concatenate([lab[..., :1], ab_full], -1))
        Image.fromarray((out_rgb * 255).astype(np.uint8)).save(out / f.name, quality=95)


def ours(folder: Path, out: Path, ckpt: Path, render: int, device: str, batch_size: int, streams: int):
    from core import batch
    from core.colorizer import Colorizer

    colorizer = Colorizer(ckpt, device=device, render_size=render, streams=streams)
    jobs = batch.plan([folder], out, "keep").jobs

    def run():
        shutil.rmtree(out, ignore_errors=True)  # a rerun would skip the photos already written
        return batch.run(colorizer, jobs, batch_size=batch_size)

    return colorizer, run


def model_only(colorizer, n: int, batch_size: int) -> None:
    """n photos' forward passes, in batches, spread over the colorizer's streams as core.batch.run does."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    lightness = [np.full((colorizer.render_size, colorizer.render_size), 50.0, np.float32)] * batch_size
    with ThreadPoolExecutor(colorizer.streams) as pool:
        list(pool.map(lambda _: colorizer.predict_ab(lightness), range(0, n, batch_size)))


def stages(colorizer, scan: Path, out: Path, repeats: int = 3) -> list[tuple]:
    """Seconds per stage for one scan, each stage run alone on this thread (median of repeats): where (b)'s time goes."""
    import statistics
    import time

    from core.colorizer import merge
    from core.images import load_photo, save_atomic

    photo = load_photo(scan)
    small = colorizer.render_input(photo.lightness)
    ab = colorizer.predict_ab([small])[0]
    image = merge(photo, ab)
    steps = [("decode + L* (loader threads)", lambda: load_photo(scan)),
             ("L* to render size (loader threads)", lambda: colorizer.render_input(photo.lightness)),
             ("model forward pass (a model thread)", lambda: colorizer.predict_ab([small])),
             ("ab upsample + Lab->sRGB merge (writer thread)", lambda: merge(photo, ab)),
             ("JPEG encode + atomic write (writer thread)", lambda: save_atomic(image, out / "stage.jpg"))]
    rows = []
    for name, fn in steps:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        rows.append((name, statistics.median(times)))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--render-size", type=int, default=256)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--checkpoint", type=Path, default=None)
    p.add_argument("--threads", type=int, default=None, help="torch threads for (b) and (c) (default: torch's)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved runs of (b) and (c); the median is shown")
    p.add_argument("--streams", type=int, default=2,
                   help="forward passes at once on a CPU, the threads split among them (2: as colorize-folder)")
    args = p.parse_args()
    from core.colorizer import prefer_passive_threads, share_cpu_threads

    prefer_passive_threads()  # as colorize-folder does, for (b) and (c) alike
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()

    from core.resources import default_checkpoint

    ckpt = args.checkpoint or default_checkpoint()
    work = Path(tempfile.mkdtemp(prefix="bench-colorize-"))
    try:
        scans = make_scans(args.n, folder=work / "scans")
        files = sorted(scans.glob("*.jpg"))
        (work / "naive").mkdir()
        with Timer() as t_naive:
            naive(files, work / "naive", ckpt, args.render_size, args.device)
        # (a) ran one pass at a time on all threads; (b) and (c) split them as colorize-folder does
        streams = share_cpu_threads(args.device, args.streams)
        colorizer, run = ours(scans, work / "ours", ckpt, args.render_size, args.device, args.batch_size, streams)
        model_only(colorizer, args.batch_size, args.batch_size)  # warm-up
        ours_s, model_s = [], []
        for _ in range(args.repeats):  # interleaved, so a slow spell of a shared machine hits both alike
            with Timer() as t:
                summary = run()
            assert len(summary.done) == args.n, summary.failed
            ours_s.append(t.seconds)
            with Timer() as t:
                model_only(colorizer, args.n, args.batch_size)
            model_s.append(t.seconds)
        t_ours, t_model = statistics.median(ours_s), statistics.median(model_s)
        stage_rows = stages(colorizer, files[0], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = args.n
    rows = [("(a) naive pipeline", n / t_naive.seconds, t_naive.seconds / n, 1.0, ""),
            ("(b) colorize-folder pipeline", n / t_ours, t_ours / n, t_naive.seconds / t_ours,
             f"{t_model / t_ours:.0%} of (c)"),
            ("(c) model forward passes alone", n / t_model, t_model / n, t_naive.seconds / t_model, "")]
    print(f"{n} gray 3000x2000 JPEG scans, render size {args.render_size}, device {args.device}, "
          f"batch {args.batch_size}; (b), (c): {streams} pass(es) at once, {threads // streams} thread(s) each, "
          f"median of {args.repeats} interleaved runs; {machine()}")
    print(table(rows, ("pipeline", "images/s", "s/image", "speed-up vs (a)", "vs model limit")))
    print("\nWhere (b)'s time goes: each stage alone, one 3000x2000 scan (median of 3)")
    print(table(stage_rows, ("stage", "seconds")))


if __name__ == "__main__":
    main()

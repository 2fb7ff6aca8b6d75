"""Peak memory and time of colorizing: big scans (50, 108 and 300 MP), and a 200-photo batch against a 1-photo
batch.

    .venv/bin/python benchmarks/memory.py [--device cpu] [--batch-photos 200] [--scans-mp 50,108,300]

Each case runs in a fresh process (core.batch.run, as `colorize-folder` does) and reports its peak RSS.
Targets: a 50 MP scan under 2 GB on the CPU; scans up to 300 MP colorized within bounded memory; a batch's
peak equal to its largest photo's, not growing with it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, make_scans, run_child, table  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from core import batch
from core.colorizer import start_colorizer
folder, out, device, ckpt = sys.argv[1:5]
c = start_colorizer(ckpt or None, device=device)  # as colorize-folder starts it
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
jobs = batch.plan([Path(folder)], Path(out), "keep").jobs
t = time.perf_counter()
s = batch.run(c, jobs, max_megapixels=1000)
assert not s.failed, s.failed
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "model_loaded_mb": base,
                  "photos": len(s.done), "seconds": time.perf_counter() - t}))
"""


def measure(folder: Path, device: str, ckpt: str) -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-mem-out-"))
    try:
        return run_child(CHILD, str(folder), str(out), device, ckpt)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch-photos", type=int, default=200)
    p.add_argument("--checkpoint", default="")
    p.add_argument("--scans-mp", default="50,108,300", help="Sizes of the single-scan cases, in megapixels (4:3).")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    try:
        scans = []
        for mp in (float(x) for x in args.scans_mp.split(",") if x):
            w = round((mp * 1e6 * 4 / 3) ** 0.5)
            h = round(mp * 1e6 / w)
            scans.append((f"one {w * h / 1e6:.0f} MP scan ({w}x{h})", make_scans(1, size=(w, h), folder=work / f"{mp}")))
        one = make_scans(1, size=(2000, 1500), folder=work / "one")
        many = work / "many"
        many.mkdir()
        src = next(one.glob("*.jpg"))
        for i in range(args.batch_photos):  # the same 3 MP photo many times: only the count changes
            shutil.copy(src, many / f"photo_{i:03d}.jpg")
        rows = []
        for name, folder in scans + [("1 photo, 3 MP", one), (f"{args.batch_photos} photos, 3 MP each", many)]:
            m = measure(folder, args.device, args.checkpoint)
            rows.append((name, m["photos"], m["model_loaded_mb"], m["peak_mb"], m["peak_mb"] - m["model_loaded_mb"],
                         m["seconds"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"device {args.device}; {machine()}")
    print(table(rows, ("case", "photos", "RSS after model load (MB)", "peak RSS (MB)", "peak - loaded (MB)",
                       "seconds")))


if __name__ == "__main__":
    main()

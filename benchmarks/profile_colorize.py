"""Where colorize-folder's time goes, from a py-spy profile of a real run on scan-sized photos.

    .venv/bin/pip install py-spy   # a profiler, not a dependency of the tool
    .venv/bin/python benchmarks/profile_colorize.py [--n 24]

py-spy samples every thread of `colorize-folder` while it colorizes n gray 3000x2000 scans. The table gives,
for each stage of the pipeline, the thread-seconds spent in it (samples / rate) and its share of the batch's
busy samples (start-up and idle waits left out). py-spy counts a thread as busy while it runs or waits for a
core, so on a saturated CPU the shares say how the cores are divided between the stages.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import make_scans, table  # noqa: E402

# (stage, a frame that marks it), tried in order on each sampled stack
STAGES = [("model forward pass", "predict_ab (core/colorizer.py"),
          ("ab upsample + Lab->sRGB merge", "merge (core/colorizer.py"),
          ("JPEG encode + atomic write", "save_atomic (core/images.py"),
          ("decode + L*", "load_photo (core/images.py"),
          ("start-up: imports, model load", "Colorizer.__init__"),
          ("start-up: imports, model load", "<module> (colorize-folder"),
          ("batch bookkeeping (main thread)", "run (core/batch.py")]
IDLE = ("Condition.wait", "_worker (concurrent/futures/thread.py", "Thread.join", "Event.wait", "Queue.get")


def stage_of(stack: str) -> str:
    frames = stack.split(";")
    if frames[-1].startswith(IDLE):
        return "idle (waiting for work)"
    for name, marker in STAGES:
        if marker in stack:
            return name
    return "other"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=24)
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second per thread")
    args = p.parse_args()
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not py_spy:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    cli = shutil.which("colorize-folder", path=str(Path(sys.executable).parent))
    work = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        scans = make_scans(args.n, folder=work / "scans")
        raw = work / "profile.txt"
        t = time.perf_counter()
        subprocess.run([py_spy, "record", "--threads", "--rate", str(args.rate), "--format", "raw", "-o", str(raw),
                        "--", cli, str(scans), "-o", str(work / "out")], check=True, capture_output=True)
        wall = time.perf_counter() - t
        samples: collections.Counter = collections.Counter()
        for line in raw.read_text().splitlines():
            stack, count = line.rsplit(" ", 1)
            samples[stage_of(stack)] += int(count)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    startup = "start-up: imports, model load"
    batch = sum(v for k, v in samples.items() if k != startup and not k.startswith("idle"))
    rows = [(stage, v / args.rate, v / args.rate / args.n,
             f"{v / batch:.0%}" if stage != startup and not stage.startswith("idle") else "")
            for stage, v in samples.most_common()]
    print(f"py-spy on colorize-folder, {args.n} gray 3000x2000 JPEG scans, {args.rate} samples/s; "
          f"{os.cpu_count()} cores; wall {wall:.1f} s including start-up and profiling overhead")
    print(table(rows, ("stage", "thread-seconds", "per photo", "share of the batch's busy samples")))
    model = samples["model forward pass"] / batch
    print(f"The model gets {model:.0%} of the batch's busy samples: on a CPU that the model alone keeps busy, "
          f"the pipeline can reach about {model:.0%} of the model-only throughput.")

if __name__ == "__main__":
    main()

"""Desktop app responsiveness: time to the first painted window, and event-loop stalls while a batch runs.

    .venv/bin/python benchmarks/desktop.py [--checkpoint MODEL.safetensors] [--photos 20] [--launches 3]
                                           [--device auto|cpu|cuda]

(1) Launch: a fresh Python process runs the app's real start-up path (desktop.app.start, what `shoebox-colorizer`
    runs) and notes the first paint event of the main window; the time is counted from the process start
    (/proc/self/stat) and from the first line of the script. Repeated --launches times; the median is reported,
    with whether torch was already imported at that moment.
(2) Stalls: in one fresh process the app starts the same way with --photos gray 1500x1000 JPEG scans (made from
    the eval photos in a temporary folder); once the engine and the first preview are ready, "Colorize all" is
    clicked and a 5 ms QTimer records every gap between its ticks until the batch ends. The same is reported for
    the engine loading (torch import, model load) and a short idle spell, for reference.
(3) Teaching: in a fresh process the app opens Model ▸ Teach it your colour photos… on --finetune-photos colour
    photos of ../shared/data/train and runs it for --finetune-minutes (the fine-tune is a separate process); the same
    5 ms timer records the window's stalls from Start to the end (0 minutes: skipped).
Targets on a 2-core CPU: first paint < 1.5 s with torch not yet imported; longest stall during the batch and during
the teaching < 100 ms.

Children run with QT_QPA_PLATFORM=offscreen unless a display is set, and with XDG_CONFIG_HOME in a temporary
folder, so the person's own settings are never read or written. The model is given to the app through those
temporary settings (as a model added with Model > Add model...), unless it is the bundled default.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, make_scans, percentile, run_child, table  # noqa: E402

LAUNCH_TARGET_S = 1.5
STALL_TARGET_MS = 100.0
TICK_MS = 5

# (1) Child: the app's start-up path, timed to the main window's first paint event. Nothing heavy is imported
# before desktop.app (PySide6 is imported by it anyway).
LAUNCH_CHILD = r"""
import time; T0 = time.time()
import json, os, sys


def process_start():
    # when this process was created (exec), from /proc: before the interpreter itself started
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime (clock ticks since boot)
        with open("/proc/uptime") as f:
            uptime, now = float(f.read().split()[0]), time.time()
        return now - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


from desktop.app import start
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

window = start(sys.argv[1:])
T_START_RETURNED = time.time()
app = QApplication.instance()
found = {}


def finish():
    t = time.time()
    p0 = process_start()
    print(json.dumps({
        "script_to_paint": found["paint"] - T0, "script_to_frame": t - T0,
        "script_to_shown": T_START_RETURNED - T0,
        "process_to_script": None if p0 is None else T0 - p0,
        "process_to_paint": None if p0 is None else found["paint"] - p0,
        "torch_at_paint": found["torch"], "platform": app.platformName(),
        "settings": window.settings.fileName(), "models": len(window.models()),
    }), flush=True)
    os._exit(0)  # do not wait for the engine loader thread (torch import) to finish


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if (event.type() == QEvent.Type.Paint and "paint" not in found and isinstance(obj, QWidget)
                and obj.window() is window):
            found["paint"], found["torch"] = time.time(), "torch" in sys.modules
            app.removeEventFilter(self)
            QTimer.singleShot(0, finish)  # after this paint cycle: the first frame is complete
        return False


hook = FirstPaint()
app.installEventFilter(hook)
QTimer.singleShot(60_000, lambda: (print("no paint event within 60 s", file=sys.stderr), os._exit(3)))
sys.exit(app.exec())
"""

# (2) Child: the app started the same way with a folder of scans; the batch is started with the button.
STALL_CHILD = r"""
import json, os, sys, time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop import APPLICATION, ORGANIZATION
from desktop.app import start

scans, out, device, tick_ms, timeout_s = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), \
    float(sys.argv[5])


def die(message):  # without waiting for worker threads (a torch import, a photo) to finish
    print(message, file=sys.stderr, flush=True)
    os._exit(2)


settings_file = QSettings(ORGANIZATION, APPLICATION).fileName()
if not settings_file.startswith(os.environ["XDG_CONFIG_HOME"]):
    die(f"refusing to run: settings would go to {settings_file}")

window = start([scans, "--device", device])
app = QApplication.instance()
ticks, phase, done = [], ["engine"], {}


def tick():
    ticks.append((time.perf_counter(), phase[0]))
    if "next_phase" in done:  # the gap that ends here still belongs to the phase that just ended
        phase[0] = done.pop("next_phase")


ticker = QTimer()
ticker.setTimerType(Qt.TimerType.PreciseTimer)
ticker.setInterval(tick_ms)
ticker.timeout.connect(tick)
ticker.start()
window.engine_ready.connect(lambda name: done.setdefault("engine", (time.perf_counter(), name)))
window.preview_ready.connect(lambda path: done.setdefault("preview", time.perf_counter()))
window.batch_finished.connect(lambda outcome: done.setdefault("batch", (time.perf_counter(), outcome)))


def wait_until(cond, seconds, what):
    limit = time.perf_counter() + seconds
    loop, poll = QEventLoop(), QTimer()

    def check():
        if "could not start" in window.engine_label.text():  # its message box would wait for a click
            die(f"the colorizer engine could not start (device {device})")
        if cond() or time.perf_counter() > limit:
            loop.quit()

    poll.timeout.connect(check)
    poll.start(20)
    if not cond():
        loop.exec()
    poll.stop()
    if not cond():
        die(f"timed out after {seconds:.0f} s waiting for {what}")


t0 = time.perf_counter()
window.set_output_dir(out)  # the temporary output folder (saved in the temporary settings)
n = len(list(Path(scans).glob("*.jpg")))
wait_until(lambda: "engine" in done, timeout_s, "the engine")
t_engine, device_name = done["engine"]
done["next_phase"] = "preview"
if window.current_model() is None:
    die("no model is selected: pass --checkpoint")
wait_until(lambda: len(window.photos()) == n and "preview" in done, timeout_s, "the photo list and its preview")
t_preview = done["preview"]
done["next_phase"] = "idle"
wait_until(lambda: time.perf_counter() > t_preview + 1.0, 5, "an idle second")
if not window.colorize_button.isEnabled():
    die(f"the Colorize all button is disabled: {window.colorize_button.toolTip()}")
phase[0] = "batch"
t_click = time.perf_counter()
window.colorize_button.click()  # what a click on "Colorize all" does
wait_until(lambda: "batch" in done, timeout_s, "the batch")
t_end, outcome = done["batch"]
done["next_phase"] = "after"
wait_until(lambda: phase[0] == "after", 5, "one more tick")
ticker.stop()

gaps = {}
for (a, _), (b, ph) in zip(ticks, ticks[1:]):
    gaps.setdefault(ph, []).append((b - a) * 1000)
print(json.dumps({
    "gaps": gaps, "device": device_name, "platform": app.platformName(), "photos": n,
    "render_size": window.render_size(), "model": str(window.current_model()),
    "seconds": {"engine": t_engine - t0, "preview": t_preview - t_engine, "idle": t_click - t_preview,
                "batch": t_end - t_click},
    "batch_worker_seconds": outcome.seconds, "done": len(outcome.done), "skipped": len(outcome.skipped),
    "failed": [m for _, m in outcome.failed], "error": outcome.error,
    "outputs": len(list(out.rglob("*.jpg"))), "settings": window.settings.fileName(),
}), flush=True)
os._exit(0)
"""


# (3) Child: the teaching dialog on a folder of colour photos, while a timer records the window's stalls.
FINETUNE_CHILD = r"""
import json, os, sys, time
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop.app import start

photos, minutes, tick_ms, stall_ms = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
window = start(["--device", "cpu"])
app = QApplication.instance()
engine = []
window.engine_ready.connect(engine.append)
ticks = []
ticker = QTimer()
ticker.setTimerType(Qt.TimerType.PreciseTimer)
ticker.setInterval(tick_ms)
ticker.timeout.connect(lambda: ticks.append(time.perf_counter()))


def wait_until(cond, seconds):
    loop, poll, limit = QEventLoop(), QTimer(), time.perf_counter() + seconds
    poll.timeout.connect(lambda: (cond() or time.perf_counter() > limit) and loop.quit())
    poll.start(50)
    if not cond():
        loop.exec()
    poll.stop()
    return cond()


wait_until(lambda: window.current_model() is not None, 30)
# The engine's own start (torch import, model load) is measured in (2); here only the teaching.
if not wait_until(lambda: engine, 300):
    print(json.dumps({"error": "the engine did not load in 300 s"}), flush=True)
    os._exit(0)
window.act_teach.trigger()
dialog = window.teach
dialog.set_folder(Path(photos))
if not wait_until(lambda: dialog.start_button.isEnabled(), 600):
    print(json.dumps({"error": dialog.found_label.text()}), flush=True)
    os._exit(0)
dialog.minutes.setValue(minutes)
result = {}
dialog.model_ready.connect(lambda path: result.setdefault("model", str(path)))
ticker.start()
t0 = time.perf_counter()
dialog.start()
wait_until(lambda: dialog.run is not None and not dialog.run.running() and ticks and ticks[-1] > t0 + 1, minutes * 60 + 300)
ticker.stop()
gaps = [(b - a) * 1000 for a, b in zip(ticks, ticks[1:])]
stalls_at = [round(a - t0, 2) for a, b in zip(ticks, ticks[1:]) if (b - a) * 1000 >= stall_ms]
print(json.dumps({"gaps": gaps, "stalls_at": stalls_at, "seconds": time.perf_counter() - t0, "usable": dialog.usable,
                  "settings": window.settings.fileName(),
                  "model": result.get("model"), "status": dialog.status.text()}), flush=True)
os._exit(0)
"""


def child_env(config_home: Path, checkpoint: Path | None) -> dict:
    """The environment for a child: its own settings and data folders (settings seeded with the model), a display
    or offscreen."""
    from PySide6.QtCore import QSettings

    from desktop import APPLICATION, ORGANIZATION

    config_home.mkdir(parents=True, exist_ok=True)
    if checkpoint is not None:  # what Model > Add model... leaves in the settings
        s = QSettings(str(config_home / ORGANIZATION / f"{APPLICATION}.conf"), QSettings.Format.IniFormat)
        s.setValue("user_models", [str(checkpoint)])
        s.setValue("model", str(checkpoint))
        s.sync()
    # settings and data (hints, personal models) both stay in the work folder, never the user's own
    env = dict(os.environ, XDG_CONFIG_HOME=str(config_home), XDG_DATA_HOME=str(config_home / "data"))
    if not (env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def check_settings_isolated(result: dict, config_home: Path) -> None:
    if not result["settings"].startswith(str(config_home)):
        raise SystemExit(f"the app's settings were not isolated: {result['settings']}")


def launches(work: Path, checkpoint: Path | None, device: str, n: int) -> list[dict]:
    runs = []
    for i in range(n):
        config = work / f"launch-config-{i}"
        r = run_child(LAUNCH_CHILD, "--device", device, env=child_env(config, checkpoint), timeout=120)
        check_settings_isolated(r, config)
        runs.append(r)
    return runs


def stalls(work: Path, checkpoint: Path | None, device: str, photos: int) -> dict:
    scans = make_scans(photos, size=(1500, 1000), folder=work / "scans")
    config = work / "stall-config"
    timeout = 600
    r = run_child(STALL_CHILD, str(scans), str(work / "colorized"), device, str(TICK_MS), str(timeout),
                  env=child_env(config, checkpoint), timeout=timeout + 60)
    check_settings_isolated(r, config)
    if r["error"] or r["failed"] or r["done"] != photos or r["outputs"] != photos:
        raise SystemExit(f"the batch did not colorize every photo: {r}")
    return r


def teaching(work: Path, checkpoint: Path | None, photos: int, minutes: float) -> dict:
    from benchmarks.common import TRAIN

    folder = work / "colour-photos"
    folder.mkdir()
    for f in sorted(TRAIN.glob("*.jpg"))[:photos]:
        (folder / f.name).symlink_to(f)
    config = work / "teach-config"
    r = run_child(FINETUNE_CHILD, str(folder), str(minutes), str(TICK_MS), str(STALL_TARGET_MS),
                  env=child_env(config, checkpoint), timeout=minutes * 60 + 900)
    if not r.get("error"):
        check_settings_isolated(r, config)
    return r


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="model to colorize with (default: the bundled default model)")
    p.add_argument("--photos", type=int, default=20, help="photos in the batch (default 20)")
    p.add_argument("--launches", type=int, default=3, help="fresh launches to time (default 3)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="as the app's --device")
    p.add_argument("--finetune-photos", type=int, default=100, help="colour photos to teach with (default 100)")
    p.add_argument("--finetune-minutes", type=float, default=10.0, help="teaching time (default 10; 0: skip)")
    p.add_argument("--skip-launch-and-batch", action="store_true", help="only (3)")
    args = p.parse_args()

    from core.resources import MODELS, default_checkpoint

    if args.checkpoint is None and not (MODELS / "DEFAULT").is_file():
        p.error(f"no bundled default model ({MODELS / 'DEFAULT'} is missing): pass --checkpoint")
    checkpoint = args.checkpoint.absolute() if args.checkpoint else None
    if checkpoint is not None and not checkpoint.is_file():
        p.error(f"{checkpoint}: no such file")
    if checkpoint is not None and default_checkpoint_or_none(default_checkpoint) == checkpoint:
        checkpoint = None  # the bundled default is selected without any settings

    work = Path(tempfile.mkdtemp(prefix="bench-desktop-"))
    try:
        teach = teaching(work, checkpoint, args.finetune_photos, args.finetune_minutes) \
            if args.finetune_minutes > 0 else None
        if args.skip_launch_and_batch:
            runs = s = None
        else:
            runs = launches(work, checkpoint, args.device, args.launches)
            s = stalls(work, checkpoint, args.device, args.photos)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if teach is not None:
        if teach.get("error"):
            raise SystemExit(f"the teaching could not start: {teach['error']}")
        gaps = teach["gaps"]
        print(f"(3) Teaching {teach['usable']} colour photos for {args.finetune_minutes:g} min (a separate process); "
              f"{machine()}")
        print(table([("teaching", teach["seconds"], max(gaps, default=float("nan")), percentile(gaps, 99),
                      sum(g >= STALL_TARGET_MS for g in gaps), len(gaps), f"< {STALL_TARGET_MS:.0f}")],
                    ("phase", "wall (s)", "max stall (ms)", "p99 gap (ms)", f">= {STALL_TARGET_MS:.0f} ms", "ticks",
                     "target max stall")))
        if teach.get("stalls_at"):
            print(f"stalls of {STALL_TARGET_MS:.0f} ms or more began at (s after Start): "
                  f"{', '.join(map(str, teach['stalls_at']))}")
        print(f"result: {teach['status']}")
        print()
    if runs is None:
        return

    def row(name, key, fmt=lambda v: v, target=""):
        values = [r[key] for r in runs]
        known = [v for v in values if v is not None]
        med = statistics.median(known) if known and not isinstance(known[0], bool) else ""
        return (name, *[fmt(v) if v is not None else "n/a" for v in values], fmt(med) if med != "" else "", target)

    sec = lambda v: float(v)  # noqa: E731
    launch_rows = [
        row("process start -> first paint (s)", "process_to_paint", sec, f"< {LAUNCH_TARGET_S}"),
        row("script start -> first paint (s)", "script_to_paint", sec),
        row("script start -> start() returned (s)", "script_to_shown", sec),
        row("script start -> first frame done (s)", "script_to_frame", sec),
        row("process start -> script start (s)", "process_to_script", sec),
        ("torch imported at first paint", *["yes" if r["torch_at_paint"] else "no" for r in runs], "",
         "no"),
    ]
    print(f"Desktop app, Qt platform {runs[0]['platform']}, device {s['device']}, render size {s['render_size']}, "
          f"model {Path(s['model']).name}; {machine()}")
    print()
    print(f"(1) Launch to first painted window, {len(runs)} fresh processes "
          f"({runs[0]['models']} model(s) in the picker)")
    print(table(launch_rows, ("measure", *[f"run {i + 1}" for i in range(len(runs))], "median", "target")))
    print()

    names = {"idle": "idle (reference)", "engine": "engine loading (torch import, model)",
             "preview": "first preview colorized", "batch": f"batch of {s['photos']} photos"}
    stall_rows = []
    for ph in ("idle", "engine", "preview", "batch"):
        gaps = s["gaps"].get(ph, [])
        seconds = s["seconds"][ph]
        batch = ph == "batch"
        stall_rows.append((names[ph], seconds, max(gaps, default=float("nan")), percentile(gaps, 99),
                           sum(g >= STALL_TARGET_MS for g in gaps), len(gaps),
                           s["photos"] / seconds if batch else "", f"< {STALL_TARGET_MS:.0f}" if batch else ""))
    print(f"(2) Event-loop gaps between {TICK_MS} ms timer ticks (ms); batch started with the Colorize all button")
    print(table(stall_rows, ("phase", "wall (s)", "max stall (ms)", "p99 gap (ms)", f">= {STALL_TARGET_MS:.0f} ms",
                             "ticks", "photos/s", "target max stall")))


def default_checkpoint_or_none(default_checkpoint) -> Path | None:
    try:
        return default_checkpoint().absolute()
    except OSError:
        return None


if __name__ == "__main__":
    main()

"""Background work for the window: engine start-up, folder scans, thumbnails, previews and the batch.

Each worker is a QRunnable that reports through its `signals` object only; the window never touches a worker's
state other than asking it to stop. torch and the colorizer are imported here, inside `Engine.load`, never at
module import, so the window can appear before they load.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, Signal
from PySide6.QtGui import QImage

from core import batch
from core.errors import one_line
from core.hints import Hint, scale_hints
from core.images import ImageError, open_preview


class NoModelError(Exception):
    """No model is chosen (none bundled and none added)."""


@dataclass(frozen=True)
class EngineSettings:
    """What the next photo is colorized with; the window replaces it whenever a control changes."""

    checkpoint: Path | None = None
    render_size: int = 256
    saturation: float = 1.0
    warmth: float = 0.0


class Engine:
    """The one Colorizer the app uses, shared by the preview and batch workers.

    Every call colorizes with the settings current at that moment, so a model switched in the window is used
    from the next photo on. The colorizer runs up to `streams` passes at once (as colorize-folder does), so a
    preview can run beside the batch; a lock guards only the switch of model and settings.
    """

    def __init__(self, device: str = "auto", streams: int = 2) -> None:
        self._device_request, self._streams_request = device, streams
        self._lock = threading.Lock()
        self._colorizer: Any = None
        self.settings = EngineSettings()
        self.device: str | None = None
        self.device_name = ""

    @property
    def streams(self) -> int:
        """Passes the loaded colorizer runs at once (core.batch.run reads it); 1 before a model is loaded."""
        c = self._colorizer
        return c.streams if c is not None else 1

    @property
    def ready(self) -> bool:
        return self.device is not None

    def load(self) -> str:
        """Import torch and the colorizer and pick the device (slow: run it in a worker); returns the device name."""
        from core.colorizer import import_engine, pick_device, prefer_passive_threads
        from desktop.background_import import import_without_stalls

        prefer_passive_threads()
        import_without_stalls(import_engine)
        import torch

        device = pick_device(self._device_request)
        self.device_name = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else "CPU"
        self.device = device
        return self.device_name

    def _current(self) -> Any:
        """The colorizer for the current settings, loading the model when it changed."""
        with self._lock:
            return self._current_locked()

    def _current_locked(self) -> Any:
        from core.colorizer import start_colorizer

        if not self.ready:
            raise RuntimeError("the colorizer engine is still loading")
        s = self.settings
        if s.checkpoint is None:
            raise NoModelError("no model: add one with Model ▸ Add model…")
        c = self._colorizer
        if c is None or c.checkpoint_path != Path(s.checkpoint):
            self._colorizer = None  # let the old model go before the next one loads (GPU memory)
            c = self._colorizer = start_colorizer(s.checkpoint, device=self.device, render_size=s.render_size,
                                                  saturation=s.saturation, streams=self._streams_request)
        c.render_size, c.saturation, c.warmth = s.render_size, s.saturation, s.warmth  # checked by its setters
        return c

    def preload(self) -> Path | None:
        """Load the current model now, so the first photo does not wait for it; returns its path."""
        return self._current().checkpoint_path

    def predict_ab(self, lightness: Sequence[Any], hints: Sequence[Any] | None = None) -> list[Any]:
        """core.batch.run's colorizer interface, with the settings current now."""
        return self._current().predict_ab(lightness, hints)

    def colorize(self, image: Image.Image, hints: Sequence[Any] = ()) -> Image.Image:
        return self._current().colorize(image, hints)

    def suggest_colours(self, image: Image.Image, x: int, y: int) -> list[str]:
        """Colours a hint at (x, y) of image might want (the model's own first)."""
        from core.images import photo_from_image

        return self._current().suggest_colours(photo_from_image(image).lightness, x, y)


def to_qimage(im: Image.Image) -> QImage:
    """A PIL image as a QImage that owns its pixels (safe to build in a worker and send to the window)."""
    if im.mode == "L":
        fmt, channels = QImage.Format.Format_Grayscale8, 1
    elif im.mode == "RGB":
        fmt, channels = QImage.Format.Format_RGB888, 3
    else:
        im, fmt, channels = im.convert("RGBA"), QImage.Format.Format_RGBA8888, 4
    data = im.tobytes()
    return QImage(data, im.width, im.height, im.width * channels, fmt).copy()


class EngineLoader(QRunnable):
    """Imports torch and the colorizer, picks the device and loads the chosen model; then ready."""

    class EngineLoaderSignals(QObject):
        ready = Signal(str)  # device name ("CPU" or the GPU's)
        failed = Signal(str)  # the engine could not start
        model_failed = Signal(str)  # the engine runs, but the chosen model did not load

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.signals = self.EngineLoaderSignals()

    def run(self) -> None:
        try:
            name = self.engine.load()
        except Exception as e:
            self.signals.failed.emit(one_line(e))
            return
        if self.engine.settings.checkpoint is not None:
            try:
                self.engine.preload()
            except Exception as e:
                self.signals.model_failed.emit(one_line(e))
        self.signals.ready.emit(name)


class ScanWorker(QRunnable):
    """Finds the photos under the given files and folders (folders recursively), as core.batch plans them."""

    class ScanWorkerSignals(QObject):
        found = Signal(list, list)  # [src path str], [(src path str, reason)]

    def __init__(self, roots: Sequence[Path], out_dir: Path) -> None:
        super().__init__()
        self.roots, self.out_dir = list(roots), out_dir
        self.signals = self.ScanWorkerSignals()

    def run(self) -> None:
        found: list[str] = []
        refused: list[tuple[str, str]] = []
        for root in self.roots:  # one at a time: a listing shows each photo under the path it was added with
            try:
                planned = batch.plan([root], self.out_dir)
                jobs, bad = planned.jobs, planned.refused + planned.notes
            except OSError as e:
                refused.append((str(root), f"{root}: cannot read ({one_line(e)})"))
                continue
            found += [str(j.src) for j in jobs]
            refused += [(str(src), msg) for src, msg in bad]
        self.signals.found.emit(found, refused)


class OutputsWorker(QRunnable):
    """Where each listed photo's output goes in out_dir (as a batch would write it) and whether it is there
    already: how the list shows photos done earlier, at launch, after adding and when the output folder changes."""

    class OutputsWorkerSignals(QObject):
        found = Signal(object, object)  # out_dir (Path), {src path str: (output path str, exists)}

    def __init__(self, roots: Sequence[Path], out_dir: Path, fmt: str) -> None:
        super().__init__()
        self.roots, self.out_dir, self.fmt = list(roots), Path(out_dir), fmt
        self.signals = self.OutputsWorkerSignals()

    def run(self) -> None:
        outputs: dict[str, tuple[str, bool]] = {}
        try:
            for job in batch.plan(self.roots, self.out_dir, self.fmt).jobs:
                try:
                    exists = job.dst.is_file()
                except OSError:
                    exists = False
                outputs[str(job.src)] = (str(job.dst), exists)
        except OSError:
            pass  # a folder gone since it was listed: its photos just show no output
        self.signals.found.emit(self.out_dir, outputs)


class SuggestWorker(QRunnable):
    """The colours the model suggests for a hint at a point of the preview image."""

    class SuggestWorkerSignals(QObject):
        ready = Signal(list)  # ["#rrggbb", ...], the model's own colour first; [] when it could not tell

    def __init__(self, engine: Engine, image: Image.Image, x: int, y: int) -> None:
        super().__init__()
        self.engine, self.image, self.x, self.y = engine, image, x, y
        self.signals = self.SuggestWorkerSignals()

    def run(self) -> None:
        try:
            self.signals.ready.emit(self.engine.suggest_colours(self.image, self.x, self.y))
        except Exception:  # no engine or model yet, or a model that cannot say: the dialog opens without
            self.signals.ready.emit([])


class ThumbnailWorker(QRunnable):
    """Makes thumbnails; a photo that cannot be read is reported with the reason."""

    class ThumbnailWorkerSignals(QObject):
        thumbnail = Signal(str, QImage)
        failed = Signal(str, str)

    def __init__(self, paths: Sequence[str], size: int, stop: threading.Event) -> None:
        super().__init__()
        self.paths, self.size, self.stop = list(paths), size, stop
        self.signals = self.ThumbnailWorkerSignals()

    def run(self) -> None:
        for p in self.paths:
            if self.stop.is_set():
                return
            try:
                self.signals.thumbnail.emit(p, to_qimage(open_preview(p, self.size)))
            except ImageError as e:
                self.signals.failed.emit(p, str(e))
            except Exception as e:  # any decoder surprise is one bad file, never a crash
                self.signals.failed.emit(p, f"{p}: cannot read ({one_line(e)})")


class PreviewWorker(QRunnable):
    """The selected photo at preview size, then colorized with the current settings.

    is_current() is checked before each slow step, so a preview the person has already moved past is dropped.
    """

    class PreviewWorkerSignals(QObject):
        original = Signal(int, str, QImage, object)  # ..., the PIL image, to colorize again without reopening
        colorized = Signal(int, str, QImage, float)  # ..., seconds the colorizing took (-1: the output on disk)
        failed = Signal(int, str, str)
        finished = Signal()  # always, last

    def __init__(self, engine: Engine, path: str, max_side: int, token: int,
                 is_current: Callable[[int], bool], original: Image.Image | None = None,
                 output: str | None = None, hints: Sequence[Hint] = (),
                 photo_size: tuple[int, int] | None = None) -> None:
        """output: the photo's colorized file, when it is done: shown as it is instead of colorizing again.
        hints: the photo's colour hints, in the pixels of the photo itself, whose size is photo_size."""
        super().__init__()
        self.engine, self.path, self.max_side, self.token = engine, path, max_side, token
        self.is_current, self.original_image, self.output = is_current, original, output
        self.hints, self.photo_size = list(hints), photo_size
        self.signals = self.PreviewWorkerSignals()

    def run(self) -> None:
        try:
            self._run()
        finally:
            self.signals.finished.emit()

    def _run(self) -> None:
        t, p = self.token, self.path
        if not self.is_current(t):
            return
        try:
            im = self.original_image
            if im is None:
                im = open_preview(p, self.max_side)
                self.signals.original.emit(t, p, to_qimage(im), im)
            if self.output is not None and self.is_current(t):
                try:
                    done = open_preview(self.output, self.max_side)
                    self.signals.colorized.emit(t, p, to_qimage(done), -1.0)  # -1: read from disk, not colorized
                    return
                except ImageError:
                    pass  # gone or unreadable since it was listed: colorize a fresh preview instead
            if not self.engine.ready or self.engine.settings.checkpoint is None or not self.is_current(t):
                return
            start = time.perf_counter()
            hints = scale_hints(self.hints, self.photo_size, im.size) if self.hints else ()
            out = self.engine.colorize(im, hints)
            if self.is_current(t):
                self.signals.colorized.emit(t, p, to_qimage(out), time.perf_counter() - start)
        except ImageError as e:
            self.signals.failed.emit(t, p, str(e))
        except Exception as e:
            self.signals.failed.emit(t, p, one_line(e))


@dataclass
class BatchOutcome:
    """What a finished (or cancelled) batch did, for the window's summary."""

    out_dir: Path
    total: int = 0
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    error: str = ""  # the batch could not run at all
    seconds: float = 0.0


class BatchWorker(QRunnable):
    """Colorizes every photo under the inputs into out_dir with core.batch (same no-loss rules as the CLI).

    cancel() takes effect after the photo being colorized: it is finished and written, nothing partial remains.
    """

    class BatchWorkerSignals(QObject):
        planned = Signal(int, int)  # photos in the batch, and how many of them still need colorizing
        result = Signal(str, str, str)  # src, 'done'|'skipped'|'failed', message (output path or cause)
        finished = Signal(object)  # BatchOutcome

    def __init__(self, engine: Engine, inputs: Sequence[Path], out_dir: Path, fmt: str = "keep",
                 overwrite: bool = False, exclude: Sequence[str] = (), hints: dict[str, list] | None = None,
                 redo: Sequence[str] = ()) -> None:
        """exclude: photos under the inputs that were removed from the list (not colorized).
        hints: colour hints per photo; redo: photos colorized again though done (their hints changed)."""
        super().__init__()
        self.engine, self.inputs, self.out_dir, self.fmt = engine, list(inputs), Path(out_dir), fmt
        self.overwrite, self.exclude = overwrite, set(exclude)
        self.hints, self.redo = dict(hints or {}), {Path(p) for p in redo}
        self._stop = threading.Event()
        self.signals = self.BatchWorkerSignals()

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        outcome = BatchOutcome(self.out_dir)
        start = time.perf_counter()
        try:
            outcome = self._run(outcome)
        except Exception as e:  # e.g. the output folder cannot be created
            outcome.error = one_line(e)
        outcome.cancelled = self._stop.is_set()
        outcome.seconds = time.perf_counter() - start
        self.signals.finished.emit(outcome)

    def _run(self, outcome: BatchOutcome) -> BatchOutcome:
        planned = batch.plan(self.inputs, self.out_dir, self.fmt)
        jobs = [j for j in planned.jobs if str(j.src) not in self.exclude]
        refused = [(src, msg) for src, msg in planned.refused + planned.notes if str(src) not in self.exclude]
        outcome.total = len(jobs) + len(refused)
        todo = len(jobs) if self.overwrite else sum(not j.dst.is_file() or j.src in self.redo for j in jobs)
        self.signals.planned.emit(outcome.total, todo + len(refused))
        for src, msg in refused:
            outcome.failed.append((str(src), msg))
            self.signals.result.emit(str(src), "failed", msg)
        if not jobs:
            return outcome
        self.out_dir.mkdir(parents=True, exist_ok=True)
        planned.output_map.save()  # these folders keep going where they go now, whatever is added later

        def on_result(job: batch.Job, status: str, msg: str) -> None:
            src = str(job.src)
            if status == "done":
                outcome.done.append(src)
            elif status == "skipped":
                outcome.skipped.append(src)
            else:
                outcome.failed.append((src, msg))
            self.signals.result.emit(src, status, msg)

        batch.run(self.engine, jobs, overwrite=self.overwrite, on_result=on_result, should_stop=self._stop.is_set,
                  hints={Path(p): h for p, h in self.hints.items()}, redo=self.redo)
        return outcome

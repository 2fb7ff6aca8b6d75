"""Model ▸ Teach it your colour photos…: a personal model fine-tuned on a family's own colour photos.

The dialog counts the usable colour photos of a folder (in a worker), then runs `trainer finetune` in a separate
process at low priority, so the window never stalls and a crash cannot take the app down. It reads the
trainer's output for progress, can cancel it, and at the end shows held-out photos as the starting model and
the personal model colour them, against their real colour.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QScrollArea, QVBoxLayout)

from desktop.texts import eta_text
from trainer.config import MIN_FINETUNE_PHOTOS as MIN_PHOTOS  # torch-free: the trainer's own threshold


class PhotoCountWorker(QRunnable):
    """How many photos under a folder are usable colour photos, and why the others are not."""

    class Signals(QObject):
        counted = Signal(int, dict)  # usable, {reason: count}

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.signals = self.Signals()

    def run(self) -> None:
        import numpy as np

        from core.batch import find_photos
        from core.errors import ImageError
        from core.images import open_preview
        from trainer.data import colour_test

        usable, skipped = 0, {}
        for path in find_photos(self.folder):
            try:
                why = colour_test(np.asarray(open_preview(path, 256).convert("RGB")))
            except (ImageError, OSError, ValueError):
                why = "unreadable"
            if why:
                skipped[why] = skipped.get(why, 0) + 1
            else:
                usable += 1
        self.signals.counted.emit(usable, skipped)


class FinetuneRun(QObject):
    """`trainer finetune` in its own process: progress from the clock and its output, cancel, the result."""

    progress = Signal(float, float, str)  # fraction done, seconds left, the trainer's last line
    finished = Signal(bool, str)  # succeeded, the run directory (or why it failed)

    def __init__(self, folder: Path, init: Path, out: Path, minutes: float, summary: str,
                 extra_args: list[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.out, self.minutes = out, minutes
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._done)
        self.args = ["-m", "trainer.cli", "finetune", "--data", str(folder), "--init", str(init), "--out", str(out),
                     "--minutes", f"{minutes:g}", "--summary", summary, "--background", *(extra_args or [])]
        self.last_line = ""
        self._error_tail: list[str] = []  # the trainer's last lines: what a failed run says
        self.cancelled = False
        self._timer = QTimer(self, interval=500)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.process.start(sys.executable, self.args)
        self._timer.start()

    def cancel(self) -> None:
        self.cancelled = True
        self.process.kill()

    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _read(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        lines = [line.strip() for line in re.split(r"[\r\n]", text) if line.strip()]
        epoch_lines = [line for line in lines if line.startswith(("epoch ", "stopping", "starting model"))]
        if epoch_lines:
            self.last_line = epoch_lines[-1]
        elif lines and not self.last_line:
            self.last_line = lines[-1][:160]
        self._error_tail = (self._error_tail + lines)[-3:]

    def _tick(self) -> None:
        elapsed = time.monotonic() - self.started_at
        budget = self.minutes * 60
        self.progress.emit(min(elapsed / budget, 0.99), max(budget - elapsed, 0.0), self.last_line)

    def _done(self, code: int, status) -> None:
        self._timer.stop()
        ok = code == 0 and not self.cancelled and (self.out / "best.safetensors").is_file()
        why = "cancelled" if self.cancelled else " ".join(self._error_tail[-1:]) or f"exit {code}"
        self.finished.emit(ok, str(self.out) if ok else why)


def personal_summary(folder: Path) -> str:
    return (f"A personal model, taught on the colour photos in {folder.name} on {date.today().isoformat()}: "
            f"the colours of your own family's clothes, houses and places.")


class TeachDialog(QDialog):
    """Choose a folder, see what it holds and how long it takes, run, follow, cancel, and see the result."""

    model_ready = Signal(Path)  # the personal model's best.safetensors, once it is done

    def __init__(self, init_model: Path, runs_dir: Path, parent=None, extra_args: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Teach it your colour photos")
        self.init_model, self.runs_dir, self.extra_args = init_model, runs_dir, extra_args or []
        self.folder: Path | None = None
        self.run: FinetuneRun | None = None
        self._pool = QThreadPool(self)
        intro = QLabel("Colour photos of the same people, houses and places as your black-and-white ones (the "
                       "1970s prints, the first digital camera) teach the model their real colours. Your photos "
                       "are only read; the personal model is saved in the app's own folder.")
        intro.setWordWrap(True)
        self.choose_button = QPushButton("Choose a folder of colour photos…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.found_label = QLabel("")
        self.found_label.setWordWrap(True)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(1, 240)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("How long it may learn. It stops earlier when the photos it keeps aside stop "
                                "getting better. A graphics card (GPU) makes each minute count for much more.")
        self.start_button = QPushButton("Start")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.result = QLabel()
        self.result.setAlignment(Qt.AlignmentFlag.AlignCenter)
        result_scroll = QScrollArea()
        result_scroll.setWidget(self.result)
        result_scroll.setWidgetResizable(True)
        result_scroll.setMinimumHeight(160)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(QLabel("Time:"))
        row.addWidget(self.minutes)
        row.addStretch(1)
        row.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        for w in (intro, self.choose_button, self.found_label):
            layout.addWidget(w)
        layout.addLayout(row)
        for w in (self.progress, self.status, result_scroll, self.buttons):
            layout.addWidget(w)
        self.resize(640, 520)

    # -- choosing ------------------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder of colour photos")
        if folder:
            self.set_folder(Path(folder))

    def set_folder(self, folder: Path) -> None:
        self.folder = folder
        self.start_button.setEnabled(False)
        self.found_label.setText(f"Looking at the photos in {folder}…")
        worker = PhotoCountWorker(folder)
        worker.signals.counted.connect(self._counted)
        self._worker = worker  # keeps its signals alive until delivered
        self._pool.start(worker)

    def _counted(self, usable: int, skipped: dict) -> None:
        left_out = ", ".join(f"{n} {why}" for why, n in skipped.items())
        text = f"{usable} usable colour photo{'s' if usable != 1 else ''} in {self.folder}"
        text += f" ({left_out}: left out)." if left_out else "."
        if usable < MIN_PHOTOS:
            text += f" A personal model needs at least {MIN_PHOTOS}: add more colour photos to the folder."
        else:
            text += (f" Teaching takes about {self.minutes.value():g} minutes (less if it stops improving); "
                     "the window stays usable meanwhile.")
        self.found_label.setText(text)
        self.usable = usable
        self.start_button.setEnabled(usable >= MIN_PHOTOS)

    # -- running -------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.folder is None or self.run is not None:
            return
        out = self.runs_dir / f"{self.folder.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.run = FinetuneRun(self.folder, self.init_model, out, self.minutes.value(),
                               personal_summary(self.folder), self.extra_args, self)
        self.run.progress.connect(self._progress)
        self.run.finished.connect(self._finished)
        self.run.start()
        self.choose_button.setEnabled(False)
        self.start_button.setEnabled(False)
        self.minutes.setEnabled(False)
        self.status.setText("Starting…")

    def _progress(self, fraction: float, seconds_left: float, line: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(f"{eta_text(seconds_left)}" + (f" — {line}" if line else ""))

    def _finished(self, ok: bool, detail: str) -> None:
        self.progress.setValue(1000 if ok else self.progress.value())
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        if not ok:
            self.status.setText("Stopped: nothing was added." if detail == "cancelled"
                                else f"The teaching stopped: {detail}")
            self.run = None
            return
        run_dir = Path(detail)
        self.status.setText("Done. The personal model is in the model picker and chosen. Below: photos it kept "
                            "aside, as rows of black and white, the starting model, your personal model, "
                            "and their real colour.")
        sheet = run_dir / "holdout.png"
        if sheet.is_file():
            self.result.setPixmap(QPixmap(str(sheet)))
        self.model_ready.emit(run_dir / "best.safetensors")

    def reject(self) -> None:
        """Cancel, Esc and the window's close button: stop a running fine-tune (the dialog stays to say so);
        otherwise close."""
        if self.run is not None and self.run.running():
            self.run.cancel()
        else:
            super().reject()

"""The README's picture of the app: the bundled samples colorized with the default model, one photo with hints.

    .venv/bin/python scripts/app_screenshot.py docs/screenshot.png

Runs the real window (offscreen unless a display is set), with settings and output in a temporary folder, so
nothing of the user's own app state is read or changed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.hints import load_hints_file  # noqa: E402

SAMPLES = ROOT / "resources" / "samples"
SHOWN = "keller_chaplin_1919.jpg"
HINTS = ROOT / "docs" / "hints.json"  # the hints of the README's hints picture (scripts/hints_picture.py)


def wait_for(signal, seconds: float = 300) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main(out: Path) -> None:
    app = QApplication([])
    from desktop.widgets import SPLIT
    from desktop.window import MainWindow
    from desktop.workers import Engine

    with tempfile.TemporaryDirectory() as tmp:
        w = MainWindow(settings=QSettings(str(Path(tmp) / "app.ini"), QSettings.Format.IniFormat),
                       engine=Engine("cpu"))
        w.resize(1280, 820)
        w.show()
        w.set_output_dir(Path(tmp) / "Shoebox (colorized)")
        w.add_paths([SAMPLES])
        wait_for(w.photos_listed)
        w.start_engine()
        wait_for(w.engine_ready)
        w.set_hints(SAMPLES / SHOWN, load_hints_file(HINTS)[SHOWN])
        w.colorize_all()
        wait_for(w.batch_finished)
        w.photo_list.setCurrentRow(w.photos().index(str(SAMPLES / SHOWN)))
        wait_for(w.preview_ready)
        w.set_view_mode(SPLIT)  # one large picture, original left of the line, colour right: a wide photo fills it
        for _ in range(20):
            app.processEvents()
        w.grab().save(str(out))
        print(f"wrote {out}")
        w.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""`shoebox-colorizer [PHOTOS_OR_FOLDERS...]`: start the desktop app.

The window is shown first; torch, fastai and the model load in the background afterwards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from PySide6.QtCore import QTimer, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop import APPLICATION, ORGANIZATION

if TYPE_CHECKING:
    from desktop.window import MainWindow


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="shoebox-colorizer", description="Colorize black-and-white photos.")
    p.add_argument("paths", nargs="*", type=Path, help="photos or folders to open at start")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where to colorize (default: the GPU when there is one)")
    return p.parse_args(argv)


def start(argv: Sequence[str]) -> MainWindow:
    """Create the application (if needed) and show the window; the engine starts loading just after."""
    args = parse_args(argv)
    app = QApplication.instance()
    if app is None:
        # fractional scale factors (e.g. 150 %) used as they are, not rounded: crisp text and images on high-DPI
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)

    from desktop.window import MainWindow
    from desktop.workers import Engine

    window = MainWindow(engine=Engine(args.device))
    window.show()
    if args.paths:
        window.add_paths(args.paths)
    # a moment for the first paint before the heavy imports start competing for the CPU
    QTimer.singleShot(200, window.start_engine)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    """The shoebox-colorizer command: start the app; returns its exit code."""
    window = start(sys.argv[1:] if argv is None else argv)  # noqa: F841 (kept alive while the app runs)
    return QApplication.instance().exec()


if __name__ == "__main__":
    sys.exit(main())

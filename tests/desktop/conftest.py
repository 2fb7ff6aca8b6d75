import pytest
from PySide6.QtCore import QSettings

from desktop.window import MainWindow
from desktop.workers import Engine

ENGINE_TIMEOUT_MS = 120_000  # the first window in a session imports torch and fastai


@pytest.fixture
def settings_path(tmp_path):
    """Settings in a temporary INI file: tests never touch the person's real settings."""
    return tmp_path / "settings" / "shoebox.ini"


@pytest.fixture
def make_window(qtbot, settings_path):
    """A shown window; model: a checkpoint to add and select; start: load the engine; render_size: None keeps
    the remembered one."""

    def make(model=None, start=False, render_size=64):
        w = MainWindow(settings=QSettings(str(settings_path), QSettings.Format.IniFormat), engine=Engine("cpu"))
        qtbot.addWidget(w)
        w.show()
        if model is not None:
            w.add_model(model)
        if render_size:
            w.set_render_size(render_size)
        if start:
            with qtbot.waitSignal(w.engine_ready, timeout=ENGINE_TIMEOUT_MS):
                w.start_engine()
        return w

    return make

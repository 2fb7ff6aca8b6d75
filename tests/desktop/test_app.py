from PySide6.QtCore import QSettings

from desktop import app
from tests.helpers import random_gray


def test_start_shows_the_window_with_the_photos_given_on_the_command_line(qtbot, tmp_path):
    # the app's settings go to a temporary folder, never the person's own
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    (tmp_path / "in").mkdir()
    random_gray(40, 30).save(tmp_path / "in" / "a.png")
    w = app.start([str(tmp_path / "in"), "--device", "cpu"])
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.engine_ready, timeout=120_000):
        pass  # start() loads the engine by itself, just after the window shows
    qtbot.waitUntil(lambda: w.photos() == [str(tmp_path / "in" / "a.png")], timeout=10_000)
    assert w.isVisible() and w.windowTitle() == "Shoebox Colorizer"
    assert w.settings.fileName().startswith(str(tmp_path / "config"))
    w.close()

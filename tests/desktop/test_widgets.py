from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from desktop.widgets import ACTUAL, FIT, SIDE_BY_SIDE, SPLIT, CompareView


def image(w, h):
    im = QImage(w, h, QImage.Format.Format_RGB888)
    im.fill(0)
    return im


def test_fit_shows_the_whole_image_and_100_percent_one_image_pixel_per_screen_pixel(qtbot):
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.set_images(image(2000, 1000), image(2000, 1000))
    for mode in (SIDE_BY_SIDE, SPLIT):
        view.set_mode(mode)
        view.set_zoom(FIT)
        r = view.image_rect()
        assert r.width() <= view.width() and r.width() / r.height() == 2.0
        view.set_zoom(ACTUAL)
        assert view.image_rect().width() * view.devicePixelRatioF() == 2000


def test_the_split_divider_follows_a_drag(qtbot):
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.set_images(image(300, 200), image(300, 200))
    view.set_mode(SPLIT)
    r = view.image_rect()
    y = int(r.center().y())
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(int(r.center().x()), y))
    qtbot.mouseMove(view, QPoint(int(r.left() + r.width() * 0.25), y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(int(r.left() + r.width() * 0.25), y))
    assert abs(view.divider - 0.25) < 0.02

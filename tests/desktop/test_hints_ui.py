"""Colour hints in the app: click to place, drag to move, right-click or Delete to remove, saved per photo
outside the originals, used by Colorize all, exported for colorize-folder; the warmth slider."""

import json
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from core.hints import Hint
from core.lab import rgb_to_lab
from tests.desktop.test_window import BATCH_TIMEOUT_MS, add_and_wait, run_batch
from tests.helpers import snapshot

BLUE = "#2a4d8f"


def _two_region_photos(folder: Path, n: int = 2) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    a = np.full((120, 160), 60, np.uint8)
    a[:, 80:] = 200
    paths = []
    for i in range(n):
        p = folder / f"photo_{i}.png"
        Image.fromarray(a).save(p)
        paths.append(p)
    return paths


def _ready_window(qtbot, make_window, tiny_checkpoint, folder):
    w = make_window(model=tiny_checkpoint)
    add_and_wait(qtbot, w, [folder])
    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS):
        w.start_engine()
    return w


def _click(qtbot, w, fx, fy, button=Qt.MouseButton.LeftButton):
    r = w.viewer.colour_rect()
    pos = QPoint(int(r.left() + fx * r.width()), int(r.top() + fy * r.height()))
    qtbot.mouseClick(w.viewer, button, pos=pos)
    return pos


def test_click_places_a_hint_drag_moves_it_and_right_click_or_delete_removes_it(qtbot, make_window, tmp_path,
                                                                                tiny_checkpoint):
    photos = _two_region_photos(tmp_path / "in")
    w = _ready_window(qtbot, make_window, tiny_checkpoint, tmp_path / "in")
    offered = []
    w.pick_colour = lambda suggestions, used: offered.append((suggestions, used)) or BLUE
    with qtbot.waitSignal(w.hints_changed, timeout=10_000):
        _click(qtbot, w, 0.25, 0.5)
    (hint,) = w.hints(photos[0])
    assert abs(hint.x - 40) <= 1 and abs(hint.y - 60) <= 1 and hint.color == BLUE  # in the photo's own pixels
    assert offered[0][0] and offered[0][0][0].startswith("#")  # the model's own colour there comes first
    qtbot.waitUntil(lambda: len(w.viewer.hints) == 1, timeout=10_000)
    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS):
        pass
    after = w.viewer._after.toImage()
    px = after.pixelColor(int(after.width() * 0.25), int(after.height() * 0.5))
    assert rgb_to_lab(np.array([[[px.red(), px.green(), px.blue()]]], np.uint8))[0, 0, 2] < -15  # blue now
    assert "1 hint" in w.photo_list.item(0).text()
    # drag it elsewhere in the dark region
    r = w.viewer.colour_rect()
    p0 = QPoint(int(r.left() + 0.25 * r.width()), int(r.top() + 0.5 * r.height()))
    p1 = QPoint(int(r.left() + 0.3 * r.width()), int(r.top() + 0.2 * r.height()))
    with qtbot.waitSignal(w.hints_changed, timeout=10_000):
        qtbot.mousePress(w.viewer, Qt.MouseButton.LeftButton, pos=p0)
        qtbot.mouseMove(w.viewer, p1)
        qtbot.mouseRelease(w.viewer, Qt.MouseButton.LeftButton, pos=p1)
    (moved,) = w.hints(photos[0])
    assert abs(moved.x - 48) <= 1 and abs(moved.y - 24) <= 1 and moved.color == BLUE
    # a second hint, then right-click removes the first and Delete the second
    w.pick_colour = lambda suggestions, used: offered.append((suggestions, used)) or "#aa3322"
    with qtbot.waitSignal(w.hints_changed, timeout=10_000):
        _click(qtbot, w, 0.75, 0.5)
    assert offered[-1][1] == [BLUE]  # colours already used in this photo are offered too
    assert len(w.hints(photos[0])) == 2
    with qtbot.waitSignal(w.hints_changed, timeout=10_000):
        qtbot.mouseClick(w.viewer, Qt.MouseButton.RightButton, pos=p1)
    assert [h.color for h in w.hints(photos[0])] == ["#aa3322"]
    r = w.viewer.colour_rect()
    p2 = QPoint(int(r.left() + 0.75 * r.width()), int(r.top() + 0.5 * r.height()))
    qtbot.mousePress(w.viewer, Qt.MouseButton.LeftButton, pos=p2)
    qtbot.mouseRelease(w.viewer, Qt.MouseButton.LeftButton, pos=p2)
    with qtbot.waitSignal(w.hints_changed, timeout=10_000):
        qtbot.keyClick(w.viewer, Qt.Key.Key_Delete)
    assert w.hints(photos[0]) == []
    w.close()


def test_hints_survive_a_restart_stay_out_of_the_photo_folder_and_a_batch_uses_them(qtbot, make_window, tmp_path,
                                                                                  tiny_checkpoint):
    photos = _two_region_photos(tmp_path / "in")
    before = snapshot(tmp_path / "in")
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    w.set_hints(photos[1], [Hint(40, 60, BLUE)])
    w.close()
    w2 = make_window(model=tiny_checkpoint, start=True)  # a restart
    add_and_wait(qtbot, w2, [tmp_path / "in"])
    assert w2.hints(photos[1]) == [Hint(40, 60, BLUE)]
    run_batch(qtbot, w2)
    out = tmp_path / "in (colorized)"
    lab_hinted = rgb_to_lab(np.asarray(Image.open(out / "photo_1.png").convert("RGB"))[40:80, 10:70])
    lab_plain = rgb_to_lab(np.asarray(Image.open(out / "photo_0.png").convert("RGB"))[40:80, 10:70])
    assert lab_hinted[..., 2].mean() < -15 and abs(lab_plain[..., 2].mean() - lab_hinted[..., 2].mean()) > 10
    assert snapshot(tmp_path / "in") == before  # nothing written beside or into the originals
    # a hint changed after the batch: that photo (only) is colorized again by the next one
    w2.set_hints(photos[1], [Hint(40, 60, "#aa3322")])
    outcome = run_batch(qtbot, w2)
    assert [Path(p).name for p in outcome.done] == ["photo_1.png"] and len(outcome.skipped) == 1
    dest = tmp_path / "exported.json"
    assert w2.hint_store.export(w2._roots, w2.photos(), dest) == 1
    assert json.loads(dest.read_text()) == {"photo_1.png": [{"x": 40, "y": 60, "color": "#aa3322"}]}


def test_the_warmth_slider_warms_the_next_photo_and_double_click_resets_it(qtbot, make_window, tmp_path,
                                                                         tiny_checkpoint):
    _two_region_photos(tmp_path / "in", 1)
    w = _ready_window(qtbot, make_window, tiny_checkpoint, tmp_path / "in")
    def b_star():
        px = w.viewer._after.toImage().pixelColor(10, 10)
        return rgb_to_lab(np.array([[[px.red(), px.green(), px.blue()]]], np.uint8))[0, 0, 2]

    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS):
        w.set_warmth(1.0)
    assert w.engine.settings.warmth == 1.0
    warm = b_star()
    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS):
        w.set_warmth(-1.0)
    assert warm > b_star() + 15
    qtbot.mouseDClick(w.warmth, Qt.MouseButton.LeftButton)
    assert w.warmth_value() == 0.0 and w.engine.settings.warmth == 0.0

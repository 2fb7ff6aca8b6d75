"""The desktop app's findings from a new user's session (issue 13), one scenario each, through the real window."""

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QAbstractButton, QCheckBox, QComboBox, QLabel, QLineEdit, QMessageBox, QSlider,
                               QTextBrowser)

from core.checkpoint import load_checkpoint, save_checkpoint
from core.output_map import MAP_FILE
from desktop.widgets import ACTUAL, FIT
from desktop.window import DONE, FAILED, WAITING
from tests.desktop.test_window import BATCH_TIMEOUT_MS, add_and_wait, drop, make_photos, run_batch


def _outputs(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MAP_FILE)


# 1. outputs never move ------------------------------------------------------------------------------------------

def test_adding_a_folder_after_a_finished_batch_redoes_nothing_and_makes_no_new_subfolder(qtbot, make_window,
                                                                                           tmp_path, tiny_checkpoint):
    make_photos(tmp_path / "bw_historic", 3)
    make_photos(tmp_path / "more", 2)
    w = make_window(model=tiny_checkpoint, start=True)
    out = tmp_path / "run2"
    w.set_output_dir(out)
    add_and_wait(qtbot, w, [tmp_path / "bw_historic"])
    first = run_batch(qtbot, w)
    assert len(first.done) == 3 and _outputs(out) == ["photo_00.png", "photo_01.png", "photo_02.png"]
    add_and_wait(qtbot, w, [tmp_path / "more"])
    second = run_batch(qtbot, w)
    assert len(second.done) == 2 and len(second.skipped) == 3  # the 3 finished photos are not redone
    assert _outputs(out) == ["more/photo_00.png", "more/photo_01.png", "photo_00.png", "photo_01.png",
                             "photo_02.png"]  # no bw_historic/ subfolder appeared


# 1 and 3. the list follows the output folder; counts and states stay true ---------------------------------------

def test_states_follow_the_output_folder_and_survive_a_relaunch(qtbot, make_window, tmp_path, tiny_checkpoint):
    photos = make_photos(tmp_path / "in", 3)
    w = make_window(model=tiny_checkpoint, start=True)
    run1 = tmp_path / "run1"
    w.set_output_dir(run1)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    run_batch(qtbot, w)
    assert all(w.photo_state(p)[0] == DONE for p in photos)
    assert "Saved in" in w.summary_label.text()
    with qtbot.waitSignal(w.outputs_checked, timeout=10_000):
        w.set_output_dir(tmp_path / "empty")
    assert all(w.photo_state(p)[0] == WAITING for p in photos)
    assert w.summary_label.text() == "" and "0 colorized" in w.list_count.full_text()
    with qtbot.waitSignal(w.outputs_checked, timeout=10_000):
        w.set_output_dir(run1)
    assert all(w.photo_state(p)[0] == DONE for p in photos)
    w.close()
    w2 = make_window(model=tiny_checkpoint)  # a relaunch: the last list is offered, its states are true
    assert w2.reopen_button.isVisibleTo(w2)
    with qtbot.waitSignal(w2.outputs_checked, timeout=10_000):
        w2.reopen_last_list()
    assert all(w2.photo_state(p)[0] == DONE for p in photos)


def test_the_progress_counts_every_listed_photo_and_failed_photos_stay_failed_until_tried(
        qtbot, make_window, tmp_path, tiny_checkpoint):
    make_photos(tmp_path / "a", 3)
    broken = tmp_path / "a" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "a"])
    qtbot.waitUntil(lambda: w.photo_state(broken)[0] == FAILED, timeout=10_000)
    run_batch(qtbot, w)
    make_photos(tmp_path / "b", 2)
    add_and_wait(qtbot, w, [tmp_path / "b"])
    planned = []
    with qtbot.waitSignal(w.batch_finished, timeout=BATCH_TIMEOUT_MS):
        w.colorize_all()
        planned.append(w.photo_state(broken)[0])
    assert planned == [FAILED]  # not turned back to "waiting" before it is tried
    # every listed photo is counted (4 + 2, the broken one too): 5 of 6 are colorized in the output folder
    assert w.progress.maximum() == 6 and w.progress.value() == 5 and "5 of 6" in w.progress.text()


# 4. remove one photo --------------------------------------------------------------------------------------------

def test_delete_removes_the_selected_photo_and_the_batch_leaves_it_out(qtbot, make_window, tmp_path,
                                                                        tiny_checkpoint):
    photos = make_photos(tmp_path / "in", 3)
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    w.photo_list.setCurrentRow(1)
    w.photo_list.setFocus()
    qtbot.keyClick(w.photo_list, Qt.Key.Key_Delete)
    assert w.photos() == [str(photos[0]), str(photos[2])]
    outcome = run_batch(qtbot, w)
    assert sorted(Path(p).name for p in outcome.done) == ["photo_00.png", "photo_02.png"]
    assert photos[1].exists()  # the file itself is never touched


def _colorized(qtbot, make_window, model, folder, n):
    """A window whose list holds n new photos of folder, all colorized by one batch."""
    make_photos(folder, n)
    w = make_window(model=model, start=True)
    add_and_wait(qtbot, w, [folder])
    run_batch(qtbot, w)
    return w


def test_the_context_menu_offers_remove_show_original_and_open_output(qtbot, make_window, tmp_path,
                                                                       tiny_checkpoint, monkeypatch):
    w = _colorized(qtbot, make_window, tiny_checkpoint, tmp_path / "in", 2)
    rect = w.photo_list.visualItemRect(w.photo_list.item(0))
    w._photo_menu(rect.center())
    texts = [a.text() for a in w.photo_menu.actions() if a.text()]
    assert texts == ["&Remove from list", "Show original in folder", "Open colorized photo"]
    assert w.act_open_photo_output.isEnabled()
    opened = []
    monkeypatch.setattr("desktop.window.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    w.show_original()
    w.open_photo_output()
    assert opened == [str(tmp_path / "in"), str(tmp_path / "in (colorized)" / "photo_00.png")]


# 6. no file manager ---------------------------------------------------------------------------------------------

def test_open_output_folder_without_a_file_manager_shows_the_path_to_copy(qtbot, make_window, tmp_path,
                                                                          tiny_checkpoint, monkeypatch):
    w = _colorized(qtbot, make_window, tiny_checkpoint, tmp_path / "in", 1)
    monkeypatch.setattr("desktop.window.QDesktopServices.openUrl", lambda url: False)
    w.open_output_button.click()
    box = w.open_failed_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.informativeText() == str(tmp_path / "in (colorized)")
    assert any(lbl.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
               for lbl in box.findChildren(QLabel) if lbl.text() == box.informativeText())
    assert w.act_open_output.text() == w.open_output_button.text() == "Open output folder"  # one name


# 7 and 8. small windows, clipped text ---------------------------------------------------------------------------

def test_at_800_by_600_every_control_is_visible_and_usable_and_recovers_when_the_window_grows(qtbot, make_window,
                                                                                           tmp_path):
    make_photos(tmp_path / "in", 3)
    w = make_window()
    add_and_wait(qtbot, w, [tmp_path / "in"])
    w.resize(800, 600)
    qtbot.waitUntil(lambda: (w.width(), w.height()) == (800, 600), timeout=5_000)
    controls = [c for t in (QAbstractButton, QComboBox, QSlider, QLineEdit, QCheckBox) for c in w.findChildren(t)
                if c.isVisibleTo(w) and c.window() is w and c.parent() is not w.menuBar()]
    assert len(controls) >= 12
    for c in controls:
        assert c.width() >= min(c.minimumSizeHint().width(), 60) and c.height() >= c.minimumSizeHint().height() - 2, c
        shown = c.visibleRegion().boundingRect()
        assert shown.width() >= c.width() - 1, f"{c.objectName() or c.text() if hasattr(c, 'text') else c} is cut off"
    assert w.viewer.height() >= 300 and w.photo_list.width() >= 190
    panel = w.panel_scroll  # the control panel: as wide as its controls need, nothing cut off at its right edge
    assert panel.widget().minimumSizeHint().width() <= panel.viewport().width()
    w.splitter.setSizes([120, 560, 120])
    w.resize(1280, 860)
    qtbot.waitUntil(lambda: w.width() == 800 or w.photo_list.width() >= 230, timeout=5_000)
    if w.width() > 800:  # the offscreen screen may be only 800 px wide: then there is nothing to grow into
        assert w.photo_list.width() >= 230


def test_long_names_and_reasons_are_cut_with_an_ellipsis_rows_keep_their_height_and_no_sideways_scrollbar(
        qtbot, make_window, tmp_path):
    make_photos(tmp_path / "in", 2)
    w = make_window()
    add_and_wait(qtbot, w, [tmp_path / "in"])
    height = w.photo_list.visualItemRect(w.photo_list.item(0)).height()
    long_dir = tmp_path / ("a folder with a very long name, " * 4).strip()
    make_photos(long_dir, 1, suffix=".png")
    (long_dir / ("an unreadable photo with a very long name " * 3 + ".jpg")).write_bytes(b"not a photo at all")
    add_and_wait(qtbot, w, [long_dir])
    qtbot.wait(200)
    assert {w.photo_list.visualItemRect(w.photo_list.item(i)).height() for i in range(w.photo_list.count())} == {height}
    assert not w.photo_list.horizontalScrollBar().isVisible()
    assert w.photo_list.visualItemRect(w.photo_list.item(3)).width() <= w.photo_list.viewport().width()
    w.preview_info.setText("Preview 1600×1200, colorized in 0.8 s — and a lot more words than fit here " * 3)
    assert w.preview_info.text().endswith("…") and w.preview_info.width() <= w.width()


# 9. time left ---------------------------------------------------------------------------------------------------

def test_time_left_comes_from_the_measured_time_per_photo(make_window, monkeypatch):
    w = make_window()
    clock = [1000.0]
    monkeypatch.setattr("desktop.window.time.monotonic", lambda: clock[0])
    w._batch_started = w._last_result = clock[0]
    w._per_photo = None
    w._batch_counts = {"processed": 0, "skipped": 0, "total": 30, "todo": 30}
    for i in range(14):  # 5 s a photo
        clock[0] += 5.0
        w._on_batch_result(f"/p/{i}.png", "done", f"/o/{i}.png")
    assert w.eta_label.full_text() == "14 of 30 — about 1 min left"  # 16 photos x 5 s = 80 s
    for i in range(14, 20):
        clock[0] += 20.0  # the pace slows down: the estimate follows
        w._on_batch_result(f"/p/{i}.png", "done", f"/o/{i}.png")
    assert w.eta_label.full_text() == "20 of 30 — about 3 min left"


# 2. models in plain words ---------------------------------------------------------------------------------------

def test_models_show_a_plain_summary_and_the_full_card_behind_details(qtbot, make_window, tmp_path, tiny_checkpoint):
    ckpt = load_checkpoint(tiny_checkpoint)
    described = tmp_path / "described.safetensors"
    save_checkpoint(described, ckpt.model, ckpt.config, {"summary": "Soft, safe colour. Watch out for blue coats.",
                                                         "epochs": 3})
    w = make_window(model=described)
    assert w.model_summary.text() == "Soft, safe colour. Watch out for blue coats."
    w.model_details.click()
    card_view = w.details_dialog.findChild(QTextBrowser)
    assert "epochs: 3" in card_view.toPlainText()
    w.add_model(tiny_checkpoint)
    assert w.model_summary.text() == "No description."


def test_every_bundled_model_has_a_summary_and_a_before_after_strip():
    from core import resources
    from desktop.model_cards import model_strip, model_summary, read_colorizer_card

    for path in resources.bundled_checkpoints():
        summary = model_summary(read_colorizer_card(path))
        assert summary != "No description." and len(summary) < 160, path  # short: it must fit the 800x600 panel
        assert model_strip(path) is not None, path


# polish ---------------------------------------------------------------------------------------------------------

def test_double_click_resets_the_saturation(qtbot, make_window):
    w = make_window()
    w.set_saturation(1.6)
    qtbot.mouseDClick(w.saturation, Qt.MouseButton.LeftButton)
    assert w.saturation_value() == 1.0


def test_the_wheel_zooms_to_100_percent_at_the_pointer_and_back(qtbot, make_window, tmp_path):
    from PySide6.QtGui import QImage

    w = make_window()
    img = QImage(2000, 1500, QImage.Format.Format_RGB888)
    img.fill(Qt.GlobalColor.gray)
    w.viewer.set_images(img, img)

    def wheel(dy):
        pos = QPointF(w.viewer.width() * 0.25, w.viewer.height() / 2)
        ev = QWheelEvent(pos, w.viewer.mapToGlobal(pos), QPoint(0, 0), QPoint(0, dy), Qt.MouseButton.NoButton,
                         Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        w.viewer.wheelEvent(ev)

    wheel(120)
    assert w.viewer.zoom == ACTUAL and w.act_actual.isChecked()
    wheel(-120)
    assert w.viewer.zoom == FIT and w.act_fit.isChecked()


def test_a_drag_highlights_the_list_and_photos_already_listed_are_noted(qtbot, make_window, tmp_path):
    photos = make_photos(tmp_path / "in", 2)
    w = make_window()
    add_and_wait(qtbot, w, [tmp_path / "in"])
    assert drop(w, [photos[0]])  # highlighted while the drag is over the window
    assert not w.drop_highlighted()  # and not after the drop
    assert "already" in w.statusBar().currentMessage()


def test_help_about_names_the_version_the_models_and_where_settings_live(qtbot, make_window, monkeypatch):
    w = make_window()
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    w.act_about.trigger()
    assert w.settings.fileName() in shown[0] and "Models" in shown[0]

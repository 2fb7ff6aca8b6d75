import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core.images import PROVENANCE
from desktop.widgets import SPLIT
from core.output_map import MAP_FILE
from desktop.window import FAILED, DONE, WAITING, default_output_dir
from tests.helpers import random_gray, random_rgb

BATCH_TIMEOUT_MS = 60_000


def make_photos(folder: Path, n: int, suffix: str = ".png", size=(40, 30)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"photo_{i:02d}{suffix}"
        random_gray(*size, seed=i).save(p)
        paths.append(p)
    return paths


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def drop(window, paths) -> bool:
    """A real drag-enter + drop of file URLs onto the window; whether the window showed the drop highlight
    between the two."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    highlighted = window.drop_highlighted()
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    assert event.isAccepted()
    return highlighted


def add_and_wait(qtbot, window, paths) -> None:
    with qtbot.waitSignal(window.photos_listed, timeout=10_000):
        window.add_paths(paths)


def run_batch(qtbot, window):
    with qtbot.waitSignal(window.batch_finished, timeout=BATCH_TIMEOUT_MS) as blocker:
        window.colorize_all()
    return blocker.args[0]


def test_the_window_appears_before_torch_is_imported_and_the_engine_loads_behind_it(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys, time
        from PySide6.QtCore import QSettings
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from desktop.window import MainWindow
        w = MainWindow(settings=QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat))
        w.show()
        assert QTest.qWaitForWindowExposed(w)
        heavy = [m for m in ("torch", "fastai", "core.colorizer") if m in sys.modules]
        assert not heavy, f"imported before the window showed: {{heavy}}"
        assert "loading" in w.device_label.text()
        ready = []
        w.engine_ready.connect(ready.append)
        w.start_engine()
        assert "torch" not in sys.modules or not ready  # the load runs in the background
        deadline = time.monotonic() + 120
        while not ready and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)  # QTest.qWait would hold the GIL the loader needs
        assert ready and "torch" in sys.modules, ready
        print("DEVICE", w.device_label.text(), flush=True)
        w.close()
        os._exit(0)  # skip torch's noisy interpreter teardown
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], env=env,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    device = out.stdout.split("DEVICE", 1)[1].strip()
    import torch

    assert device == (torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU")


def test_dropping_a_folder_lists_its_photos_recursively_and_an_unsupported_file_with_the_reason(
        qtbot, make_window, tmp_path):
    photos = make_photos(tmp_path / "scans", 3, ".jpg") + make_photos(tmp_path / "scans" / "1950s", 1, ".png")
    (tmp_path / "scans" / "notes.txt").write_text("not a photo")  # inside a folder: simply not a photo
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4")
    w = make_window()
    assert w.list_stack.currentIndex() == 0  # the drop hint
    with qtbot.waitSignal(w.photos_listed, timeout=10_000):
        drop(w, [tmp_path / "scans", letter])
    assert sorted(w.photos()) == sorted(map(str, photos + [letter]))
    assert all(w.photo_state(p)[0] == WAITING for p in photos)
    state, reason = w.photo_state(letter)
    assert state == FAILED and "not a photo" in reason
    assert w.list_stack.currentIndex() == 1
    assert w.recent_folders()[0] == str(tmp_path / "scans")
    assert w.output_dir() == tmp_path / "scans (colorized)"  # a new folder beside the input
    w.close()


def test_preview_shows_before_and_after_and_saturation_reaches_the_colour(qtbot, make_window, tmp_path,
                                                                          tiny_checkpoint):
    make_photos(tmp_path / "in", 2)
    w = make_window(model=tiny_checkpoint)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS):
        w.start_engine()
    assert w.viewer.has_before() and w.viewer.has_after()
    assert w.device_label.text() == "CPU"
    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS):
        w.set_saturation(0.0)
    after = w.viewer._after.toImage().convertToFormat(w.viewer._after.toImage().Format.Format_RGB888)
    a = np.frombuffer(after.constBits(), np.uint8).reshape(after.height(), after.bytesPerLine())
    rgb = a[:, :after.width() * 3].reshape(after.height(), after.width(), 3).astype(int)
    assert np.abs(rgb[..., 0] - rgb[..., 1]).max() <= 2  # no colour left at 0 % saturation
    # moving quickly through the list: the preview that ends up shown is the selected photo's
    with qtbot.waitSignal(w.preview_ready, timeout=BATCH_TIMEOUT_MS,
                          check_params_cb=lambda path: path == w.photos()[1]):
        for row in (1, 0, 1, 0, 1):
            w.photo_list.setCurrentRow(row)
    w.set_view_mode(SPLIT)
    qtbot.mousePress(w.viewer, Qt.MouseButton.LeftButton, pos=QPoint(w.viewer.width() // 4, w.viewer.height() // 2))
    assert w.viewer.divider < 0.5
    w.close()


def test_a_batch_writes_every_output_and_never_touches_the_originals(qtbot, make_window, tmp_path,
                                                                     tiny_checkpoint):
    photos = make_photos(tmp_path / "in", 3) + make_photos(tmp_path / "in" / "sub", 1, ".jpg")
    before = {p: digest(p) for p in photos}
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    outcome = run_batch(qtbot, w)
    out = tmp_path / "in (colorized)"
    assert outcome.out_dir == out and not outcome.failed and not outcome.cancelled
    assert sorted(outcome.done) == sorted(map(str, photos))
    for p in photos:
        dst = out / p.relative_to(tmp_path / "in")
        with Image.open(dst) as im:
            assert im.mode == "RGB" and im.size == (40, 30)
            assert im.getexif().get(0x0131) == PROVENANCE
        assert w.photo_state(p)[0] == DONE
        assert digest(p) == before[p]
    assert w.progress.value() == w.progress.maximum() == 4
    assert "4 colorized" in w.summary_label.text()
    assert w.open_output_button.isEnabled()
    # a second run skips what exists: nothing is overwritten unless asked for
    outcome = run_batch(qtbot, w)
    assert len(outcome.skipped) == 4 and not outcome.done
    first = photos[0].name
    (out / first).write_bytes(b"stale")
    w.redo_check.setChecked(True)
    outcome = run_batch(qtbot, w)
    assert len(outcome.done) == 4 and not outcome.skipped
    with Image.open(out / first) as im:
        assert im.size == (40, 30)
    # the output format picker: PNG copies beside the JPEG ones
    w.set_output_format("png")
    outcome = run_batch(qtbot, w)
    assert len(outcome.done) == 4
    assert Image.open(out / "sub" / (photos[-1].stem + ".png")).format == "PNG"
    for p in photos:
        assert digest(p) == before[p]
    w.close()


def test_cancel_stops_after_the_current_photo_and_leaves_no_partial_file(qtbot, make_window, tmp_path,
                                                                         tiny_checkpoint):
    make_photos(tmp_path / "in", 40, size=(160, 120))
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    w.photo_finished.connect(lambda path, state: w.cancel_batch())
    outcome = run_batch(qtbot, w)
    assert outcome.cancelled
    assert 1 <= len(outcome.done) < 40
    out = tmp_path / "in (colorized)"
    written = sorted(p for p in out.iterdir() if p.name != MAP_FILE)  # MAP_FILE: where each folder goes
    assert [p.name for p in written] == sorted(Path(p).name for p in outcome.done)  # no .part, nothing else
    for p in written:
        with Image.open(p) as im:
            im.load()  # complete, decodable files
    states = [w.photo_state(p)[0] for p in w.photos()]
    assert states.count(DONE) == len(outcome.done) and states.count(WAITING) == 40 - len(outcome.done)
    assert "Cancelled" in w.summary_label.text()
    w.close()


def test_a_broken_file_is_listed_as_failed_while_the_rest_complete(qtbot, make_window, tmp_path,
                                                                   tiny_checkpoint):
    good = make_photos(tmp_path / "in", 3)
    broken = tmp_path / "in" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    qtbot.waitUntil(lambda: w.photo_state(broken)[0] == FAILED, timeout=10_000)  # found by the thumbnailer
    assert str(broken) in w.photo_state(broken)[1]
    outcome = run_batch(qtbot, w)
    assert sorted(outcome.done) == sorted(map(str, good))
    assert [src for src, _ in outcome.failed] == [str(broken)]
    assert w.photo_state(broken)[0] == FAILED and "broken.jpg" in outcome.failed[0][1]
    assert all(w.photo_state(p)[0] == DONE for p in good)
    assert "1 failed" in w.summary_label.text()
    w.failures_box.close()
    w.close()


def test_switching_models_changes_the_model_used_for_the_next_photo(qtbot, make_window, tmp_path,
                                                                    tiny_checkpoint):
    from core.checkpoint import save_checkpoint
    from core.colorizer import Colorizer
    from core.models import GeneratorConfig, build_model

    config = GeneratorConfig(img_size=64)
    other = save_checkpoint(tmp_path / "other.safetensors", build_model(config), config,
                            {"name": "Other model"}, half=True)
    (photo,) = make_photos(tmp_path / "in", 1)
    w = make_window(model=tiny_checkpoint)
    w.add_model(other)
    assert w.model_combo.currentText().startswith("Other model")
    w.select_model(tiny_checkpoint)
    with qtbot.waitSignal(w.engine_ready, timeout=BATCH_TIMEOUT_MS):
        w.start_engine()
    add_and_wait(qtbot, w, [photo])

    def expected(ckpt):
        return np.asarray(Colorizer(ckpt, device="cpu", render_size=64).colorize_file(photo))

    w.set_output_dir(tmp_path / "out_a")
    run_batch(qtbot, w)
    first = np.asarray(Image.open(tmp_path / "out_a" / photo.name))
    w.select_model(other)
    w.set_output_dir(tmp_path / "out_b")
    run_batch(qtbot, w)
    second = np.asarray(Image.open(tmp_path / "out_b" / photo.name))
    np.testing.assert_array_equal(first, expected(tiny_checkpoint))
    np.testing.assert_array_equal(second, expected(other))
    assert not np.array_equal(first, second)
    w.close()


def test_only_a_checkpoint_that_colorizes_can_be_added(make_window, tmp_path, tiny_checkpoint):
    from safetensors.numpy import save_file

    from core.checkpoint import FORMAT, FORMAT_VERSION, CheckpointError

    critic = tmp_path / "critic.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(critic),
              metadata={"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "patchgan", "card": "{}"})
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model")
    w = make_window(model=tiny_checkpoint)
    for bad in (critic, junk):
        with pytest.raises(CheckpointError):
            w.add_model(bad)
    assert critic not in w.models() and junk not in w.models() and w.current_model() == tiny_checkpoint
    w.close()


def test_settings_survive_a_restart_of_the_window(qtbot, make_window, tmp_path, tiny_checkpoint):
    make_photos(tmp_path / "in", 1)
    w = make_window(model=tiny_checkpoint)
    w.set_saturation(0.7)
    w.set_render_size(384)
    w.set_output_dir(tmp_path / "colour")
    w.set_view_mode(SPLIT)
    w.set_output_format("tiff")
    add_and_wait(qtbot, w, [tmp_path / "in"])
    w.resize(790, 520)  # inside the offscreen screen (800 x 600)
    size = (w.width(), w.height())
    assert size[1] == 520
    w.close()

    w2 = make_window(render_size=None)
    assert w2.current_model() == tiny_checkpoint
    assert w2.render_size() == 384
    assert w2.saturation_value() == pytest.approx(0.7)
    assert w2.output_dir() == tmp_path / "colour"
    assert w2.recent_folders() == [str(tmp_path / "in")]
    assert w2.viewer.mode == SPLIT
    assert w2.output_format() == "tiff" and not w2.redo_check.isChecked()
    assert (w2.width(), w2.height()) == size
    w2.close()


def test_without_any_model_the_picker_says_so_and_colorize_is_off(qtbot, make_window, tmp_path, monkeypatch):
    from core import resources

    monkeypatch.setattr(resources, "MODELS", tmp_path / "no-models")
    make_photos(tmp_path / "in", 1)
    w = make_window()
    add_and_wait(qtbot, w, [tmp_path / "in"])
    assert w.current_model() is None and "No model" in w.model_combo.currentText()
    with qtbot.waitSignal(w.engine_ready, timeout=BATCH_TIMEOUT_MS):
        w.start_engine()
    qtbot.waitUntil(lambda: w.viewer.has_before())
    assert "No model" in w.viewer._message and "add a model" in w.engine_label.text()
    assert not w.colorize_button.isEnabled()
    w.close()


def test_the_default_output_folder_is_always_new(tmp_path):
    (tmp_path / "Scans").mkdir()
    assert default_output_dir([tmp_path / "Scans"]) == tmp_path / "Scans (colorized)"
    (tmp_path / "Scans (colorized)").mkdir()
    assert default_output_dir([tmp_path / "Scans"]) == tmp_path / "Scans (colorized 2)"
    random_rgb(8, 8).save(tmp_path / "Scans" / "a.png")
    assert default_output_dir([tmp_path / "Scans" / "a.png"]) == tmp_path / "Scans (colorized 2)"


def test_closing_during_a_batch_says_it_finishes_the_photo_in_hand_then_closes(qtbot, make_window, tmp_path,
                                                                              tiny_checkpoint):
    make_photos(tmp_path / "in", 40, size=(160, 120))
    w = make_window(model=tiny_checkpoint, start=True)
    add_and_wait(qtbot, w, [tmp_path / "in"])
    with qtbot.waitSignal(w.photo_finished, timeout=BATCH_TIMEOUT_MS):
        w.colorize_all()
    out = tmp_path / "in (colorized)"
    done_at_close = len(list(out.glob("*.png")))
    with qtbot.waitSignal(w.batch_finished, timeout=BATCH_TIMEOUT_MS) as finished:
        w.close()
        assert w.isVisible() and "Finishing the photo in hand" in w.eta_label.full_text()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=10_000)  # it closes by itself once they are written
    written = sorted(p for p in out.iterdir() if p.name != MAP_FILE)
    # only the photos in hand were finished: one per model pass (two passes on a CPU), nothing new started
    assert done_at_close <= len(written) <= done_at_close + 3 < 40
    assert all(p.suffix == ".png" for p in written)  # nothing half-written
    for p in written:
        with Image.open(p) as im:
            im.load()
    assert finished.args[0].cancelled
    assert w._batch_pool.activeThreadCount() == 0
    assert getattr(w, "failures_box", None) is None  # no dialog pops up for a batch cut short by closing

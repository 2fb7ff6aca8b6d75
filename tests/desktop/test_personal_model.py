"""Model ▸ Teach it your colour photos…: the whole flow with a real (tiny, seconds-long) fine-tune."""

from pathlib import Path

from core.checkpoint import read_metadata
from tests.helpers import random_gray, random_rgb

TINY = ["--size", "32", "--batch-size", "4", "--threads", "1", "--patience", "1"]  # stops within seconds
RUN_TIMEOUT_MS = 240_000


def _family(folder: Path, colour: int, gray: int = 2) -> Path:
    folder.mkdir(parents=True)
    for i in range(colour):
        random_rgb(48, 40, seed=200 + i).save(folder / f"c{i}.jpg")
    for i in range(gray):
        random_gray(48, 40, seed=i).save(folder / f"g{i}.jpg")
    return folder


def test_teach_counts_the_photos_runs_and_adds_the_personal_model_to_the_picker(qtbot, make_window, tmp_path,
                                                                              tiny_checkpoint):
    family = _family(tmp_path / "Family 1970s", 22)
    w = make_window(model=tiny_checkpoint)
    w.teach_extra_args = TINY
    w.act_teach.trigger()
    dialog = w.teach
    dialog.set_folder(family)
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=30_000)
    assert "22 usable colour photos" in dialog.found_label.text() and "2 black and white" in dialog.found_label.text()
    dialog.minutes.setValue(1)
    with qtbot.waitSignal(dialog.model_ready, timeout=RUN_TIMEOUT_MS) as done:
        dialog.start()
        qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=30_000)  # progress while it runs
        assert "left" in dialog.status.text()
    personal = w.current_model()
    assert personal is not None and "personal models" in str(personal) and personal.is_file()
    assert w.model_combo.currentText().endswith("(personal)")
    card = read_metadata(personal)["card"]
    assert "Family 1970s" in card["summary"] and card["stage"].startswith("finetune")
    assert w.model_summary.text() == card["summary"]
    assert not dialog.result.pixmap().isNull()  # held-out photos: starting vs personal vs real
    assert Path(done.args[0]).name == "best.safetensors"
    w.rename_model(personal, "Our family")
    assert w.model_combo.currentText() == "Our family (personal)"
    w.remove_model(ask=False)
    assert not personal.exists() and personal not in w.models()


def test_too_few_colour_photos_keeps_start_off_and_says_why(qtbot, make_window, tmp_path, tiny_checkpoint):
    family = _family(tmp_path / "few", 5, gray=4)
    w = make_window(model=tiny_checkpoint)
    w.act_teach.trigger()
    w.teach.set_folder(family)
    qtbot.waitUntil(lambda: "usable" in w.teach.found_label.text(), timeout=30_000)
    assert "5 usable colour photos" in w.teach.found_label.text() and "at least 20" in w.teach.found_label.text()
    assert not w.teach.start_button.isEnabled()


def test_cancel_stops_the_run_and_adds_nothing(qtbot, make_window, tmp_path, tiny_checkpoint):
    family = _family(tmp_path / "family", 22)
    w = make_window(model=tiny_checkpoint)
    w.teach_extra_args = TINY
    before = w.models()
    w.act_teach.trigger()
    dialog = w.teach
    dialog.set_folder(family)
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=30_000)
    dialog.minutes.setValue(5)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.run.running(), timeout=10_000)
    with qtbot.waitSignal(dialog.run.finished, timeout=30_000):
        dialog.close()  # the window's close button (as Esc and Cancel): stops the run, the dialog stays to say so
    assert dialog.isVisible()
    assert "nothing was added" in dialog.status.text()
    assert w.models() == before

"""The main window: photo list, before/after viewer, model and colour controls, and the batch.

Everything slow runs in desktop.workers; results arrive here by signals. Nothing here imports torch.
The widgets, actions and menus are built in desktop.layout; model cards are read in desktop.model_cards; wording
helpers live in desktop.texts and QSettings value readers in desktop.settings_values.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import Iterable, Sequence

from PySide6.QtCore import QByteArray, QPoint, QSettings, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QColor, QDesktopServices, QDragEnterEvent, QDropEvent, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QFileDialog, QLabel, QListWidgetItem, QMenu,
                               QMessageBox, QPlainTextEdit, QTextBrowser, QVBoxLayout, QWidget)

from core import resources
from core.checkpoint import CheckpointError
from core.images import IMAGE_SUFFIXES
from desktop import APPLICATION, ORGANIZATION
from core.hints import Hint
from desktop.hint_store import HintStore
from desktop.layout import LIST_WIDTH, PANEL_WIDTH, THUMB_SIDE, WindowLayout
from desktop.model_cards import card_markdown, model_label, model_strip, model_summary, read_colorizer_card
from desktop.settings_values import as_dict, as_float, as_int, as_list
from desktop.texts import duration_text, eta_text, short_reason
from desktop.widgets import ACTUAL, FIT, SIDE_BY_SIDE, SPLIT
from desktop.workers import (BatchOutcome, BatchWorker, Engine, EngineLoader, EngineSettings, OutputsWorker,
                             PreviewWorker, ScanWorker, SuggestWorker, ThumbnailWorker)

PREVIEW_SIDE = 1600  # the preview is colorized at this size (longest side) at most: quick, yet sharp on screen
MAX_RECENT = 8
WAITING, DONE, SKIPPED, FAILED = "waiting", "done", "skipped", "failed"
_STATE_ROLE = Qt.ItemDataRole.UserRole + 1
_PATH_ROLE = Qt.ItemDataRole.UserRole
_FAILED_COLOUR = QColor("#c0392b")
_DONE_COLOUR = QColor("#2e7d32")


def default_output_dir(inputs: Sequence[Path]) -> Path:
    """A folder that does not exist yet, beside the first input: 'Scans (colorized)', then '(colorized 2)'..."""
    first = Path(inputs[0]).absolute()
    base = first if first.is_dir() else first.parent
    name = base.name or "Photos"
    parent = base.parent
    candidate = parent / f"{name} (colorized)"
    n = 2
    while candidate.exists():
        candidate = parent / f"{name} (colorized {n})"
        n += 1
    return candidate


class MainWindow(WindowLayout):
    """The app's one window. settings: where to remember things (tests pass a temporary one)."""

    engine_ready = Signal(str)
    photos_listed = Signal(int)  # photos in the list after a scan
    preview_ready = Signal(str)  # path whose colorized preview is shown
    photo_finished = Signal(str, str)  # path, state: one photo of the batch is done, skipped or failed
    batch_finished = Signal(object)  # BatchOutcome
    outputs_checked = Signal()  # the list's states follow the output folder now
    hints_changed = Signal(str)  # path of the photo whose hints changed

    def __init__(self, settings: QSettings | None = None, engine: Engine | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self.engine = engine if engine is not None else Engine()
        self.setWindowTitle(APPLICATION)
        self.setAcceptDrops(True)

        # one thread each: the engine (start-up, then previews in order), files (scans, thumbnails), the batch
        self._closing = False
        self._engine_pool, self._files_pool, self._batch_pool = QThreadPool(self), QThreadPool(self), QThreadPool(self)
        for pool in (self._engine_pool, self._files_pool, self._batch_pool):
            pool.setMaxThreadCount(1)
        self._stop_files = threading.Event()
        self._recent_workers: deque = deque(maxlen=64)  # keeps workers' signal objects alive until delivered

        self._roots: list[Path] = []
        self._items: dict[str, QListWidgetItem] = {}
        self._removed: set[str] = set()  # photos under a listed folder that were taken off the list
        self._outputs: dict[str, tuple[str, bool]] = {}  # photo -> (its output path, whether it exists)
        self._per_photo: float | None = None  # measured seconds per colorized photo (moving average)
        self._last_result = 0.0
        self.hint_store = HintStore(_data_dir(self.settings) / "hints.json")
        self._photo_sizes: dict[str, tuple[int, int]] = {}  # upright (width, height) of photos with hints
        self._output_choice: Path | None = None  # chosen by the person; None: a new folder beside the photos
        self._auto_output: Path | None = None
        self._batch: BatchWorker | None = None
        self._batch_started = 0.0
        self._batch_counts = {"processed": 0, "skipped": 0, "total": 0}
        self.last_outcome: BatchOutcome | None = None
        self._preview_token = 0
        self._preview_original: tuple[str, object] | None = None  # (path, PIL image at preview size)
        self._preview_running: PreviewWorker | None = None
        self._preview_pending: PreviewWorker | None = None
        self._engine_state = "idle"  # idle | loading | ready | failed
        self._models: list[Path] = []

        self._build_actions()
        self._build_ui()
        self._build_menus()
        self._restore()
        self.viewer.hint_added.connect(self._hint_added)
        self.viewer.hint_moved.connect(self._hint_moved)
        self.viewer.hint_removed.connect(self._hint_removed)
        self._preview_timer = QTimer(self, singleShot=True, interval=250)
        self._preview_timer.timeout.connect(lambda: self._request_preview(reuse_original=True))
        self._update_enabled()

    # ------------------------------------------------------------------------------------- settings (QSettings)

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        self.set_view_mode(str(s.value("view/mode", SIDE_BY_SIDE)))
        self.set_zoom(str(s.value("view/zoom", FIT)))
        self.set_render_size(as_int(s.value("render_size"), 256), save=False)
        self.set_saturation(as_float(s.value("saturation"), 1.0), save=False)
        self.set_warmth(as_float(s.value("warmth"), 0.0), save=False)
        out = s.value("output_dir")
        self._output_choice = Path(out) if out else None
        self.set_output_format(str(s.value("output_format") or "keep"))
        self._load_models(str(s.value("model") or ""))
        self._show_output()
        self.reopen_button.setVisible(bool(self._last_list()[0]))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("view/mode", self.viewer.mode)
        s.setValue("view/zoom", self.viewer.zoom)
        s.setValue("render_size", self.render_size())
        s.setValue("saturation", self.saturation_value())
        s.setValue("warmth", self.warmth_value())
        s.setValue("output_format", self.output_format())
        model = self.current_model()
        s.setValue("model", str(model) if model else "")
        if self._output_choice is not None:
            s.setValue("output_dir", str(self._output_choice))
        else:
            s.remove("output_dir")
        s.sync()

    def recent_folders(self) -> list[str]:
        return [str(p) for p in as_list(self.settings.value("recent_folders"))]

    def _remember_folder(self, folder: Path) -> None:
        folders = [str(folder)] + [f for f in self.recent_folders() if f != str(folder)]
        self.settings.setValue("recent_folders", folders[:MAX_RECENT])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        if not hasattr(self, "recent_menu"):
            return
        self.recent_menu.clear()
        for f in self.recent_folders():
            a = self.recent_menu.addAction(f)
            a.triggered.connect(lambda _=False, f=f: self.add_paths([Path(f)]))
        self.recent_menu.setEnabled(bool(self.recent_folders()))

    def _start_dir(self) -> str:
        recent = self.recent_folders()
        return recent[0] if recent else str(Path.home())

    # ---------------------------------------------------------------------------------------------- the engine

    def start_engine(self) -> None:
        """Load torch, the colorizer and the model in the background; engine_ready is emitted when done."""
        if self._engine_state in ("loading", "ready"):
            return
        self._engine_state = "loading"
        self.engine.settings = self._engine_settings()
        self.engine_label.setText("Loading the colorizer engine and model…")
        self.device_label.setText("loading…")
        loader = EngineLoader(self.engine)
        loader.signals.ready.connect(self._on_engine_ready)
        loader.signals.failed.connect(self._on_engine_failed)
        loader.signals.model_failed.connect(self._on_model_failed)
        self._recent_workers.append(loader)
        self._engine_pool.start(loader)
        self._update_enabled()

    def _on_engine_ready(self, device_name: str) -> None:
        self._engine_state = "ready"
        self.device_label.setText(device_name)
        self._show_engine_status()
        self._update_enabled()
        self._request_preview(reuse_original=True)
        self.engine_ready.emit(device_name)

    def _show_engine_status(self) -> None:
        if self._engine_state != "ready":
            return
        name = self.engine.device_name or "CPU"
        self.engine_label.setText(f"Ready — colorizing on {name}" if self.current_model() is not None
                                  else f"Engine ready on {name} — add a model to colorize")

    def _on_engine_failed(self, message: str) -> None:
        self._engine_state = "failed"
        self.device_label.setText("—")
        self.engine_label.setText("The colorizer engine could not start")
        self._update_enabled()
        if not self._closing:
            QMessageBox.critical(self, APPLICATION, f"The colorizer engine could not start:\n\n{message}")

    def _on_model_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"The model could not be loaded: {message}", 15000)

    def _engine_settings(self) -> EngineSettings:
        return EngineSettings(self.current_model(), self.render_size(), self.saturation_value(), self.warmth_value())

    def _engine_settings_changed(self) -> None:
        self.engine.settings = self._engine_settings()  # the next photo, preview or batch, uses these
        self.save_settings()
        self._preview_timer.start()

    # ------------------------------------------------------------------------------------------------- models

    def _load_models(self, wanted: str = "") -> None:
        bundled = resources.bundled_checkpoints() if resources.MODELS.is_dir() else []
        user = [Path(p) for p in as_list(self.settings.value("user_models")) if Path(p).is_file()]
        self._models = []
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for path in bundled + [u for u in user if u not in bundled]:
            try:
                card = read_colorizer_card(path)
            except CheckpointError:
                continue
            self._models.append(path)
            tag = "" if path in bundled else " (personal)" if self._personal_dir() in path.parents else " (added)"
            name = (as_dict(self.settings.value("model_names")).get(str(path)) or model_label(path, card))
            self.model_combo.addItem(name + tag, str(path))
            self.model_combo.setItemData(self.model_combo.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)
        if not self._models:
            self.model_combo.addItem("No model — add one with Add model", "")
        index = self.model_combo.findData(wanted) if wanted else -1
        if index < 0:
            try:
                index = self.model_combo.findData(str(resources.default_checkpoint()))
            except OSError:  # no DEFAULT file: no default model shipped
                index = -1
        self.model_combo.setCurrentIndex(max(index, 0))
        self.model_combo.blockSignals(False)
        self._show_card()

    def current_model(self) -> Path | None:
        data = self.model_combo.currentData()
        return Path(data) if data else None

    def models(self) -> list[Path]:
        return list(self._models)

    def select_model(self, path: Path) -> None:
        index = self.model_combo.findData(str(path))
        if index < 0:
            raise ValueError(f"{path} is not in the model list")
        self.model_combo.setCurrentIndex(index)

    def _model_changed(self) -> None:
        self._show_card()
        self._engine_settings_changed()
        self._show_engine_status()
        model = self.current_model()
        if model is not None:
            self.statusBar().showMessage(f"Model: {model.name} — used from the next photo", 5000)
        self._update_enabled()

    def _show_card(self) -> None:
        """The chosen model in plain words: its summary and its before/after strip; the card behind Details…"""
        model = self.current_model()
        self.model_strip.clear_picture()
        self.model_strip.setVisible(False)
        self.model_details.setEnabled(model is not None)
        if model is None:
            self.model_summary.setText("No model yet: add a model file (.safetensors) with Add model.")
            return
        try:
            card = read_colorizer_card(model)
        except CheckpointError as e:
            self.model_summary.setText(str(e))
            return
        self.model_summary.setText(model_summary(card))
        strip = model_strip(model)
        if strip is not None:
            pix = QPixmap(str(strip))
            if not pix.isNull():
                self.model_strip.set_picture(pix)
                self.model_strip.setVisible(True)

    def show_model_details(self) -> None:
        """The model's full card in a window of its own."""
        model = self.current_model()
        if model is None:
            return
        try:
            text = card_markdown(model, read_colorizer_card(model))
        except CheckpointError as e:
            text = str(e)
        view = QTextBrowser()
        view.setOpenExternalLinks(True)
        view.setMarkdown(text)
        self.details_dialog = _show_text_dialog(self, f"Model card — {model.name}", [view], (760, 640))

    def add_model(self, path: Path) -> None:
        """Add a .safetensors checkpoint to the picker and select it; a CheckpointError if it cannot colorize."""
        path = Path(path).absolute()
        read_colorizer_card(path)
        user = [p for p in as_list(self.settings.value("user_models")) if Path(p) != path] + [str(path)]
        self.settings.setValue("user_models", user)
        self._load_models(str(path))
        self._model_changed()

    def _personal_dir(self) -> Path:
        return _data_dir(self.settings) / "personal models"

    def teach_dialog(self) -> None:
        """Model ▸ Teach it your colour photos…: a personal model from the chosen one."""
        from desktop.personal_model import TeachDialog

        model = self.current_model()
        if model is None:
            QMessageBox.information(self, APPLICATION, "Choose a model to start from first.")
            return
        dialog = TeachDialog(model, _data_dir(self.settings) / "personal runs", self, self.teach_extra_args)
        dialog.model_ready.connect(self._personal_model_ready)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.teach = dialog
        dialog.show()

    teach_extra_args: list[str] = []  # more `trainer finetune` options (the tests' tiny runs)

    def _personal_model_ready(self, best: Path) -> None:
        import shutil

        folder = self._personal_dir()
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{best.parent.name}.safetensors"
        shutil.copyfile(best, dest)
        self.add_model(dest)

    def rename_model_dialog(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        model = self.current_model()
        if model is None or model in resources.bundled_checkpoints():
            return
        name, ok = QInputDialog.getText(self, APPLICATION, "A name for this model:",
                                        text=self.model_combo.currentText().rsplit(" (", 1)[0])
        if ok and name.strip():
            self.rename_model(model, name.strip())

    def rename_model(self, model: Path, name: str) -> None:
        names = as_dict(self.settings.value("model_names"))
        names[str(model)] = name
        self.settings.setValue("model_names", names)
        self._load_models(str(model))

    def remove_model(self, ask: bool = True) -> None:
        """Take the chosen added or personal model off the picker; a personal model's file goes too."""
        model = self.current_model()
        if model is None or model in resources.bundled_checkpoints():
            return
        personal = self._personal_dir() in model.parents
        if ask and QMessageBox.question(self, APPLICATION, f"Remove {self.model_combo.currentText()} from the "
                                        f"picker?" + (" Its file is deleted." if personal else "")) \
                != QMessageBox.StandardButton.Yes:
            return
        self.settings.setValue("user_models", [p for p in as_list(self.settings.value("user_models"))
                                               if Path(p) != model])
        if personal:
            model.unlink(missing_ok=True)
        self._load_models()
        self._model_changed()

    def add_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a model", self._start_dir(),
                                              "Models (*.safetensors);;All files (*)")
        if path:
            try:
                self.add_model(Path(path))
            except CheckpointError as e:
                QMessageBox.warning(self, APPLICATION, f"This file cannot be used as a model:\n\n{e}")

    # --------------------------------------------------------------------------------------- colour controls

    def render_size(self) -> int:
        return int(self.render_combo.currentData())

    def set_render_size(self, size: int, save: bool = True) -> None:
        """Select a render size (a multiple of 32; one not in the list is added)."""
        if size < 32 or size % 32:
            size = 256
        index = self.render_combo.findData(size)
        if index < 0:
            self.render_combo.addItem(str(size), size)
            index = self.render_combo.count() - 1
        self.render_combo.blockSignals(not save)
        self.render_combo.setCurrentIndex(index)
        self.render_combo.blockSignals(False)

    def saturation_value(self) -> float:
        return self.saturation.value() / 100.0

    def set_saturation(self, value: float, save: bool = True) -> None:
        self.saturation.blockSignals(not save)
        self.saturation.setValue(round(max(0.0, min(2.0, value)) * 100))
        self.saturation.blockSignals(False)
        self.saturation_label.setText(f"{self.saturation.value()} %")

    def warmth_value(self) -> float:
        return self.warmth.value() / 100.0

    def set_warmth(self, value: float, save: bool = True) -> None:
        self.warmth.blockSignals(not save)
        self.warmth.setValue(round(max(-1.0, min(1.0, value)) * 100))
        self.warmth.blockSignals(False)
        self.warmth_label.setText(f"{self.warmth.value():+d}" if self.warmth.value() else "0")

    def _warmth_changed(self, value: int) -> None:
        self.warmth_label.setText(f"{value:+d}" if value else "0")
        self._engine_settings_changed()

    def _saturation_changed(self, value: int) -> None:
        self.saturation_label.setText(f"{value} %")
        self._engine_settings_changed()

    def set_view_mode(self, mode: str) -> None:
        mode = mode if mode in (SIDE_BY_SIDE, SPLIT) else SIDE_BY_SIDE
        self.viewer.set_mode(mode)
        self.act_side.setChecked(mode == SIDE_BY_SIDE)
        self.act_split.setChecked(mode == SPLIT)

    def set_zoom(self, zoom: str) -> None:
        zoom = zoom if zoom in (FIT, ACTUAL) else FIT
        self.viewer.set_zoom(zoom)
        self.act_fit.setChecked(zoom == FIT)
        self.act_actual.setChecked(zoom == ACTUAL)

    # ------------------------------------------------------------------------------------------ adding photos

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
            self._highlight_drop(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._highlight_drop(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._highlight_drop(False)
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)
        else:
            event.ignore()

    def drop_highlighted(self) -> bool:
        return bool(self.list_stack.property("dropTarget"))

    def _highlight_drop(self, on: bool) -> None:
        """While photos are dragged over the window, the list says it will take them."""
        self.list_stack.setProperty("dropTarget", on)
        self.list_stack.setStyleSheet("QStackedWidget { border: 2px dashed palette(highlight); "
                                      "background: palette(alternate-base); }" if on else "")

    def open_files_dialog(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos", self._start_dir(),
                                                f"Photos ({pattern});;All files (*)")
        if files:
            self.add_paths([Path(f) for f in files])

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", self._start_dir())
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: Iterable[Path]) -> None:
        """Add files and folders (searched recursively); the photos are listed once the scan is done."""
        new_roots: list[Path] = []
        already, readded = 0, False
        for p in map(Path, paths):
            p = p.absolute()
            if str(p) in self._removed:  # taken off the list earlier, asked for again
                self._removed.discard(str(p))
                self._add_item(str(p), WAITING, "")
                readded = True
                continue
            if p.is_dir() or (p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
                if p in self._roots or p in new_roots or str(p) in self._items or self._under_root(p):
                    already += 1
                else:
                    new_roots.append(p)
            elif p.is_file():
                self._add_item(str(p), FAILED, f"{p}: not a photo this app can read "
                               f"(it reads {', '.join(sorted(s[1:].upper() for s in IMAGE_SUFFIXES))})")
            else:
                self.statusBar().showMessage(f"Not found: {p}", 8000)
        for r in new_roots:
            self._remember_folder(r if r.is_dir() else r.parent)
        if already:
            self.statusBar().showMessage(f"{already} of the dropped photos and folders are in the list already", 8000)
        if not new_roots:
            if readded:
                self._save_list()
                self.refresh_outputs()
            self._after_list_change()
            return
        self._roots += new_roots
        self._show_output()
        self.statusBar().showMessage("Looking for photos…")
        scan = ScanWorker(new_roots, self.output_dir())
        scan.signals.found.connect(self._on_scanned)
        self._recent_workers.append(scan)
        self._files_pool.start(scan)

    def _under_root(self, p: Path) -> bool:
        return any(r.is_dir() and r in p.parents for r in self._roots)

    def _on_scanned(self, found: list, refused: list) -> None:
        new = [p for p in found if p not in self._items and p not in self._removed]
        for p in new:
            self._add_item(p, WAITING, "")
        for p, msg in refused:
            self._add_item(p, FAILED, msg)
        self.statusBar().showMessage(f"Found {len(found)} photo(s)" if found else "No photos found there", 5000)
        if new:
            thumbs = ThumbnailWorker(new, round(THUMB_SIDE * self.devicePixelRatioF()), self._stop_files)
            thumbs.signals.thumbnail.connect(self._on_thumbnail)
            thumbs.signals.failed.connect(self._on_thumbnail_failed)
            self._recent_workers.append(thumbs)
            self._files_pool.start(thumbs)
        self._after_list_change()
        self._save_list()
        self.refresh_outputs()
        self.photos_listed.emit(self.photo_list.count())

    def _after_list_change(self) -> None:
        n = self.photo_list.count()
        self.list_stack.setCurrentIndex(1 if n else 0)
        done = sum(self._items[p].data(_STATE_ROLE) in (DONE, SKIPPED) for p in self._items)
        self.list_count.setText(f"{n} photo(s), {done} colorized in the output folder" if n else "No photos yet")
        if self._batch is None:  # the bar tells how much of the list is colorized in the output folder now
            self.progress.setRange(0, max(n, 1))
            self.progress.setValue(done)
            self.progress.setFormat("%v of %m colorized" if n else "")
        if n and self.photo_list.currentItem() is None:
            self.photo_list.setCurrentRow(0)
        self.reopen_button.setVisible(not n and bool(self._last_list()[0]))
        self._update_enabled()

    def _add_item(self, path: str, state: str, message: str) -> QListWidgetItem:
        item = self._items.get(path)
        if item is None:
            item = QListWidgetItem(self._placeholder_icon(), "")
            item.setData(_PATH_ROLE, path)
            self.photo_list.addItem(item)
            self._items[path] = item
        self._set_state(path, state, message)
        return item

    def _placeholder_icon(self) -> QIcon:
        pix = QPixmap(THUMB_SIDE, THUMB_SIDE)
        pix.fill(QColor(128, 128, 128, 60))
        return QIcon(pix)

    def _set_state(self, path: str, state: str, message: str) -> None:
        item = self._items.get(path)
        if item is None:
            return
        item.setData(_STATE_ROLE, state)
        words = {WAITING: "waiting", DONE: "done", SKIPPED: "done earlier", FAILED: "failed"}[state]
        if state == FAILED and message:
            words = f"failed — {short_reason(message, path)}"
        n_hints = len(self.hint_store.get(path))
        if n_hints:
            words += f" · {n_hints} hint{'s' if n_hints > 1 else ''}"
        item.setText(f"{Path(path).name}\n{words}")
        item.setToolTip(f"{path}\n{message}" if message else path)
        colour = {FAILED: _FAILED_COLOUR, DONE: _DONE_COLOUR}.get(state)
        item.setForeground(colour if colour is not None else self.palette().text().color())

    def _on_thumbnail(self, path: str, image: QImage) -> None:
        item = self._items.get(path)
        if item is not None:
            pix = QPixmap.fromImage(image)
            pix.setDevicePixelRatio(self.devicePixelRatioF())
            item.setIcon(QIcon(pix))

    def _on_thumbnail_failed(self, path: str, message: str) -> None:
        self._set_state(path, FAILED, message)

    def photo_state(self, path: str | Path) -> tuple[str, str]:
        """(state, reason) of a listed photo: state is waiting, done, skipped or failed."""
        item = self._items[str(path)]
        return item.data(_STATE_ROLE), item.toolTip().partition("\n")[2]

    def photos(self) -> list[str]:
        return [self.photo_list.item(i).data(_PATH_ROLE) for i in range(self.photo_list.count())]

    def clear_photos(self) -> None:
        if self._batch is not None:
            return
        self._roots.clear()
        self._items.clear()
        self._removed.clear()
        self._outputs.clear()
        self.photo_list.clear()
        self._auto_output = None
        self._preview_original = None
        self.viewer.set_images(None, None)
        self._show_output()
        self._save_list()
        self._after_list_change()

    def selected_photos(self) -> list[str]:
        return [item.data(_PATH_ROLE) for item in self.photo_list.selectedItems()]

    def remove_selected(self) -> None:
        """Take the selected photos off the list (never the files); a later batch leaves them out."""
        if self._batch is not None:
            return
        paths = self.selected_photos() or ([self._selected_path()] if self._selected_path() else [])
        row = self.photo_list.currentRow()
        for path in paths:
            item = self._items.pop(path, None)
            if item is None:
                continue
            self.photo_list.takeItem(self.photo_list.row(item))
            root = Path(path)
            if root in self._roots:
                self._roots.remove(root)
            else:
                self._removed.add(path)
        if self.photo_list.count():
            self.photo_list.setCurrentRow(min(max(row, 0), self.photo_list.count() - 1))
        if not self._items:
            self._roots.clear()
            self._removed.clear()
        self._save_list()
        self._after_list_change()
        self._request_preview()

    def _photo_menu(self, pos: QPoint) -> None:
        item = self.photo_list.itemAt(pos)
        if item is None:
            return
        if not item.isSelected():
            self.photo_list.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.act_remove)
        menu.addSeparator()
        menu.addAction(self.act_show_original)
        self.act_open_photo_output.setEnabled(self._output_of(item.data(_PATH_ROLE)) is not None)
        menu.addAction(self.act_open_photo_output)
        self.photo_menu = menu
        menu.popup(self.photo_list.viewport().mapToGlobal(pos))

    def _output_of(self, path: str | None) -> str | None:
        """The colorized file of a listed photo, when it is in the output folder."""
        dst, exists = self._outputs.get(path or "", ("", False))
        return dst if exists and Path(dst).is_file() else None

    def show_original(self) -> None:
        path = self._selected_path()
        if path:
            self._open_in_desktop(Path(path).parent, "the folder of the original")

    def open_photo_output(self) -> None:
        out = self._output_of(self._selected_path())
        if out:
            self._open_in_desktop(Path(out), "the colorized photo")

    def _open_in_desktop(self, target: Path, what: str) -> bool:
        """Open a file or folder with the desktop's own app; where none answers, say where it is."""
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))):
            return True
        box = QMessageBox(QMessageBox.Icon.Information, APPLICATION,
                          f"No file manager or viewer answered to open {what}. It is here:", parent=self)
        box.setInformativeText(str(target))
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in box.findChildren(QLabel):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.open_failed_box = box
        box.show()
        return False

    # ---------------------------------------------------------------------------------------------- the list

    def _save_list(self) -> None:
        self.settings.setValue("last_list/roots", [str(r) for r in self._roots])
        self.settings.setValue("last_list/removed", sorted(self._removed))

    def _last_list(self) -> tuple[list[Path], list[str]]:
        roots = [Path(p) for p in as_list(self.settings.value("last_list/roots")) if Path(p).exists()]
        return roots, [str(p) for p in as_list(self.settings.value("last_list/removed"))]

    def reopen_last_list(self) -> None:
        """List again the photos and folders of the last session (what was taken off stays off)."""
        roots, removed = self._last_list()
        if roots:
            self._removed.update(removed)
            self.add_paths(roots)

    def refresh_outputs(self) -> None:
        """Find which listed photos are colorized in the output folder already (in the background)."""
        if not self._roots:
            return
        worker = OutputsWorker(self._roots, self.output_dir(), self.output_format())
        worker.signals.found.connect(self._on_outputs)
        self._recent_workers.append(worker)
        self._files_pool.start(worker)

    def _on_outputs(self, out_dir: Path, outputs: dict) -> None:
        if out_dir != self.output_dir() or self._batch is not None:
            return  # the folder changed again, or a batch is reporting states itself
        self._outputs = outputs
        for path, item in self._items.items():
            state = item.data(_STATE_ROLE)
            if state == FAILED and path not in outputs:
                continue  # unreadable or refused: it stays failed, with its reason
            done = outputs.get(path, ("", False))[1]
            if state in (WAITING, DONE, SKIPPED) or done:
                self._set_state(path, DONE if done else WAITING, "")
        self._after_list_change()
        self._request_preview(reuse_original=True)
        self.outputs_checked.emit()

    # ------------------------------------------------------------------------------------------------ preview

    def _selected_path(self) -> str | None:
        item = self.photo_list.currentItem()
        return item.data(_PATH_ROLE) if item is not None else None

    def _is_current(self, token: int) -> bool:
        return token == self._preview_token  # read from worker threads: an int compare, safe under the GIL

    def _request_preview(self, reuse_original: bool = False) -> None:
        path = self._selected_path()
        self._preview_token += 1
        if path is None:
            self.viewer.set_images(None, None)
            self.viewer.set_message("")
            return
        original = None
        if reuse_original and self._preview_original and self._preview_original[0] == path:
            original = self._preview_original[1]
            if self._can_colorize():
                self.viewer.set_message("Colorizing the preview…")
        else:
            self._preview_original = None
            self.viewer.set_images(None, None)
            self.viewer.set_message("Opening…")
            self.preview_info.setText("")
        if original is not None and not self._can_colorize() and (self._output_of(path) is None
                                                                  or self.hint_store.get(path)):
            self.viewer.set_message(self._why_no_colour())
            return
        hints = self.hint_store.get(path)
        worker = PreviewWorker(self.engine, path, PREVIEW_SIDE, self._preview_token, self._is_current, original,
                               output=None if hints else self._output_of(path),
                               hints=hints, photo_size=self.photo_size(path) if hints else None)
        worker.signals.original.connect(self._on_preview_original)
        worker.signals.colorized.connect(self._on_preview_colorized)
        worker.signals.failed.connect(self._on_preview_failed)
        worker.signals.finished.connect(self._on_preview_worker_done)
        # one preview at a time and at most one waiting: scrolling through the list never piles up work
        if self._preview_running is None:
            self._start_preview(worker)
        else:
            self._preview_pending = worker

    def _start_preview(self, worker: PreviewWorker) -> None:
        self._preview_running = worker
        self._engine_pool.start(worker)

    def _on_preview_worker_done(self) -> None:
        self._preview_running, pending, self._preview_pending = None, self._preview_pending, None
        if pending is not None and pending.token == self._preview_token:
            self._start_preview(pending)

    def _can_colorize(self) -> bool:
        return self._engine_state == "ready" and self.current_model() is not None

    def _on_preview_original(self, token: int, path: str, image: QImage, pil) -> None:
        if token != self._preview_token:
            return
        self._preview_original = (path, pil)
        self.viewer.set_images(image, None)
        self.viewer.set_message("Colorizing the preview…" if self._can_colorize() else self._why_no_colour())

    def _why_no_colour(self) -> str:
        if self._engine_state in ("idle", "loading"):
            return "The preview is colorized once the engine has loaded…"
        if self.current_model() is None:
            return "No model — add one with Model ▸ Add model…"
        return "" if self._engine_state == "ready" else "The colorizer engine could not start"

    def _on_preview_colorized(self, token: int, path: str, image: QImage, seconds: float) -> None:
        if token != self._preview_token:
            return
        self.viewer.set_after(image)
        self.viewer.set_message("")
        self._show_hint_markers(path)
        if seconds < 0:
            self.preview_info.setText(f"Colorized earlier: {Path(self._output_of(path) or path).name}")
        else:
            self.preview_info.setText(f"Preview {image.width()}×{image.height()}, colorized in {seconds:.1f} s")
        self.preview_ready.emit(path)

    def _on_preview_failed(self, token: int, path: str, message: str) -> None:
        if token != self._preview_token:
            return
        self.viewer.set_message(short_reason(message, path))

    # -------------------------------------------------------------------------------------------------- hints

    def photo_size(self, path: str) -> tuple[int, int]:
        """The photo's upright (width, height): hint points are in its pixels."""
        if path not in self._photo_sizes:
            from core.images import upright_size

            self._photo_sizes[path] = upright_size(path)
        return self._photo_sizes[path]

    def _show_hint_markers(self, path: str) -> None:
        hints = self.hint_store.get(path)
        if not hints:
            self.viewer.set_hints([], enabled=True)
            return
        w, h = self.photo_size(path)
        self.viewer.set_hints([((hint.x + 0.5) / w, (hint.y + 0.5) / h, QColor(hint.color)) for hint in hints])

    def hints(self, path: str | Path) -> list[Hint]:
        return self.hint_store.get(str(path))

    def set_hints(self, path: str | Path, hints: list[Hint]) -> None:
        """Replace a photo's hints: saved at once, the preview recolorized, the list row updated."""
        path = str(path)
        self.hint_store.set(path, hints)
        if path in self._items:
            item = self._items[path]
            state = item.data(_STATE_ROLE)
            if state in (DONE, SKIPPED) and self.hint_store.needs_redo(path):
                state = WAITING  # done with other hints: the next batch colorizes it again
            self._set_state(path, state, item.toolTip().partition("\n")[2])
        if path == self._selected_path():
            self._show_hint_markers(path)
            self._request_preview(reuse_original=True)
        self.hints_changed.emit(path)

    def _point(self, path: str, fx: float, fy: float) -> tuple[int, int]:
        w, h = self.photo_size(path)
        return min(int(fx * w), w - 1), min(int(fy * h), h - 1)

    def _hint_added(self, fx: float, fy: float) -> None:
        path = self._selected_path()
        if path is None or self._preview_original is None or self._preview_original[0] != path:
            return
        x, y = self._point(path, fx, fy)
        preview = self._preview_original[1]
        worker = SuggestWorker(self.engine, preview, min(int(fx * preview.width), preview.width - 1),
                               min(int(fy * preview.height), preview.height - 1))
        worker.signals.ready.connect(lambda suggestions: self._place_hint(path, x, y, suggestions))
        self._recent_workers.append(worker)
        self._engine_pool.start(worker)

    def _place_hint(self, path: str, x: int, y: int, suggestions: list) -> None:
        used = list(dict.fromkeys(h.color for h in self.hint_store.get(path)))
        colour = self.pick_colour(suggestions, used)
        if colour:
            self.set_hints(path, self.hint_store.get(path) + [Hint(x, y, colour)])

    def pick_colour(self, suggestions: list[str], used: list[str]) -> str | None:
        """Ask for the hint's colour: the dialog starts at the model's own colour there and offers, as custom
        colours, the model's other likely colours there and the colours already used in this photo."""
        from PySide6.QtWidgets import QColorDialog

        offered = list(dict.fromkeys(suggestions + used))[:16]
        for i in range(16):
            QColorDialog.setCustomColor(i, QColor(offered[i]) if i < len(offered) else QColor("white"))
        start = QColor(offered[0]) if offered else QColor("#808080")
        chosen = QColorDialog.getColor(start, self, "The colour of this point (its lightness stays the photo's)")
        return chosen.name() if chosen.isValid() else None

    def _hint_moved(self, index: int, fx: float, fy: float) -> None:
        path = self._selected_path()
        hints = self.hint_store.get(path) if path else []
        if 0 <= index < len(hints):
            x, y = self._point(path, fx, fy)
            hints[index] = Hint(x, y, hints[index].color)
            self.set_hints(path, hints)

    def _hint_removed(self, index: int) -> None:
        path = self._selected_path()
        hints = self.hint_store.get(path) if path else []
        if 0 <= index < len(hints):
            del hints[index]
            self.set_hints(path, hints)

    def clear_hints(self) -> None:
        path = self._selected_path()
        if path and self.hint_store.get(path):
            self.set_hints(path, [])

    def export_hints_dialog(self) -> None:
        start = str(self._start_dir()) + "/hints.json"
        dest, _ = QFileDialog.getSaveFileName(self, "Export colour hints", start, "JSON (*.json)")
        if dest:
            n = self.hint_store.export(self._roots, self.photos(), Path(dest))
            self.statusBar().showMessage(f"Hints of {n} photo(s) written to {dest} "
                                         f"(for colorize-folder --hints)", 8000)

    # -------------------------------------------------------------------------------------------------- batch

    def output_dir(self) -> Path:
        """The chosen output folder, else a new folder beside the photos (fixed once computed for this list)."""
        if self._output_choice is not None:
            return self._output_choice
        if self._auto_output is None and self._roots:
            self._auto_output = default_output_dir(self._roots)
        return self._auto_output or Path.home() / "Colorized photos"

    def set_output_dir(self, folder: Path | None) -> None:
        """Use this output folder (None: a new folder beside the photos)."""
        self._output_choice = Path(folder).absolute() if folder else None
        self._show_output()
        self.save_settings()
        self._output_changed()

    def _output_changed(self) -> None:
        """Another output folder or file type: the last batch's panel no longer applies, and the list's states
        follow what is in the new place."""
        if self._batch is not None:
            return
        self.last_outcome = None
        self.summary_label.setText("")
        self.eta_label.setText("")
        self.progress.setFormat("")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._outputs = {}
        self.refresh_outputs()
        self._update_enabled()

    def output_format(self) -> str:
        return str(self.format_combo.currentData())

    def set_output_format(self, fmt: str) -> None:
        """'keep', 'jpg', 'png' or 'tiff'; anything else (an old settings file) falls back to 'keep'."""
        index = self.format_combo.findData(fmt)
        self.format_combo.setCurrentIndex(max(index, 0))

    def choose_output_dialog(self) -> None:
        start = str(self._output_choice or (self._roots[0].parent if self._roots else self._start_dir()))
        folder = QFileDialog.getExistingDirectory(self, "Save the colorized photos in", start)
        if folder:
            self.set_output_dir(Path(folder))

    def _show_output(self) -> None:
        if self._output_choice is None and not self._roots:
            self.output_edit.clear()
        else:
            self.output_edit.setText(str(self.output_dir()))
        self.beside_button.setEnabled(self._output_choice is not None)

    def open_output_folder(self) -> None:
        out = self.output_dir()
        if out.is_dir():
            self._open_in_desktop(out, "the output folder")
        else:
            self.statusBar().showMessage(f"{out} does not exist yet", 5000)

    def colorize_all(self) -> None:
        if self._batch is not None or not self._roots or not self._can_colorize():
            return
        out = self.output_dir()
        # states change as each photo is tried: a failed photo stays failed, with its reason, until then
        listed = self.photos()
        hinted = {p: self.hint_store.get(p) for p in listed if self.hint_store.get(p)}
        redo = [p for p in listed if self.hint_store.needs_redo(p)]
        worker = BatchWorker(self.engine, self._roots, out, fmt=self.output_format(),
                             overwrite=self.redo_check.isChecked(), exclude=self._removed, hints=hinted, redo=redo)
        worker.signals.planned.connect(self._on_batch_planned)
        worker.signals.result.connect(self._on_batch_result)
        worker.signals.finished.connect(self._on_batch_finished)
        self._batch = worker
        self._batch_started = self._last_result = time.monotonic()
        self._per_photo = None
        self._batch_counts = {"processed": 0, "skipped": 0, "total": 0, "todo": 0}
        self.progress.setRange(0, 0)
        self.progress.setFormat("%v of %m")
        self.eta_label.setText("Starting…")
        self.summary_label.setText("")
        self.engine_label.setText(f"Colorizing into {out}")
        self._update_enabled()
        self._batch_pool.start(worker)

    def cancel_batch(self) -> None:
        if self._batch is not None:
            self._batch.cancel()
            self.eta_label.setText("Stopping after the current photo…")
            self.cancel_button.setEnabled(False)
            self.act_cancel.setEnabled(False)

    def _on_batch_planned(self, total: int, todo: int) -> None:
        self._batch_counts.update(total=total, todo=todo)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)

    def _on_batch_result(self, src: str, status: str, message: str) -> None:
        state = {"done": DONE, "skipped": SKIPPED}.get(status, FAILED)
        if src not in self._items:
            self._add_item(src, state, message)
            self._after_list_change()
        self._set_state(src, state, "" if state == DONE else message)
        if state == DONE:
            self._outputs[src] = (message, True)  # the output's path
            self.hint_store.colorized(src)
        c = self._batch_counts
        if state == SKIPPED:
            c["skipped"] += 1
        else:
            c["processed"] += 1
            self._measure_photo_time()
        done = sum(self._items[p].data(_STATE_ROLE) in (DONE, SKIPPED) for p in self._items)
        self.list_count.setText(f"{self.photo_list.count()} photo(s), {done} colorized in the output folder")
        finished = c["processed"] + c["skipped"]
        self.progress.setValue(finished)
        left = c["todo"] - c["processed"]  # still to colorize: photos done earlier are skipped in no time
        if self._closing:
            pass  # the line says the app is finishing the photo in hand
        elif left > 0 and self._per_photo is not None and not (self._batch and self._batch.cancelled):
            self.eta_label.setText(f"{finished} of {c['total']} — {eta_text(self._per_photo * left)}")
        elif left > 0:
            self.eta_label.setText(f"{finished} of {c['total']}")
        self.photo_finished.emit(src, state)

    def _measure_photo_time(self) -> None:
        """Seconds per colorized photo, from the time between results: a moving average that follows the
        pace of the batch (the first photo, which waits for the model to warm up, soon weighs little)."""
        now = time.monotonic()
        interval, self._last_result = now - self._last_result, now
        self._per_photo = interval if self._per_photo is None else 0.7 * self._per_photo + 0.3 * interval

    def _on_batch_finished(self, outcome: BatchOutcome) -> None:
        self._batch = None
        self.last_outcome = outcome
        self.progress.setRange(0, max(outcome.total, 1))
        self.eta_label.setText("")
        n_done, n_skip, n_fail = len(outcome.done), len(outcome.skipped), len(outcome.failed)
        if outcome.error:
            head = f"The batch could not run: {outcome.error}"
        elif outcome.cancelled:
            head = f"Cancelled: {n_done} colorized, {n_skip} already there, {n_fail} failed; the rest is untouched"
        else:
            head = f"Finished in {duration_text(outcome.seconds)}: {n_done} colorized, {n_skip} already there, " \
                   f"{n_fail} failed"
        self.summary_label.setText(f"{head}.\nSaved in {outcome.out_dir}")
        self._show_engine_status()
        self.statusBar().showMessage(head, 15000)
        self._after_list_change()
        if self._closing:  # the window was closed during the batch: the photos in hand are written now
            self.batch_finished.emit(outcome)
            self.close()
            return
        if outcome.failed or outcome.error:
            self._show_failures(head, outcome)
        self.batch_finished.emit(outcome)

    def _show_failures(self, head: str, outcome: BatchOutcome) -> None:
        """Every failure with its reason, readable and copyable as it is (no "Show Details" to find)."""
        text = QPlainTextEdit("\n".join(msg for _, msg in outcome.failed) or outcome.error)
        text.setReadOnly(True)
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        head_label = QLabel(f"{head}.\nThese photos were not colorized (your originals are unchanged):")
        self.failures_box = _show_text_dialog(self, APPLICATION, [head_label, text], (640, 320))

    def batch_running(self) -> bool:
        return self._batch is not None

    # ------------------------------------------------------------------------------------------------- common

    def _update_enabled(self) -> None:
        running = self._batch is not None
        has_photos = bool(self._roots)
        can = self._can_colorize() and has_photos and not running
        for w in (self.act_colorize, self.colorize_button):
            w.setEnabled(can)
        why = ("" if can else "Add photos first" if not has_photos else "Running…" if running
               else "Waiting for the engine to load" if self._engine_state in ("idle", "loading")
               else "Choose a model first" if self.current_model() is None else "The engine could not start")
        self.colorize_button.setToolTip(self.act_colorize.toolTip() + (f"\n({why})" if why else ""))
        for w in (self.act_cancel, self.cancel_button):
            w.setEnabled(running and not self._batch.cancelled)
        # switching models stays possible during a batch: it applies from the next photo
        for w in (self.act_clear, self.act_output, self.act_add_model, self.format_combo, self.redo_check):
            w.setEnabled(not running)
        self.beside_button.setEnabled(not running and self._output_choice is not None)
        self.open_output_button.setEnabled(self.output_dir().is_dir() if (self._roots or self._output_choice)
                                           else False)
        self.act_open_output.setEnabled(self.open_output_button.isEnabled())
        self.act_remove.setEnabled(not running and self.photo_list.count() > 0)
        self.act_show_original.setEnabled(self.photo_list.currentItem() is not None)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._batch is not None:
            # A batch in progress: stop it, finish and write the photos being colorized (at most one per model
            # pass), then close. The window stays to say so, and the close happens when the batch reports back.
            event.ignore()
            if not self._closing:
                self._closing = True
                self._batch.cancel()
                self.setEnabled(False)
                self.eta_label.setText("Finishing the photo in hand… the app closes when it is written")
                self.engine_label.setText("Finishing the photo in hand before closing…")
                self.viewer.set_message("Finishing the photo in hand… the app closes when it is written")
            return
        self._closing = True
        self._stop_files.set()
        self._preview_token += 1
        self.save_settings()
        # A scan or the engine's first load may still be running: the window goes away now rather than hang, and
        # the process ends once they are done (processEvents lets the window system see the hide).
        self.hide()
        QApplication.processEvents()
        for pool in (self._batch_pool, self._files_pool, self._engine_pool):
            pool.waitForDone()
        super().closeEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._keep_panels_usable()

    def _keep_panels_usable(self) -> None:
        """The list and the control panel get back their width when the window has room again (the viewer
        takes what is left), whatever a smaller window squeezed them to."""
        sizes = self.splitter.sizes()
        if len(sizes) != 3:
            return
        total = sum(sizes)
        want_list, want_panel = max(sizes[0], min(LIST_WIDTH, total // 4)), max(sizes[2], min(PANEL_WIDTH, total // 3))
        if (want_list, want_panel) != (sizes[0], sizes[2]) and total - want_list - want_panel >= 240:
            self.splitter.setSizes([want_list, total - want_list - want_panel, want_panel])

    def show_about(self) -> None:
        from desktop.model_cards import model_licence

        models = "".join(f"<li>{m.name}: {model_licence(m)}</li>" for m in self._models) or "<li>none</li>"
        QMessageBox.about(self, f"About {APPLICATION}",
                          f"<h3>{APPLICATION} {_version()}</h3>"
                          "<p>Colour for black-and-white family photos, on your own machine. Originals are never "
                          "changed.</p>"
                          f"<p><b>Models</b></p><ul>{models}</ul>"
                          f"<p><b>Settings</b> are kept in {self.settings.fileName()}</p>"
                          "<p>Code: Apache-2.0. Built on PyTorch, fastai, timm, Qt (PySide6), Pillow.</p>")


def _show_text_dialog(parent: QWidget, title: str, widgets: list[QWidget], size: tuple[int, int]) -> QDialog:
    """A non-modal window of the given widgets above a Close button; it deletes itself when closed."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    for widget in widgets:
        layout.addWidget(widget)
    layout.addWidget(buttons)
    dialog.resize(*size)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def _data_dir(settings: QSettings) -> Path:
    """Where the app keeps its data (the hints): beside a settings file given as one (tests), else the user's
    data folder."""
    if settings.format() == QSettings.Format.IniFormat:
        return Path(settings.fileName()).parent
    from PySide6.QtCore import QStandardPaths

    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shoebox-colorizer")
    except PackageNotFoundError:
        return "(development)"

"""The main window's widgets, actions and menus, built once; desktop.window.MainWindow gives them behaviour.

The slots the actions and widgets connect to (open_files_dialog, colorize_all, ...) are MainWindow's methods.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QMainWindow, QProgressBar, QPushButton, QSlider,
                               QSplitter, QStackedWidget, QTextBrowser, QToolButton, QVBoxLayout, QWidget)

from desktop.widgets import ACTUAL, FIT, SIDE_BY_SIDE, SPLIT, CompareView

RENDER_SIZES = [(128, "128 — fastest"), (192, "192 — fast"), (256, "256 — balanced"),
                (384, "384 — more detail"), (512, "512 — most detail, slowest")]
OUTPUT_FORMATS = [("keep", "Same as the original"), ("jpg", "JPEG"), ("png", "PNG (lossless)"),
                  ("tiff", "TIFF (lossless)")]  # colorize-folder's --format choices
THUMB_SIDE = 64  # logical pixels


class WindowLayout(QMainWindow):
    """Builds MainWindow's actions, menus and widgets (_build_actions, _build_ui, _build_menus, in that order)."""

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        a = QAction(text, self)
        a.triggered.connect(slot)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        self.act_open_files = self._action("Open &files…", self.open_files_dialog, QKeySequence.StandardKey.Open,
                                           "Add photos to the list")
        self.act_open_folder = self._action("Open &folder…", self.open_folder_dialog, "Ctrl+Shift+O",
                                            "Add every photo in a folder and its subfolders")
        self.act_output = self._action("Choose &output folder…", self.choose_output_dialog, "Ctrl+Shift+E",
                                       "Where the colorized photos are saved")
        self.act_open_output = self._action("Show output folder", self.open_output_folder, "Ctrl+Shift+F",
                                            "Open the output folder in your file manager")
        self.act_clear = self._action("&Clear list", self.clear_photos, None, "Remove all photos from the list "
                                      "(the files are not touched)")
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_colorize = self._action("&Colorize all", self.colorize_all, "Ctrl+Return",
                                         "Colorize every photo in the list into the output folder (Ctrl+Enter)")
        self.act_cancel = self._action("Ca&ncel", self.cancel_batch, "Esc",
                                       "Stop after the current photo; finished photos are kept (Esc)")
        self.act_add_model = self._action("&Add model…", self.add_model_dialog, "Ctrl+M",
                                          "Use another model (.safetensors checkpoint)")
        self.act_side = self._action("&Side by side", lambda: self.set_view_mode(SIDE_BY_SIDE), "Ctrl+2",
                                     "Original and colorized next to each other (Ctrl+2)")
        self.act_split = self._action("S&plit view", lambda: self.set_view_mode(SPLIT), "Ctrl+3",
                                      "One image, original left of the divider, colour right; drag the divider "
                                      "(Ctrl+3)")
        self.act_fit = self._action("&Fit to window", lambda: self.set_zoom(FIT), "Ctrl+0",
                                    "Show the whole photo (Ctrl+0)")
        self.act_actual = self._action("&100 %", lambda: self.set_zoom(ACTUAL), "Ctrl+1",
                                       "One preview pixel per screen pixel; drag to move around (Ctrl+1)")
        for pair in ((self.act_side, self.act_split), (self.act_fit, self.act_actual)):
            group = QActionGroup(self)
            for a in pair:
                a.setCheckable(True)
                group.addAction(a)

    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        m.addActions([self.act_open_files, self.act_open_folder])
        self.recent_menu = m.addMenu("Open &recent")
        m.addSeparator()
        m.addActions([self.act_output, self.act_open_output])
        m.addSeparator()
        m.addActions([self.act_clear, self.act_quit])
        m = self.menuBar().addMenu("&Colorize")
        m.addActions([self.act_colorize, self.act_cancel])
        m = self.menuBar().addMenu("&Model")
        m.addAction(self.act_add_model)
        m = self.menuBar().addMenu("&View")
        m.addActions([self.act_side, self.act_split])
        m.addSeparator()
        m.addActions([self.act_fit, self.act_actual])
        self._fill_recent_menu()

    def _tool(self, action: QAction) -> QToolButton:
        b = QToolButton()
        b.setDefaultAction(action)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return b

    def _build_ui(self) -> None:
        # left: the photos
        self.photo_list = QListWidget()
        self.photo_list.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.photo_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.photo_list.setUniformItemSizes(True)
        self.photo_list.setSpacing(2)
        self.photo_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.photo_list.setWordWrap(False)
        self.photo_list.currentItemChanged.connect(lambda *_: self._request_preview())
        self.photo_list.setToolTip("Your photos. Select one to see it before and after.")
        hint = QLabel("Drop photos or folders of photos here\n\nor use File ▸ Open files… (Ctrl+O)\n"
                      "and File ▸ Open folder… (Ctrl+Shift+O)")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        hint.setFrameShape(QFrame.Shape.StyledPanel)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(hint)
        self.list_stack.addWidget(self.photo_list)
        self.list_count = QLabel("No photos yet")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.list_stack, 1)
        lv.addWidget(self.list_count)

        # right: viewer with its view buttons
        self.viewer = CompareView()
        self.viewer.setToolTip("Split view: drag the divider. At 100 %: drag to move around.")
        view_bar = QHBoxLayout()
        for group in ((self.act_side, self.act_split), (self.act_fit, self.act_actual)):
            for a in group:
                view_bar.addWidget(self._tool(a))
            view_bar.addSpacing(16)
        view_bar.addStretch(1)
        self.preview_info = QLabel("")
        view_bar.addWidget(self.preview_info)

        # controls: model and colour
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(18)
        self.model_combo.setToolTip("The model that predicts the colours. A change applies from the next photo.")
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        add_model = QToolButton()
        add_model.setDefaultAction(self.act_add_model)
        self.model_card = QTextBrowser()
        self.model_card.setOpenExternalLinks(True)
        self.model_card.setMaximumHeight(96)
        self.model_card.setToolTip("The model card: how this model was trained.")
        self.render_combo = QComboBox()
        for size, text in RENDER_SIZES:
            self.render_combo.addItem(text, size)
        self.render_combo.setToolTip("The size the colour is worked out at. Your photo keeps its full size and "
                                     "sharpness either way.")
        self.render_combo.currentIndexChanged.connect(self._engine_settings_changed)
        render_hint = QLabel("Smaller is faster; larger gives more colour detail.")
        render_hint.setWordWrap(True)
        render_hint.setStyleSheet("color: palette(placeholder-text);")
        self.saturation = QSlider(Qt.Orientation.Horizontal)
        self.saturation.setRange(0, 200)
        self.saturation.setSingleStep(5)
        self.saturation.setPageStep(25)
        self.saturation.setValue(100)
        self.saturation.setToolTip("How strong the predicted colour is: 100 % is as the model predicts it, "
                                   "0 % is black and white.")
        self.saturation_label = QLabel("100 %")
        self.saturation_label.setMinimumWidth(self.saturation_label.fontMetrics().horizontalAdvance("200 %") + 6)
        self.saturation.valueChanged.connect(self._saturation_changed)
        self.device_label = QLabel("loading…")
        self.device_label.setToolTip("Where the colorizing runs: your graphics card (GPU) when there is one, "
                                     "else the processor (CPU).")

        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(add_model)
        sat_row = QHBoxLayout()
        sat_row.addWidget(self.saturation, 1)
        sat_row.addWidget(self.saturation_label)
        settings_box = QGroupBox("Model and colour")
        form = QFormLayout(settings_box)
        form.addRow("Model:", model_row)
        form.addRow(self.model_card)
        form.addRow("Render size:", self.render_combo)
        form.addRow("", render_hint)
        form.addRow("Saturation:", sat_row)
        form.addRow("Device:", self.device_label)

        # the batch
        self.output_edit = QLineEdit()
        self.output_edit.setReadOnly(True)
        self.output_edit.setPlaceholderText("A new folder beside your photos")
        self.output_edit.setToolTip("Where the colorized photos are saved. Your originals are never changed, and "
                                    "a photo already in this folder is not redone.")
        choose_out = QToolButton()
        choose_out.setDefaultAction(self.act_output)
        self.beside_button = QToolButton()
        self.beside_button.setText("Beside photos")
        self.beside_button.setToolTip("Save into a new folder beside your photos (the default)")
        self.beside_button.clicked.connect(lambda: self.set_output_dir(None))
        out_row = QHBoxLayout()
        out_row.addWidget(self.output_edit, 1)
        out_row.addWidget(choose_out)
        out_row.addWidget(self.beside_button)
        self.format_combo = QComboBox()
        for fmt, text in OUTPUT_FORMATS:
            self.format_combo.addItem(text, fmt)
        self.format_combo.setToolTip("The file type of the colorized photos. \"Same as the original\" saves GIF "
                                     "and BMP photos as PNG.")
        self.redo_check = QCheckBox("Redo photos already colorized")
        self.redo_check.setToolTip("Off: a photo whose colorized copy is already in the output folder is skipped, "
                                   "so a stopped batch carries on where it was.\nOn: those copies are replaced "
                                   "(your originals are never touched either way).")
        format_row = QHBoxLayout()
        format_row.addWidget(QLabel("Save as:"))
        format_row.addWidget(self.format_combo, 1)
        format_row.addWidget(self.redo_check)
        self.colorize_button = QPushButton("Colorize all")
        self.colorize_button.setToolTip(self.act_colorize.toolTip())
        self.colorize_button.clicked.connect(self.colorize_all)
        self.colorize_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(self.act_cancel.toolTip())
        self.cancel_button.clicked.connect(self.cancel_batch)
        self.open_output_button = QPushButton("Open output folder")
        self.open_output_button.setToolTip(self.act_open_output.toolTip())
        self.open_output_button.clicked.connect(self.open_output_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.colorize_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_output_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("")  # "%v of %m" once a batch runs
        self.progress.setValue(0)
        self.eta_label = QLabel("")
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        batch_box = QGroupBox("Colorize the whole list")
        bv = QVBoxLayout(batch_box)
        out_label = QLabel("Save to:")
        bv.addWidget(out_label)
        bv.addLayout(out_row)
        bv.addLayout(format_row)
        bv.addLayout(buttons)
        bv.addWidget(self.progress)
        bv.addWidget(self.eta_label)
        bv.addWidget(self.summary_label)
        bv.addStretch(1)

        controls = QHBoxLayout()
        controls.addWidget(settings_box, 1)
        controls.addWidget(batch_box, 1)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addLayout(view_bar)
        rv.addWidget(self.viewer, 1)
        rv.addLayout(controls)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, 900])
        self.setCentralWidget(self.splitter)
        self.engine_label = QLabel("")
        self.statusBar().addPermanentWidget(self.engine_label)
        self.resize(1280, 860)

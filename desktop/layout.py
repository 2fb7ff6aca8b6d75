"""The main window's widgets, actions and menus, built once; desktop.window.MainWindow gives them behaviour.

The slots the actions and widgets connect to (open_files_dialog, colorize_all, ...) are MainWindow's methods.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QMainWindow, QProgressBar, QPushButton, QScrollArea,
                               QSplitter, QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from desktop.widgets import (ACTUAL, FIT, SIDE_BY_SIDE, SPLIT, CompareView, ElidedLabel, FitWidthPicture,
                             PhotoRowDelegate, ResettableSlider)

RENDER_SIZES = [(128, "128 — fastest"), (192, "192 — fast"), (256, "256 — balanced"),
                (384, "384 — more detail"), (512, "512 — most detail, slowest")]
OUTPUT_FORMATS = [("keep", "Same as the original"), ("jpg", "JPEG"), ("png", "PNG (lossless)"),
                  ("tiff", "TIFF (lossless)")]  # colorize-folder's --format choices
THUMB_SIDE = 64  # logical pixels
LIST_WIDTH, PANEL_WIDTH = 260, 290  # the photo list's and the control panel's preferred widths
MIN_WINDOW = QSize(720, 480)  # the window can be this small; every control stays usable at 800 x 600


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
        self.act_open_output = self._action("Open output folder", self.open_output_folder, "Ctrl+Shift+F",
                                            "Open the output folder in your file manager")
        self.act_reopen = self._action("Reopen &last list", self.reopen_last_list, None,
                                       "List again the photos and folders of the last session")
        self.act_remove = self._action("&Remove from list", self.remove_selected, QKeySequence.StandardKey.Delete,
                                       "Take the selected photos off the list (the files are not touched) (Delete)")
        # Delete removes photos only while the list has the focus: in the viewer it removes a colour hint
        self.removeAction(self.act_remove)
        self.act_remove.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_show_original = self._action("Show original in folder", self.show_original, None,
                                              "Open the folder that holds the original")
        self.act_open_photo_output = self._action("Open colorized photo", self.open_photo_output, None,
                                                  "Open the colorized photo in your image viewer")
        self.act_about = self._action("&About", self.show_about, None, "Version, models and their licences, "
                                      "and where the settings are kept")
        self.act_export_hints = self._action("&Export hints…", self.export_hints_dialog, None,
                                             "Save the colour hints of the listed photos for colorize-folder --hints")
        self.act_clear_hints = self._action("Clear this photo's &hints", self.clear_hints, None,
                                            "Remove every colour hint of the selected photo")
        self.act_clear = self._action("&Clear list", self.clear_photos, None, "Remove all photos from the list "
                                      "(the files are not touched)")
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_colorize = self._action("&Colorize all", self.colorize_all, "Ctrl+Return",
                                         "Colorize every photo in the list into the output folder (Ctrl+Enter)")
        self.act_cancel = self._action("Ca&ncel", self.cancel_batch, "Esc",
                                       "Stop after the current photo; finished photos are kept (Esc)")
        self.act_add_model = self._action("&Add model…", self.add_model_dialog, "Ctrl+M",
                                          "Use another model (.safetensors checkpoint)")
        self.act_teach = self._action("&Teach it your colour photos…", self.teach_dialog, None,
                                      "A personal model: the chosen model, taught the colours of your own colour "
                                      "photos (runs in the background, a few minutes)")
        self.act_rename_model = self._action("&Rename this model…", self.rename_model_dialog, None,
                                             "Give the chosen (added or personal) model another name")
        self.act_remove_model = self._action("Re&move this model", self.remove_model, None,
                                             "Take the chosen (added or personal) model off the picker")
        self.act_side = self._action("&Side by side", lambda: self.set_view_mode(SIDE_BY_SIDE), "Ctrl+2",
                                     "Original and colorized next to each other (Ctrl+2)")
        self.act_split = self._action("S&plit", lambda: self.set_view_mode(SPLIT), "Ctrl+3",
                                      "One image, original left of the divider, colour right; drag the divider "
                                      "(Ctrl+3)")
        self.act_fit = self._action("&Fit", lambda: self.set_zoom(FIT), "Ctrl+0",
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
        m.addAction(self.act_reopen)
        m.addSeparator()
        m.addActions([self.act_output, self.act_open_output])
        m.addSeparator()
        m.addActions([self.act_remove, self.act_clear, self.act_quit])
        m = self.menuBar().addMenu("&Colorize")
        m.addActions([self.act_colorize, self.act_cancel])
        m.addSeparator()
        m.addActions([self.act_clear_hints, self.act_export_hints])
        m = self.menuBar().addMenu("&Model")
        m.addActions([self.act_add_model, self.act_teach])
        m.addSeparator()
        m.addActions([self.act_rename_model, self.act_remove_model])
        m = self.menuBar().addMenu("&View")
        m.addActions([self.act_side, self.act_split])
        m.addSeparator()
        m.addActions([self.act_fit, self.act_actual])
        m = self.menuBar().addMenu("&Help")
        m.addAction(self.act_about)
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
        self.photo_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.photo_list.setUniformItemSizes(True)
        self.photo_list.setItemDelegate(PhotoRowDelegate(THUMB_SIDE, self.photo_list))
        self.photo_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.photo_list.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.photo_list.setWordWrap(False)
        self.photo_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.photo_list.customContextMenuRequested.connect(self._photo_menu)
        self.photo_list.addActions([self.act_remove])
        self.photo_list.currentItemChanged.connect(lambda *_: self._request_preview())
        self.photo_list.setToolTip("Your photos. Select one to see it before and after; Delete takes it off "
                                   "the list, right-click for more.")
        hint = QLabel("Drop photos or folders of photos here\n\nor use File ▸ Open files… (Ctrl+O)\n"
                      "and File ▸ Open folder… (Ctrl+Shift+O)")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.reopen_button = QPushButton("Reopen last list")
        self.reopen_button.setToolTip(self.act_reopen.toolTip())
        self.reopen_button.clicked.connect(self.reopen_last_list)
        empty = QFrame()
        empty.setFrameShape(QFrame.Shape.StyledPanel)
        ev = QVBoxLayout(empty)
        ev.addStretch(1)
        ev.addWidget(hint)
        ev.addWidget(self.reopen_button, 0, Qt.AlignmentFlag.AlignHCenter)
        ev.addStretch(1)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(empty)
        self.list_stack.addWidget(self.photo_list)
        self.list_count = ElidedLabel("No photos yet")
        left = QWidget()
        left.setMinimumWidth(200)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.list_stack, 1)
        lv.addWidget(self.list_count)

        # middle: viewer with its view buttons
        self.viewer = CompareView()
        self.viewer.setToolTip("Click the colorized photo to give a point its colour (\"this dress was blue\"); "
                               "drag a point to move it, right-click it to remove it.\nSplit view: drag the "
                               "divider. Mouse wheel: 100 % at the pointer and back; at 100 %: drag to move around.")
        self.viewer.zoom_changed.connect(self.set_zoom)
        view_bar = QHBoxLayout()
        for group in ((self.act_side, self.act_split), (self.act_fit, self.act_actual)):
            for a in group:
                view_bar.addWidget(self._tool(a))
            view_bar.addSpacing(8)
        self.preview_info = ElidedLabel("")
        self.preview_info.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        view_bar.addWidget(self.preview_info, 1)
        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.setContentsMargins(0, 0, 0, 0)
        mv.addLayout(view_bar)
        mv.addWidget(self.viewer, 1)

        # right: the control panel (it scrolls when the window is too short for it)
        panel = QWidget()
        pv = QVBoxLayout(panel)
        pv.setContentsMargins(0, 0, 4, 0)
        pv.addWidget(self._model_box())
        pv.addWidget(self._batch_box())
        pv.addStretch(1)
        self.panel_scroll = QScrollArea()
        self.panel_scroll.setWidget(panel)
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # never narrower than its controls need (room kept for the vertical scroll bar): nothing is cut off
        self.panel_scroll.setMinimumWidth(panel.minimumSizeHint().width() + self.panel_scroll.verticalScrollBar()
                                          .sizeHint().width() + 4)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for w, stretch in ((left, 0), (middle, 1), (self.panel_scroll, 0)):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setSizes([LIST_WIDTH, 1280 - LIST_WIDTH - PANEL_WIDTH, PANEL_WIDTH])
        self.setCentralWidget(self.splitter)
        self.engine_label = ElidedLabel("")
        self.engine_label.setMinimumWidth(200)
        self.statusBar().addPermanentWidget(self.engine_label, 1)
        self.setMinimumSize(MIN_WINDOW)
        self.resize(1280, 860)

    def _model_box(self) -> QGroupBox:
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(10)
        self.model_combo.setToolTip("The model that predicts the colours. A change applies from the next photo.")
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        add_model = QToolButton()
        add_model.setDefaultAction(self.act_add_model)
        self.model_summary = QLabel("")
        self.model_summary.setWordWrap(True)
        self.model_summary.setToolTip("What the model is good for, and what to watch out for")
        self.model_strip = FitWidthPicture(max_height=56)  # the panel must fit an 800x600 window
        self.model_strip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_strip.setToolTip("The bundled sample photos, colorized by this model: original above, "
                                    "colour below")
        self.model_details = QPushButton("Details…")
        self.model_details.setToolTip("The model's full card: how it was trained and measured")
        self.model_details.clicked.connect(self.show_model_details)
        self.render_combo = QComboBox()
        for size, text in RENDER_SIZES:
            self.render_combo.addItem(text, size)
        self.render_combo.setToolTip("The size the colour is worked out at: smaller is faster, larger gives more "
                                     "colour detail. Your photo keeps its full size and sharpness either way.")
        self.render_combo.currentIndexChanged.connect(self._engine_settings_changed)
        self.saturation = ResettableSlider(Qt.Orientation.Horizontal, default=100)
        self.saturation.setRange(0, 200)
        self.saturation.setSingleStep(5)
        self.saturation.setPageStep(25)
        self.saturation.setValue(100)
        self.saturation.setToolTip("How strong the predicted colour is: 100 % is as the model predicts it, "
                                   "0 % is black and white. Double-click: back to 100 %.")
        self.saturation_label = QLabel("100 %")
        self.saturation_label.setMinimumWidth(self.saturation_label.fontMetrics().horizontalAdvance("200 %") + 6)
        self.saturation.valueChanged.connect(self._saturation_changed)
        self.warmth = ResettableSlider(Qt.Orientation.Horizontal, default=0)
        self.warmth.setRange(-100, 100)
        self.warmth.setSingleStep(5)
        self.warmth.setPageStep(25)
        self.warmth.setToolTip("The overall colour temperature: left cooler (bluer), right warmer (more orange), "
                               "middle as the model predicts it. Double-click: back to the middle.")
        self.warmth_label = QLabel("0")
        self.warmth_label.setMinimumWidth(self.saturation_label.minimumWidth())
        self.warmth.valueChanged.connect(self._warmth_changed)
        self.device_label = ElidedLabel("loading…")
        self.device_label.setToolTip("Where the colorizing runs: your graphics card (GPU) when there is one, "
                                     "else the processor (CPU).")
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(add_model)
        model_row.addWidget(self.model_details)
        sat_row = QHBoxLayout()
        sat_row.addWidget(self.saturation, 1)
        sat_row.addWidget(self.saturation_label)
        warm_row = QHBoxLayout()
        warm_row.addWidget(self.warmth, 1)
        warm_row.addWidget(self.warmth_label)
        box = QGroupBox("Model and colour")
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        # labels beside their fields even in a narrow panel: the box must fit an 800x600 window unscrolled
        form.addRow(model_row)  # the box is titled "Model and colour": no label, so it fits one line
        form.addRow(self.model_summary)
        form.addRow(self.model_strip)
        form.addRow("Render size:", self.render_combo)
        form.addRow("Saturation:", sat_row)
        form.addRow("Warmth:", warm_row)
        form.addRow("Device:", self.device_label)
        return box

    def _batch_box(self) -> QGroupBox:
        self.output_edit = QLineEdit()
        self.output_edit.setReadOnly(True)
        self.output_edit.setPlaceholderText("A new folder beside your photos")
        self.output_edit.setToolTip("Where the colorized photos are saved. Your originals are never changed, and "
                                    "a photo already in this folder is not redone.")
        choose_out = QPushButton("Choose…")
        choose_out.setToolTip(self.act_output.toolTip())
        choose_out.clicked.connect(self.choose_output_dialog)
        self.beside_button = QPushButton("Beside photos")
        self.beside_button.setToolTip("Save into a new folder beside your photos (the default)")
        self.beside_button.clicked.connect(lambda: self.set_output_dir(None))
        out_buttons = QHBoxLayout()
        out_buttons.addWidget(choose_out)
        out_buttons.addWidget(self.beside_button)
        out_buttons.addStretch(1)
        self.format_combo = QComboBox()
        for fmt, text in OUTPUT_FORMATS:
            self.format_combo.addItem(text, fmt)
        self.format_combo.setToolTip("The file type of the colorized photos. \"Same as the original\" saves GIF "
                                     "and BMP photos as PNG.")
        self.format_combo.currentIndexChanged.connect(self._output_changed)
        self.redo_check = QCheckBox("Redo photos already colorized")
        self.redo_check.setToolTip("Off: a photo whose colorized copy is already in the output folder is skipped, "
                                   "so a stopped batch carries on where it was.\nOn: those copies are replaced "
                                   "(your originals are never touched either way).")
        format_row = QHBoxLayout()
        format_row.addWidget(QLabel("Save as:"))
        format_row.addWidget(self.format_combo, 1)
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
        buttons.addWidget(self.colorize_button, 1)
        buttons.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("")  # "%v of %m" once a batch runs
        self.progress.setValue(0)
        self.eta_label = ElidedLabel("")
        self.summary_label = QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QGroupBox("Colorize the whole list")
        bv = QVBoxLayout(box)
        bv.addWidget(QLabel("Save to:"))
        bv.addWidget(self.output_edit)
        bv.addLayout(out_buttons)
        bv.addLayout(format_row)
        bv.addWidget(self.redo_check)
        bv.addLayout(buttons)
        bv.addWidget(self.progress)
        bv.addWidget(self.eta_label)
        bv.addWidget(self.summary_label)
        bv.addWidget(self.open_output_button)
        return box

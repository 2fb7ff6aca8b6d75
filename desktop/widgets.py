"""Widgets of the window: the before/after viewer (side by side, or one image split by a draggable divider; fit or
100 % zoom), a label and a list rows that elide what does not fit, and a slider that double-click resets."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap,
                           QWheelEvent)
from PySide6.QtWidgets import (QLabel, QSizePolicy, QSlider, QStyle, QStyledItemDelegate, QStyleOptionViewItem,
                               QWidget)

SIDE_BY_SIDE, SPLIT = "side", "split"
FIT, ACTUAL = "fit", "100"
_GAP = 12  # logical pixels between the two side-by-side images
_GRAB = 10  # how near the divider a press grabs it


class CompareView(QWidget):
    """Shows an original and its colorized version for comparison."""

    zoom_changed = Signal(str)  # FIT or ACTUAL, when the wheel changed it
    # colour hints, at positions given as fractions (0..1) of the image's width and height
    hint_added = Signal(float, float)  # a click on the colorized image, away from any hint
    hint_moved = Signal(int, float, float)
    hint_removed = Signal(int)  # right-click on a hint, or Delete after touching it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 180)
        self.setMouseTracking(True)
        self._before: QPixmap | None = None
        self._after: QPixmap | None = None
        self._message = ""
        self.mode = SIDE_BY_SIDE
        self.zoom = FIT
        self.divider = 0.5  # split position, as a fraction of the image width
        self._pan = QPointF(0, 0)  # 100 % zoom: offset of the image centre from the view centre
        self._drag: str | None = None  # 'divider' | 'pan' | 'hint'
        self._drag_from = QPointF()
        self._press_at: QPointF | None = None  # where a press that may become a click began
        self.hints: list[tuple[float, float, QColor]] = []
        self.hints_enabled = False  # markers shown and clicks turned into hints (a colorized image is shown)
        self.selected_hint: int | None = None
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def sizeHint(self) -> QSize:
        return QSize(800, 560)

    # --- content -------------------------------------------------------------------------------------------

    def set_images(self, before: QImage | None, after: QImage | None) -> None:
        """Show these images (None clears one side); the pan is reset when the original changes."""
        new_before = QPixmap.fromImage(before) if before is not None else None
        if new_before is None or self._before is None or new_before.size() != self._before.size():
            self._pan = QPointF(0, 0)
        self._before = new_before
        self._after = QPixmap.fromImage(after) if after is not None else None
        self.update()

    def set_after(self, after: QImage | None) -> None:
        self._after = QPixmap.fromImage(after) if after is not None else None
        self.update()

    def set_hints(self, hints: list[tuple[float, float, QColor]], enabled: bool = True) -> None:
        """The hint markers to draw: (x, y) as fractions of the image, and the colour."""
        self.hints, self.hints_enabled = list(hints), enabled
        if self.selected_hint is not None and self.selected_hint >= len(self.hints):
            self.selected_hint = None
        self.update()

    def set_message(self, text: str) -> None:
        """A line shown over the view, e.g. 'Colorizing the preview…' (empty hides it)."""
        self._message = text
        self.update()

    def has_before(self) -> bool:
        return self._before is not None

    def has_after(self) -> bool:
        return self._after is not None

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def set_zoom(self, zoom: str) -> None:
        self.zoom = zoom
        self._pan = QPointF(0, 0)
        self.update()

    # --- geometry ------------------------------------------------------------------------------------------

    def _areas(self) -> list[QRectF]:
        """The areas images are placed in: two halves side by side, or the whole view when split."""
        r = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        if self.mode == SPLIT:
            return [r]
        w = (r.width() - _GAP) / 2
        return [QRectF(r.left(), r.top(), w, r.height()), QRectF(r.left() + w + _GAP, r.top(), w, r.height())]

    def image_rect(self, area: QRectF | None = None) -> QRectF:
        """Where the image is drawn (logical pixels) inside an area (default: the first)."""
        area = area or self._areas()[0]
        if self._before is None:
            return QRectF()
        # the pixmap's own pixel size: at 100 % one image pixel is one physical screen pixel (high-DPI aware)
        iw, ih = self._before.width(), self._before.height()
        if self.zoom == FIT:
            s = min(area.width() / iw, area.height() / ih)
        else:
            s = 1.0 / self.devicePixelRatioF()
        w, h = iw * s, ih * s
        c = area.center() + (self._pan if self.zoom == ACTUAL else QPointF(0, 0))
        return QRectF(c.x() - w / 2, c.y() - h / 2, w, h)

    def _divider_x(self) -> float:
        r = self.image_rect()
        return r.left() + self.divider * r.width()

    # --- painting ------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom == FIT)
        p.fillRect(self.rect(), self.palette().window().color().darker(115))
        if self._before is None:
            self._text(p, QRectF(self.rect()), self._message or "Select a photo to see it before and after")
            p.end()
            return
        if self.mode == SPLIT:
            self._paint_split(p)
        else:
            self._paint_side(p)
        self._paint_hints(p)
        if self._message:
            self._banner(p, self._message)
        p.end()

    def _paint_side(self, p: QPainter) -> None:
        for area, pix, label in zip(self._areas(), (self._before, self._after), ("Original", "Colorized")):
            p.save()
            p.setClipRect(area)
            if pix is not None:
                p.drawPixmap(self.image_rect(area), pix, QRectF(pix.rect()))
            else:
                p.fillRect(self.image_rect(area), QColor(0, 0, 0, 60))
            self._label(p, area, label)
            p.restore()

    def _paint_split(self, p: QPainter) -> None:
        area = self._areas()[0]
        r = self.image_rect(area)
        x = self._divider_x()
        p.save()
        p.setClipRect(area)
        p.drawPixmap(r, self._before, QRectF(self._before.rect()))
        if self._after is not None:
            p.setClipRect(QRectF(x, area.top(), area.right() - x, area.height()).intersected(area))
            p.drawPixmap(r, self._after, QRectF(self._after.rect()))
        p.restore()
        p.setPen(QPen(QColor(255, 255, 255, 230), 2))
        top, bottom = max(r.top(), area.top()), min(r.bottom(), area.bottom())
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.setBrush(QColor(255, 255, 255, 230))
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawEllipse(QPointF(x, (top + bottom) / 2), 9, 9)
        self._label(p, area, "Original")
        self._label(p, area, "Colorized", right=True)

    def colour_rect(self) -> QRectF:
        """Where the colorized image is drawn: the right half side by side, the whole image when split."""
        return self.image_rect(self._areas()[-1])

    def _hint_point(self, i: int) -> QPointF:
        r, (fx, fy, _) = self.colour_rect(), self.hints[i]
        return QPointF(r.left() + fx * r.width(), r.top() + fy * r.height())

    def _paint_hints(self, p: QPainter) -> None:
        if not self.hints_enabled or self._after is None:
            return
        p.save()
        p.setClipRect(self._areas()[-1])
        for i, (_, _, colour) in enumerate(self.hints):
            c = self._hint_point(i)
            p.setBrush(colour)
            p.setPen(QPen(QColor("white"), 2))
            p.drawEllipse(c, 7, 7)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(0, 0, 0, 200), 3 if i == self.selected_hint else 1))
            p.drawEllipse(c, 9, 9)
        p.restore()

    def _hint_at(self, pos: QPointF) -> int | None:
        if not self.hints_enabled or self._after is None:
            return None
        near = [(abs(self._hint_point(i).x() - pos.x()) + abs(self._hint_point(i).y() - pos.y()), i)
                for i in range(len(self.hints))]
        best = min(near, default=None)
        return best[1] if best is not None and best[0] <= 12 else None

    def _fraction(self, pos: QPointF) -> tuple[float, float] | None:
        r = self.colour_rect()
        if r.width() <= 0 or not r.contains(pos):
            return None
        if self.mode == SPLIT and pos.x() < self._divider_x():
            return None  # left of the divider is the original
        return (pos.x() - r.left()) / r.width(), (pos.y() - r.top()) / r.height()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected_hint is not None:
            index, self.selected_hint = self.selected_hint, None
            self.hint_removed.emit(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def _label(self, p: QPainter, area: QRectF, text: str, right: bool = False) -> None:
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 14, fm.height() + 6
        self._pill(p, QRectF(area.right() - w - 6 if right else area.left() + 6, area.top() + 6, w, h), text, 150, 4)

    def _banner(self, p: QPainter, text: str) -> None:
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 24, fm.height() + 10
        self._pill(p, QRectF((self.width() - w) / 2, self.height() - h - 14, w, h), text, 170, 6)

    @staticmethod
    def _pill(p: QPainter, box: QRectF, text: str, alpha: int, radius: float) -> None:
        """White text on a translucent black rounded box."""
        p.save()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, alpha))
        p.drawRoundedRect(box, radius, radius)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def _text(self, p: QPainter, r: QRectF, text: str) -> None:
        p.setPen(self.palette().windowText().color())
        p.drawText(r, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)

    # --- mouse: drag the divider, pan at 100 % ---------------------------------------------------------------

    def _near_divider(self, pos: QPointF) -> bool:
        return self.mode == SPLIT and self._before is not None and abs(pos.x() - self._divider_x()) <= _GRAB

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._before is None:
            return super().mousePressEvent(event)
        pos = event.position()
        hint = self._hint_at(pos)
        if event.button() == Qt.MouseButton.RightButton and hint is not None:
            self.selected_hint = None
            self.hint_removed.emit(hint)
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._press_at = pos
        if hint is not None:
            self._drag, self.selected_hint = "hint", hint
            self.update()
        elif self._near_divider(pos) or (self.mode == SPLIT and self.zoom == FIT and pos.x() < self._divider_x()):
            # split view: the original's side moves the divider; a click on the colour's side places a hint
            self._drag = "divider"
            self._move_divider(pos.x())
        elif self.zoom == ACTUAL:
            self._drag = "pan"
            self._drag_from = pos
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag == "hint" and self.selected_hint is not None:
            r = self.colour_rect()
            if r.width() > 0:
                fx = min(1.0, max(0.0, (pos.x() - r.left()) / r.width()))
                fy = min(1.0, max(0.0, (pos.y() - r.top()) / r.height()))
                self.hints[self.selected_hint] = (fx, fy, self.hints[self.selected_hint][2])
                self.update()
            return
        if self._drag == "divider":
            self._move_divider(pos.x())
        elif self._drag == "pan":
            self._pan += pos - self._drag_from
            self._drag_from = pos
            self._clamp_pan()
            self.update()
        elif self._near_divider(pos) or (self.mode == SPLIT and self.zoom == FIT and self._before is not None):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self.zoom == ACTUAL and self._before is not None:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.unsetCursor()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, start, self._drag, self._press_at = self._drag, self._press_at, None, None
        self.unsetCursor()
        pos = event.position()
        moved = start is not None and (abs(pos.x() - start.x()) + abs(pos.y() - start.y())) > 4
        if drag == "hint" and self.selected_hint is not None and moved:
            fx, fy, _ = self.hints[self.selected_hint]
            self.hint_moved.emit(self.selected_hint, fx, fy)
        elif drag in (None, "pan") and not moved and event.button() == Qt.MouseButton.LeftButton \
                and self.hints_enabled and self._after is not None:
            where = self._fraction(pos)
            if where is not None:
                self.hint_added.emit(*where)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Wheel up: 100 %, keeping the point under the pointer where it is; wheel down: fit to the view."""
        if self._before is None or not event.angleDelta().y():
            return super().wheelEvent(event)
        pos = event.position()
        if event.angleDelta().y() > 0 and self.zoom == FIT:
            fit = self.image_rect()
            self.zoom = ACTUAL
            actual = self.image_rect()  # centred, unpanned
            if fit.width() > 0:
                # the image point under the pointer, as a fraction of the image, lands under the pointer again
                fx, fy = (pos.x() - fit.left()) / fit.width(), (pos.y() - fit.top()) / fit.height()
                self._pan = QPointF(pos.x() - (actual.left() + fx * actual.width()),
                                    pos.y() - (actual.top() + fy * actual.height()))
                self._clamp_pan()
            self.zoom_changed.emit(ACTUAL)
        elif event.angleDelta().y() < 0 and self.zoom == ACTUAL:
            self.set_zoom(FIT)
            self.zoom_changed.emit(FIT)
        self.update()
        event.accept()

    def _move_divider(self, x: float) -> None:
        r = self.image_rect()
        if r.width() > 0:
            self.divider = min(1.0, max(0.0, (x - r.left()) / r.width()))
            self.update()

    def _clamp_pan(self) -> None:
        area = self._areas()[0]
        r = self.image_rect(area)
        mx, my = max(0.0, (r.width() - area.width()) / 2), max(0.0, (r.height() - area.height()) / 2)
        self._pan = QPointF(min(mx, max(-mx, self._pan.x())), min(my, max(-my, self._pan.y())))


class ElidedLabel(QLabel):
    """A one-line label that shows as much of its text as fits, ending in "…", and the whole text as a tooltip;
    it never makes the window wider."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self.setToolTip(text if text else "")
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 1))
        super().setText(shown)


class FitWidthPicture(QLabel):
    """A picture scaled to the label's width (its height follows, up to max_height); it never makes the window
    wider."""

    def __init__(self, max_height: int = 1_000_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_height = max_height
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._source = QPixmap()

    def set_picture(self, picture: QPixmap) -> None:
        self._source = picture
        self._rescale()
        self.updateGeometry()

    def clear_picture(self) -> None:
        self._source = QPixmap()
        self.clear()
        self.updateGeometry()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return not self._source.isNull()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        if self._source.isNull():
            return 0
        return min(round(width * self._source.height() / self._source.width()), self.max_height)

    def sizeHint(self) -> QSize:
        width = min(self._source.width(), 320)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if not self._source.isNull():
            super().setPixmap(self._source.scaled(max(self.width(), 1), self.heightForWidth(self.width()),
                                                  Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.SmoothTransformation))


class PhotoRowDelegate(QStyledItemDelegate):
    """List rows of one fixed height: the thumbnail, the file name and the photo's state on two lines, each cut
    with "…" to the list's width (a long name or a failure reason never widens the list or wraps a row)."""

    def __init__(self, icon_side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon_side = icon_side

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        width = option.widget.viewport().width() if option.widget is not None else 200
        return QSize(max(width - 4, 40), self.icon_side + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        # Qt hands multi-line item text over with its line breaks as U+2028 (LINE SEPARATOR)
        lines = (opt.text or "").replace("\u2028", "\n").split("\n", 1) + [""]
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        r = opt.rect
        text_left = r.left() + self.icon_side + 12
        text_rect = QRect(text_left, r.top() + 4, max(r.right() - text_left - 4, 10), r.height() - 8)
        fm = QFontMetrics(opt.font)
        painter.save()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        name_colour = opt.palette.highlightedText().color() if selected else opt.palette.text().color()
        state_colour = index.data(Qt.ItemDataRole.ForegroundRole)
        state_colour = name_colour if selected or state_colour is None else state_colour.color()
        half = text_rect.height() // 2
        for i, (line, colour) in enumerate(((lines[0], name_colour), (lines[1], state_colour))):
            painter.setPen(colour)
            line_rect = QRect(text_rect.left(), text_rect.top() + i * half, text_rect.width(), half)
            painter.drawText(line_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             fm.elidedText(line, Qt.TextElideMode.ElideRight, text_rect.width()))
        painter.restore()


class ResettableSlider(QSlider):
    """A slider that goes back to its default value on a double-click."""

    def __init__(self, orientation: Qt.Orientation, default: int, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self.default = default

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.setValue(self.default)
        event.accept()

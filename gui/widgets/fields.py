"""Form fields: a label with an info tip, the input, and an error line under it.

The error shows where the problem is, as the user types: the input gets a red border
(the ``invalid`` property that :data:`gui.widgets.style.PAGE_STYLE` keys on) and the
message appears under it in plain words.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .style import label


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """Give ``widget`` the red border of an invalid input, or take it away."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


class InfoTip(QLabel):
    """A small round "i" that explains a setting in plain words when hovered."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__("i", parent)
        self.setProperty("role", "info")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setToolTip(f"<p style='max-width: 320px'>{text}</p>")
        self.help_text = text
        self.setCursor(Qt.CursorShape.WhatsThisCursor)


class Field(QWidget):
    """``title`` above ``widget``, an optional info tip beside the title, and an error line below.

    ``hint`` is a short grey line under the input that is shown while there is no error.
    """

    def __init__(self, title: str, widget: QWidget, *, help: str | None = None, hint: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.widget = widget
        self.title = label(title, "fieldLabel")
        self.info = InfoTip(help) if help else None
        if help:
            widget.setToolTip(f"<p style='max-width: 320px'>{help}</p>")
        self.hint = label(hint or "", "hint", wrap=True)
        self.hint.setVisible(bool(hint))
        self.error_label = label("", "error", wrap=True)
        self.error_label.setVisible(False)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(6)
        head.addWidget(self.title)
        if self.info:
            head.addWidget(self.info)
        head.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(head)
        layout.addWidget(widget)
        layout.addWidget(self.hint)
        layout.addWidget(self.error_label)
        layout.addStretch(1)  # keeps a row of fields top-aligned when one of them shows an error

    @property
    def error(self) -> str | None:
        return self.error_label.text() or None

    def set_error(self, message: str | None) -> None:
        """Show ``message`` under the input and mark it red; None clears both."""
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        self.hint.setVisible(not message and bool(self.hint.text()))
        mark_invalid(self.widget, bool(message))


def field_message(exc: Exception) -> str:
    """An exception's message without the ``field:`` prefix the model layers put in front."""
    text = str(exc)
    head, sep, rest = text.partition(": ")
    if sep and " " not in head and len(head) < 40:
        return rest[:1].upper() + rest[1:]
    return text

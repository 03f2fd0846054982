"""User text in the app's rich-text labels.

Labels made with :func:`gui.widgets.style.label` show plain text unless asked for rich text,
so a racer named ``<b>x</b><img src=...>`` shows exactly that. Where a label does use rich
text (a bold name, a table of rules), every piece of user text (racer, season, event, track
and model names, reasons) goes in through :func:`esc`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def esc(value) -> str:
    """``value`` as text that rich text shows literally (None: empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def rich(widget: QLabel) -> QLabel:
    """Make ``widget`` render its text as rich text (the caller escapes user text with :func:`esc`)."""
    widget.setTextFormat(Qt.TextFormat.RichText)
    return widget


def plain(widget: QLabel) -> QLabel:
    """Make ``widget`` show its text literally, whatever it looks like."""
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget

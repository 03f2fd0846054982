"""Colours and the stylesheet Trackside's form and table pages share.

A page applies :data:`PAGE_STYLE` to itself; the dynamic properties it keys on are set by
the widgets (``invalid`` by :class:`gui.widgets.fields.Field`, ``role`` by the helpers below).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

ICONS = (Path(__file__).parent / "icons").as_posix()
ACCENT = "#ff9f1c"
ERROR = "#c62828"
OK = "#2e7d32"
MUTED = "#5f6b7a"

STATUS_COLORS = {
    "draft": QColor("#607d8b"),
    "training": QColor("#1565c0"),
    "stopping": QColor("#ef6c00"),
    "ready": QColor("#2e7d32"),
    "failed": QColor("#c62828"),
}
"""Text colour of each model status in tables."""

PAGE_STYLE = f"""
QWidget#page {{ background: #f4f6f9; }}
QScrollArea#pageScroll, QWidget#pageBody {{ background: #f4f6f9; border: none; }}
QFrame#card {{ background: white; border: 1px solid #dfe3e8; border-radius: 8px; }}
QLabel {{ color: #1f2933; font-size: 13px; }}
QLabel[role="title"] {{ font-size: 22px; font-weight: 600; color: #1f242b; }}
QLabel[role="subtitle"] {{ font-size: 13px; color: {MUTED}; }}
QLabel[role="heading"] {{ font-size: 16px; font-weight: 600; color: #1f242b; }}
QLabel[role="step"] {{ font-size: 13px; font-weight: 700; color: white; background: {ACCENT};
    border-radius: 12px; min-width: 24px; max-width: 24px; min-height: 24px; max-height: 24px; }}
QLabel[role="hint"] {{ font-size: 12px; color: {MUTED}; }}
QLabel[role="error"] {{ font-size: 12px; color: {ERROR}; }}
QLabel[role="ok"] {{ font-size: 12px; color: {OK}; }}
QLabel[role="fieldLabel"] {{ font-size: 12px; font-weight: 600; color: #3e4c59; }}
QLabel[role="info"] {{ font-size: 11px; font-weight: 700; color: white; background: #8795a1;
    border-radius: 8px; min-width: 16px; max-width: 16px; min-height: 16px; max-height: 16px; }}
QLabel[role="fact"] {{ font-size: 13px; color: #1f2933; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ border: 1px solid #c5ccd3; border-radius: 4px;
    padding: 4px 6px; background: white; min-height: 20px; font-size: 13px; }}
QAbstractSpinBox {{ padding-left: 6px; }}
QAbstractSpinBox QLineEdit, QComboBox QLineEdit {{ border: none; padding: 0; background: transparent; min-height: 0; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{ subcontrol-origin: border; width: 20px;
    border-left: 1px solid #e3e7eb; }}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QAbstractSpinBox::up-arrow {{ image: url({ICONS}/up.svg); width: 9px; height: 5px; }}
QAbstractSpinBox::down-arrow {{ image: url({ICONS}/down.svg); width: 9px; height: 5px; }}
QComboBox {{ padding-right: 24px; }}
QComboBox::drop-down {{ subcontrol-origin: border; subcontrol-position: center right; width: 24px; border: none; }}
QComboBox::down-arrow {{ image: url({ICONS}/down.svg); width: 10px; height: 6px; }}
QComboBox QAbstractItemView {{ background: white; border: 1px solid #c5ccd3; selection-background-color: #dbe9fb;
    selection-color: #1f242b; }}
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{ border: 1px solid #4a90d9; }}
QLineEdit[invalid="true"], QSpinBox[invalid="true"], QDoubleSpinBox[invalid="true"], QComboBox[invalid="true"],
QPlainTextEdit[invalid="true"] {{ border: 2px solid {ERROR}; background: #fff6f6; }}
QPushButton {{ border: 1px solid #c5ccd3; border-radius: 5px; padding: 6px 14px; background: white;
    font-size: 13px; color: #1f2933; }}
QPushButton:hover {{ background: #eef2f6; }}
QPushButton:disabled {{ color: #a0a8b1; background: #f4f6f9; border-color: #dfe3e8; }}
QPushButton[role="primary"] {{ background: {ACCENT}; border: 1px solid #e68a00; color: #1f242b; font-weight: 600; }}
QPushButton[role="primary"]:hover {{ background: #ffb347; }}
QPushButton[role="primary"]:disabled {{ background: #ffe0b2; color: #8a7a66; }}
QPushButton[role="danger"] {{ color: {ERROR}; }}
QPushButton[role="danger"]:disabled {{ color: #a0a8b1; }}
QTableView, QListWidget {{ background: white; border: 1px solid #dfe3e8; border-radius: 6px;
    font-size: 13px; gridline-color: #eef0f3; selection-background-color: #dbe9fb; selection-color: #1f242b; }}
QTableView::item, QListWidget::item {{ padding: 4px; }}
QHeaderView::section {{ background: #f0f2f5; border: none; border-bottom: 1px solid #dfe3e8;
    padding: 6px; font-weight: 600; color: #3e4c59; font-size: 12px; }}
QRadioButton, QCheckBox {{ font-size: 13px; color: #1f2933; }}
QPlainTextEdit#codeEditor {{ border: 1px solid #c5ccd3; border-radius: 4px; }}
"""


def set_role(widget: QWidget, role: str) -> QWidget:
    """Tag ``widget`` for :data:`PAGE_STYLE` (e.g. "primary", "heading", "error") and restyle it."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    return widget


def label(text: str = "", role: str | None = None, *, wrap: bool = False, rich: bool = False) -> QLabel:
    """A label that shows ``text`` literally; ``rich=True`` for one whose text is HTML (escape
    the user text in it with :func:`gui.rich_text.esc`)."""
    out = QLabel(text)
    out.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if role:
        out.setProperty("role", role)
    out.setWordWrap(wrap)
    return out


def button(text: str, role: str | None = None, tooltip: str = "") -> QPushButton:
    out = QPushButton(text)
    if role:
        out.setProperty("role", role)
    if tooltip:
        out.setToolTip(tooltip)
    return out

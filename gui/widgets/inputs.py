"""Input widgets that leave the mouse wheel to the page unless they have the keyboard focus.

A long form scrolls with the wheel; a stock spin box, combo box or slider under the pointer
takes the wheel for itself and silently changes its value (maximum speed 3.00 became 2.50
while someone scrolled past it). These take the wheel only once clicked or tabbed into;
otherwise the event goes on to the scroll area around them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSlider, QSpinBox


class _WheelNeedsFocus:
    """Mixin: no focus from the wheel, and no value change by the wheel without focus."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the default WheelFocus would take focus first

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # an ignored wheel event goes to the parent: the page scrolls


class SpinBox(_WheelNeedsFocus, QSpinBox):
    """A :class:`QSpinBox` that scrolls the page, not its value, under an unfocused wheel."""


class DoubleSpinBox(_WheelNeedsFocus, QDoubleSpinBox):
    """A :class:`QDoubleSpinBox` that scrolls the page, not its value, under an unfocused wheel."""


class ComboBox(_WheelNeedsFocus, QComboBox):
    """A :class:`QComboBox` that scrolls the page, not its choice, under an unfocused wheel."""


class Slider(_WheelNeedsFocus, QSlider):
    """A :class:`QSlider` that scrolls the page, not its position, under an unfocused wheel."""

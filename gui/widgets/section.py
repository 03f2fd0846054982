"""A numbered card with a heading, as the sections of DeepRacer's create-model form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from .style import label


class Section(QFrame):
    """A white card: a step number, a heading and a one-line explanation, then ``body`` (a layout)."""

    def __init__(self, number: int | None, title: str, subtitle: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 18)
        outer.setSpacing(12)
        head = QHBoxLayout()
        head.setSpacing(10)
        if number is not None:
            step = label(str(number), "step")
            step.setAlignment(Qt.AlignmentFlag.AlignCenter)
            head.addWidget(step)
        self.heading = label(title, "heading")
        head.addWidget(self.heading)
        head.addStretch(1)
        outer.addLayout(head)
        if subtitle:
            outer.addWidget(label(subtitle, "hint", wrap=True))
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        outer.addLayout(self.body)

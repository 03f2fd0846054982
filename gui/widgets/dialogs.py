"""The few dialogs pages need, in one place so tests can patch them the same way everywhere."""

from __future__ import annotations

import html

from PySide6.QtGui import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


def literal(text: str) -> str:
    """``text`` as a message box shows it, literally: Qt guesses rich text from anything that
    looks like a tag (a racer named ``<b>x</b>``), so such text goes in escaped."""
    if not Qt.mightBeRichText(text):
        return text
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def confirm(parent: QWidget, title: str, text: str, *, yes: str = "Yes") -> bool:
    """Ask a yes/no question; True only when the user says yes."""
    answer = QMessageBox.question(parent, title, literal(text),
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget, title: str, message: str) -> None:
    """A problem in plain words (never a traceback)."""
    QMessageBox.warning(parent, title, literal(message))


def show_info(parent: QWidget, title: str, message: str) -> None:
    """A result to read (several plain lines), shown literally."""
    QMessageBox.information(parent, title, literal(message))


def ask_text(parent: QWidget, title: str, prompt: str, default: str = "") -> str | None:
    """One line of text, stripped; None when the user cancels or leaves it empty."""
    text, ok = QInputDialog.getText(parent, title, prompt, QLineEdit.EchoMode.Normal, default)
    text = text.strip() if ok else ""
    return text or None

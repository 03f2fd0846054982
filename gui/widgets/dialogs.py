"""The few dialogs pages need, in one place so tests can patch them the same way everywhere."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, *, yes: str = "Yes") -> bool:
    """Ask a yes/no question; True only when the user says yes."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget, title: str, message: str) -> None:
    """A problem in plain words (never a traceback)."""
    QMessageBox.warning(parent, title, message)


def ask_text(parent: QWidget, title: str, prompt: str, default: str = "") -> str | None:
    """One line of text, stripped; None when the user cancels or leaves it empty."""
    text, ok = QInputDialog.getText(parent, title, prompt, QLineEdit.EchoMode.Normal, default)
    text = text.strip() if ok else ""
    return text or None

"""The review dialog for a reward function that came from elsewhere (an imported archive):
the code, read-only, with Accept and Cancel. The rule itself lives in :mod:`trainer.reward_trust`;
training refuses an unaccepted reward whoever starts it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from trainer import reward_trust

from .code_editor import CodeEditor
from .style import label


class RewardReviewDialog(QDialog):
    """Shows ``source`` read-only; :meth:`exec` returns Accepted only when the user presses Accept."""

    def __init__(self, name: str, source: str, origin: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Review the reward function of {name}")
        self.resize(760, 560)
        self.editor = CodeEditor()
        self.editor.setPlainText(source)
        self.editor.setReadOnly(True)
        intro = label(f"This reward function came from {origin}. It is Python code that runs with your rights "
                      "(it can read and write your files) when you train or validate. Read it, and accept it "
                      "only if you trust it.", "hint", wrap=True)
        intro.setTextFormat(Qt.TextFormat.PlainText)  # the origin text is not markup
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = self.buttons.addButton("Accept and run it", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.buttons)


def review_reward(parent: QWidget, model) -> bool:
    """True when ``model``'s reward function may run: it was trusted, or the user read and accepted it now."""
    if reward_trust.is_trusted(model.path):
        return True
    source, digest = reward_trust.read_for_review(model.path)
    dialog = RewardReviewDialog(model.name, source, reward_trust.origin(model.path), parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    reward_trust.accept(model.path, digest)
    return True

"""DeepRacer's hyperparameters as a form: DeepRacer's names and defaults, each with an info
tip in plain words (:data:`trainer.hyperparameters.HELP`) and its range checked as typed."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from trainer.hyperparameters import CHOICES, HELP, USED_BY, HyperparameterError, Hyperparameters

from .fields import Field, field_message
from .inputs import ComboBox

MAIN = ("batch_size", "num_epochs", "lr", "beta_entropy", "discount_factor", "loss_type",
        "num_episodes_between_training", "term_cond_max_episodes", "sac_alpha")
"""The console's fields first (PPO's and SAC's; the chosen algorithm's are enabled, see
:meth:`HyperparameterForm.set_algorithm`); the rest are kept for DeepRacer files but not used by
Trackside (``term_cond_avg_score`` among them: DeepRacer ignores it too)."""
TITLES = {
    "batch_size": "Gradient descent batch size", "num_epochs": "Number of epochs", "lr": "Learning rate",
    "beta_entropy": "Entropy", "discount_factor": "Discount factor", "loss_type": "Loss type",
    "num_episodes_between_training": "Episodes between each training",
    "term_cond_avg_score": "Average score (not used)", "term_cond_max_episodes": "Maximum training iterations",
    "exploration_type": "Exploration type", "e_greedy_value": "E-greedy value", "epsilon_steps": "Epsilon steps",
    "stack_size": "Frame stack size", "sac_alpha": "SAC alpha",
}
_LABEL_CHOICES = {"loss_type": ("huber", "mean squared error")}  # "mse" is the same as the second


class HyperparameterForm(QWidget):
    """Emits :attr:`changed` on every edit; :meth:`hyperparameters` gives the values or None."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        defaults = Hyperparameters()
        self.inputs: dict[str, QWidget] = {}
        self.fields: dict[str, Field] = {}
        main, more = QGridLayout(), QGridLayout()
        for grid in (main, more):
            grid.setHorizontalSpacing(18)
            grid.setVerticalSpacing(10)
        extra = [f.name for f in fields(Hyperparameters) if f.name not in MAIN]
        for names, grid in ((MAIN, main), (extra, more)):
            for i, name in enumerate(names):
                value = getattr(defaults, name)
                if name in CHOICES:
                    box = ComboBox()
                    box.addItems(_LABEL_CHOICES.get(name, CHOICES[name]))
                    box.setCurrentText(value)
                    box.currentTextChanged.connect(self._changed)
                else:
                    box = QLineEdit(f"{value:g}" if isinstance(value, float) else str(value))
                    box.textChanged.connect(self._changed)
                box.setObjectName(name)
                self.inputs[name] = box
                self.fields[name] = Field(TITLES.get(name, name), box, help=HELP[name], hint=name)
                grid.addWidget(self.fields[name], i // 3, i % 3)
        for grid in (main, more):
            for col in range(3):
                grid.setColumnStretch(col, 1)
        self.more = QWidget()
        self.more.setLayout(more)
        self.more.setVisible(False)
        self.toggle = QPushButton("Show more hyperparameters (kept for DeepRacer; Trackside does not use them)")
        self.toggle.setFlat(True)
        self.toggle.setStyleSheet("text-align: left; color: #1565c0; border: none; padding: 2px 0;")
        self.toggle.clicked.connect(self._toggle_more)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(main)
        layout.addWidget(self.toggle)
        layout.addWidget(self.more)
        self.set_algorithm("clipped_ppo")

    def set_algorithm(self, algorithm: str) -> None:
        """Enable the main fields ``algorithm`` (``clipped_ppo`` or ``sac``) uses; grey out the others
        (their values are still kept in hyperparameters.json, as DeepRacer keeps them)."""
        used = USED_BY[algorithm]
        for name in MAIN:
            self.inputs[name].setEnabled(name in used)
            self.fields[name].setToolTip("" if name in used else f"Not used by {algorithm}")

    def _toggle_more(self) -> None:
        show = not self.more.isVisible()
        self.more.setVisible(show)
        self.toggle.setText(self.toggle.text().replace("Show", "Hide") if show else
                            self.toggle.text().replace("Hide", "Show"))

    def set_value(self, name: str, value) -> None:
        box = self.inputs[name]
        if isinstance(box, QComboBox):
            box.setCurrentText(str(value))
        else:
            box.setText(str(value))

    def _parse(self, name: str):
        box = self.inputs[name]
        if isinstance(box, QComboBox):
            return box.currentText()
        text = box.text().strip()
        kind = type(getattr(Hyperparameters(), name))
        try:
            return kind(text) if kind is int else float(text)
        except ValueError:
            raise HyperparameterError(f"{name}: expected {'a whole number' if kind is int else 'a number'}, "
                                      f"got {text!r}") from None

    def values(self) -> tuple[dict, dict[str, str]]:
        """Parsed values and the error of each invalid field."""
        values, errors = {}, {}
        for name in self.inputs:
            try:
                values[name] = self._parse(name)
                Hyperparameters(**{name: values[name]})  # checks this one field's range
            except HyperparameterError as exc:
                errors[name] = field_message(exc)
        return values, errors

    def hyperparameters(self) -> Hyperparameters | None:
        values, errors = self.values()
        return None if errors else Hyperparameters(**values)

    def errors(self) -> dict[str, str]:
        return {k: f.error for k, f in self.fields.items() if f.error}

    def _changed(self) -> None:
        _, errors = self.values()
        for name, f in self.fields.items():
            f.set_error(errors.get(name))
        self.changed.emit()

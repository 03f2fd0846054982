"""The action-space section of the create-model form: discrete (the console's four numbers,
with the resulting action table shown live) or continuous ranges.

Inputs accept more than DeepRacer allows on purpose: a value out of range is shown with its
reason under the field rather than silently clamped, so the user learns the limits.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QHBoxLayout, QRadioButton, QStackedWidget, QVBoxLayout, QWidget

from sim.actions import SPEED_LIMITS, STEERING_LIMIT, ActionSpace, ActionSpaceError

from .action_table import ActionTable
from .fields import Field, field_message
from .inputs import DoubleSpinBox, SpinBox
from .style import label

HELP = {
    "max_speed": "The fastest speed the car may ask for, in metres per second (0.1 to 4). Faster laps are "
                 "possible with a higher top speed, but the car needs longer to learn to stay on the road.",
    "speed_levels": "How many different speeds the car can choose from, evenly spaced up to the top speed.",
    "max_steering": "The sharpest steering angle either way, in degrees (at most 30).",
    "steering_levels": "How many steering angles the car can choose from, spread evenly from full right to "
                       "full left. Must be odd (3, 5, 7 ...) so that straight ahead is one of them.",
}


def _spin(lo, hi, value, step, decimals=None, suffix=""):
    box = DoubleSpinBox() if decimals is not None else SpinBox()
    if decimals is not None:
        box.setDecimals(decimals)
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setKeyboardTracking(True)
    return box


class ActionSpaceEditor(QWidget):
    """Emits :attr:`changed` whenever the space (or its validity) changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.discrete_radio = QRadioButton("Discrete actions (a fixed list; what most people start with)")
        self.continuous_radio = QRadioButton("Continuous (any steering and speed within ranges)")
        self.discrete_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.discrete_radio)
        group.addButton(self.continuous_radio)
        # Discrete: the console's four numbers.
        self.max_speed = _spin(0.0, 10.0, 3.0, 0.1, 2, " m/s")
        self.speed_levels = _spin(1, 10, 3, 1)
        self.max_steering = _spin(0.0, 90.0, 30.0, 5.0, 1, "°")
        self.steering_levels = _spin(1, 15, 5, 1)
        self.fields = {
            "max_speed": Field("Maximum speed", self.max_speed, help=HELP["max_speed"]),
            "speed_levels": Field("Speed levels", self.speed_levels, help=HELP["speed_levels"]),
            "max_steering": Field("Maximum steering angle", self.max_steering, help=HELP["max_steering"]),
            "steering_levels": Field("Steering levels", self.steering_levels, help=HELP["steering_levels"]),
        }
        self.table = ActionTable()
        self.table.setMinimumHeight(220)
        self.count = label("", "hint")
        discrete = QWidget()
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(10)
        for i, key in enumerate(("max_speed", "speed_levels", "max_steering", "steering_levels")):
            grid.addWidget(self.fields[key], i, 0)
        grid.setRowStretch(4, 1)
        right = QVBoxLayout()
        right.addWidget(self.count)
        right.addWidget(self.table, 1)
        row = QHBoxLayout(discrete)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(20)
        row.addLayout(grid, 2)
        row.addLayout(right, 3)
        # Continuous: two ranges.
        self.steer_low = _spin(-90.0, 90.0, -30.0, 5.0, 1, "°")
        self.steer_high = _spin(-90.0, 90.0, 30.0, 5.0, 1, "°")
        self.speed_low = _spin(0.0, 10.0, 0.5, 0.1, 2, " m/s")
        self.speed_high = _spin(0.0, 10.0, 4.0, 0.1, 2, " m/s")
        self.range_fields = {
            "steering": Field("Steering angle range (low, high)", self._pair(self.steer_low, self.steer_high),
                              help="The steering angles the car may use, degrees; -30 to 30 at most. "
                                   "Negative is right, positive left."),
            "speed": Field("Speed range (low, high)", self._pair(self.speed_low, self.speed_high),
                           help="The speeds the car may use, m/s; 0.1 to 4 at most."),
        }
        continuous = QWidget()
        cbox = QVBoxLayout(continuous)
        cbox.setContentsMargins(0, 0, 0, 0)
        for f in self.range_fields.values():
            cbox.addWidget(f)
        cbox.addStretch(1)
        self.stack = QStackedWidget()
        self.stack.addWidget(discrete)
        self.stack.addWidget(continuous)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.discrete_radio)
        layout.addWidget(self.continuous_radio)
        layout.addWidget(self.stack)
        for box in (self.max_speed, self.speed_levels, self.max_steering, self.steering_levels,
                    self.steer_low, self.steer_high, self.speed_low, self.speed_high):
            box.valueChanged.connect(self._update)
        self.discrete_radio.toggled.connect(self._update)
        self.space: ActionSpace | None = None
        self._update()

    @staticmethod
    def _pair(low, high) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(low)
        row.addWidget(label("to", "hint"))
        row.addWidget(high)
        row.addStretch(1)
        return w

    @property
    def kind(self) -> str:
        return "discrete" if self.discrete_radio.isChecked() else "continuous"

    def errors(self) -> dict[str, str]:
        """Field name to message, for every invalid field."""
        out = {k: f.error for k, f in {**self.fields, **self.range_fields}.items() if f.error}
        return out if self.kind == "discrete" else {k: v for k, v in out.items() if k in self.range_fields}

    def _update(self) -> None:
        self.stack.setCurrentIndex(0 if self.kind == "discrete" else 1)
        self.space = self._discrete() if self.kind == "discrete" else self._continuous()
        self.table.set_space(self.space if self.kind == "discrete" else None)
        n = self.space.n if self.space is not None and self.kind == "discrete" else 0
        self.count.setText(f"{n} actions: every speed with every steering angle" if n else
                           "Fix the marked fields to see the actions")
        self.changed.emit()

    def _discrete(self) -> ActionSpace | None:
        values = {"max_speed": self.max_speed.value(), "speed_levels": self.speed_levels.value(),
                  "max_steering": self.max_steering.value(), "steering_levels": self.steering_levels.value()}
        errors = {}
        lo, hi = SPEED_LIMITS
        if not lo <= values["max_speed"] <= hi:
            errors["max_speed"] = f"Must be {lo:g} to {hi:g} m/s (DeepRacer's limits)"
        if values["max_steering"] > STEERING_LIMIT:
            errors["max_steering"] = f"At most {STEERING_LIMIT:g}° either way"
        if values["steering_levels"] % 2 == 0:
            errors["steering_levels"] = "Must be odd (3, 5, 7 ...) so the car can drive straight ahead"
        space = None
        if not errors:
            try:
                space = ActionSpace.from_console(**values)
            except ActionSpaceError as exc:
                key = str(exc).partition(":")[0]
                errors[key if key in self.fields else "max_speed"] = field_message(exc)
        for key, f in self.fields.items():
            f.set_error(errors.get(key))
        return space

    def _continuous(self) -> ActionSpace | None:
        errors = {}
        try:
            ActionSpace.continuous((self.steer_low.value(), self.steer_high.value()), (0.5, 1.0))
        except ActionSpaceError as exc:
            errors["steering"] = field_message(exc)
        try:
            ActionSpace.continuous((-30.0, 30.0), (self.speed_low.value(), self.speed_high.value()))
        except ActionSpaceError as exc:
            errors["speed"] = field_message(exc)
        for key, f in self.range_fields.items():
            f.set_error(errors.get(key))
        if errors:
            return None
        return ActionSpace.continuous((self.steer_low.value(), self.steer_high.value()),
                                      (self.speed_low.value(), self.speed_high.value()))

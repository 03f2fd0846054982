"""The race type a model trains for, with its object settings (the create-model form's part of
DeepRacer's "Race type" step): time trial, object avoidance (boxes) or head-to-bot (bot cars).

Only the chosen race type's settings are shown; what the form gives is what
``trackside model create --race-type ...`` would store (:func:`trainer.race.settings_from_options`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from gui.widgets.fields import Field
from gui.widgets.inputs import ComboBox, DoubleSpinBox, SpinBox

RACE_TYPES = (
    ("time_trial", "Time trial", "The track to itself: the car races the clock."),
    ("object_avoidance", "Object avoidance",
     "Boxes stand on the track, in the inner and outer lanes; touching one ends the episode (crashed)."),
    ("head_to_bot", "Head-to-bot",
     "Bot cars drive the lap at a steady speed; touching one ends the episode (crashed)."),
)
"""(DeepRacer ``RACE_TYPE`` in lower case, title, one-line explanation)."""


class RaceTypePicker(QWidget):
    """A race-type choice and the settings of the chosen type. Emits ``changed``."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = ComboBox()
        for value, title, help_text in RACE_TYPES:
            self.kind.addItem(title, value)
            self.kind.setItemData(self.kind.count() - 1, help_text, Qt.ItemDataRole.ToolTipRole)
        self.obstacles = SpinBox(minimum=1, maximum=20, value=6)  # DfC's DR_OA_NUMBER_OF_OBSTACLES=6
        self.randomize = QCheckBox("New random places every episode")
        self.bots = SpinBox(minimum=1, maximum=10, value=3)  # DfC's DR_H2B_NUMBER_OF_BOT_CARS=3
        self.bot_speed = DoubleSpinBox(decimals=2, minimum=0.05, maximum=4.0, value=0.2, singleStep=0.1,
                                       suffix=" m/s")  # DfC's DR_H2B_BOT_CAR_SPEED=0.2
        self.lane_change = QCheckBox("Bot cars change lanes (every 3 to 5 s)")
        self.oa_box, self.h2b_box = QWidget(), QWidget()
        oa, h2b = QHBoxLayout(self.oa_box), QHBoxLayout(self.h2b_box)
        for layout in (oa, h2b):
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(18)
        oa.addWidget(Field("Obstacles", self.obstacles, help="Boxes on the track (NUMBER_OF_OBSTACLES)."))
        oa.addWidget(self.randomize)
        oa.addStretch(1)
        h2b.addWidget(Field("Bot cars", self.bots, help="Cars driving the lap (NUMBER_OF_BOT_CARS)."))
        h2b.addWidget(Field("Bot car speed", self.bot_speed, help="Their steady speed (BOT_CAR_SPEED)."))
        h2b.addWidget(self.lane_change)
        h2b.addStretch(1)
        self.kind_field = Field("Race type", self.kind, help=" ".join(f"{t}: {h}" for _, t, h in RACE_TYPES))
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.kind_field)
        column.addWidget(self.oa_box)
        column.addWidget(self.h2b_box)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for signal in (self.obstacles.valueChanged, self.randomize.toggled, self.bots.valueChanged,
                       self.bot_speed.valueChanged, self.lane_change.toggled):
            signal.connect(self.changed)
        self._kind_changed()

    def race_type(self) -> str:
        return self.kind.currentData()

    def set_race_type(self, value: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(value))

    def _kind_changed(self, *_args) -> None:
        self.oa_box.setVisible(self.race_type() == "object_avoidance")
        self.h2b_box.setVisible(self.race_type() == "head_to_bot")
        self.changed.emit()

    def choice(self) -> tuple[str, dict]:
        """(race type, its settings by DeepRacer's names); raises :class:`trainer.race.RaceTypeError`."""
        from trainer.race import settings_from_options

        race = self.race_type()
        if race == "object_avoidance":
            return race, settings_from_options(race, obstacles=self.obstacles.value(),
                                               randomize_obstacles=self.randomize.isChecked())
        if race == "head_to_bot":
            return race, settings_from_options(race, bots=self.bots.value(), bot_speed=self.bot_speed.value(),
                                               lane_change=self.lane_change.isChecked())
        return race, {}

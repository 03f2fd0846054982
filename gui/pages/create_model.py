"""Create model: DeepRacer's console form, section by section, pre-filled so that a first
model on the Workshop Loop is one click ("Create and train") away.

Every field is checked as it changes and marked where it is; the reward function is
validated off the GUI thread. Creating refuses whatever ``trackside model create`` refuses.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QFrame, QGridLayout, QHBoxLayout, QLineEdit, QRadioButton,
                               QScrollArea, QVBoxLayout, QWidget)

from gui.pages.create_model_io import ALGORITHM_HELP, ALGORITHMS, NETWORKS, SENSORS, build_model, default_name
from gui.widgets.action_space_editor import ActionSpaceEditor
from gui.widgets.fields import Field, field_message
from gui.widgets.hyperparameter_form import HyperparameterForm
from gui.widgets.inputs import ComboBox, DoubleSpinBox, SpinBox
from gui.widgets.race_type_picker import RaceTypePicker
from gui.widgets.reward_editor import RewardEditor
from gui.widgets.section import Section
from gui.widgets.style import PAGE_STYLE, button, label
from gui.widgets.track_picker import TrackPicker

DEFAULT_TRACK = "workshop_loop"


class CreateModelPage(QWidget):
    """The create-model form. Emits ``ctx.models_changed``; "Create and train" also
    ``ctx.train_requested(name)`` and opens the Training page."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("page")
        self.setStyleSheet(PAGE_STYLE)
        self._name_touched = False
        self._pending: str | None = None  # "create" or "train", waiting for the reward check
        body = QWidget(objectName="pageBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(28, 24, 28, 24)
        column.setSpacing(16)
        column.addWidget(label("Create model", "title"))
        column.addWidget(label("Work through the sections in order. Everything is filled in with settings that "
                               "train a first model on the Workshop Loop: you can press “Create and train” right "
                               "away and change things later in a clone.", "subtitle", wrap=True))
        for section in (self._details(), self._environment(), self._action_space(), self._sensor(),
                        self._reward(), self._hyperparameters(), self._stop_conditions()):
            column.addWidget(section)
        column.addStretch(1)
        self.scroll = QScrollArea(objectName="pageScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(body)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self._footer())
        self.name.textEdited.connect(self._name_edited)
        self.name.textChanged.connect(self._check_name)
        self.actions.changed.connect(self._actions_changed)
        self.actions.changed.connect(self._algorithm_changed)
        for changed in (self.name.textChanged, self.actions.changed, self.hyper.changed,
                        self.algorithm.currentIndexChanged):
            changed.connect(self._refresh_problems)
        self.reward.validated.connect(self._reward_checked)
        ctx.models_changed.connect(self._check_name)
        ctx.tracks_changed.connect(self._tracks_changed)
        self.reset_name()
        self._actions_changed()

    # -- sections -----------------------------------------------------------------------------
    def _details(self) -> Section:
        s = Section(1, "Model details", "A name to find the model by, and a note for yourself.")
        self.name = QLineEdit()
        self.name.setMaxLength(80)
        self.name.setPlaceholderText("letters, digits, - and _")
        self.description = QLineEdit()
        self.description.setPlaceholderText("optional, e.g. “centre line, 3 speeds, first try”")
        self.name_field = Field("Model name", self.name, help="1 to 64 letters, digits, '-' or '_'. It names the "
                                "model's folder and its file when exported.")
        row = QHBoxLayout()
        row.setSpacing(18)
        row.addWidget(self.name_field, 1)
        row.addWidget(Field("Description", self.description), 2)
        s.body.addLayout(row)
        return s

    def _environment(self) -> Section:
        s = Section(2, "Environment", "The track the model trains on (competition tracks are not listed: races "
                                      "run on them). The blue line is the fastest line round it.")
        self.tracks = TrackPicker(preferred=DEFAULT_TRACK)
        self.tracks.setMinimumHeight(300)
        self.direction = ComboBox()
        self.direction.addItems(["Normal (as drawn)", "Reversed"])
        self.direction.setToolTip("Normal drives the way the track file runs, from the white start line.")
        self.alternate = QCheckBox("Alternate direction")
        self.alternate.setToolTip("Every other episode drives the track the other way round.")
        self.round_robin = QCheckBox("Round robin start")
        self.round_robin.setToolTip("Each episode starts 5% of a lap further on than the last, so every "
                                    "corner gets practised from the start.")
        self.round_robin.setChecked(True)
        self.tracks.left.addWidget(Field("Direction", self.direction))
        self.tracks.left.addWidget(self.alternate)
        self.tracks.left.addWidget(self.round_robin)
        s.body.addWidget(self.tracks)
        self.race = RaceTypePicker()
        s.body.addWidget(self.race)
        return s

    def _action_space(self) -> Section:
        s = Section(3, "Action space", "What the car can do: each action is a steering angle with a speed. "
                                       "The network picks one action 15 times a second.")
        self.actions = ActionSpaceEditor()
        s.body.addWidget(self.actions)
        return s

    def _sensor(self) -> Section:
        s = Section(4, "Sensor", "What the car perceives. The network's input is shaped by it, so it cannot "
                                 "change after creation.")
        self.sensor_group = QButtonGroup(self)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        for i, (name, title, text) in enumerate(SENSORS):
            radio = QRadioButton(title)
            radio.setProperty("sensor", name)
            radio.setChecked(i == 0)
            self.sensor_group.addButton(radio)
            grid.addWidget(radio, i, 0)
            grid.addWidget(label(text, "hint", wrap=True), i, 1)
        self.network_box = ComboBox()
        for name, title in NETWORKS:
            self.network_box.addItem(title, name)
        grid.addWidget(Field("Network", self.network_box, help="DeepRacer's network for the camera image (a lidar "
                             "alone uses a small MLP). Deeper networks see more and train slower."),
                       len(SENSORS), 0, 1, 2)
        grid.setColumnStretch(1, 1)
        s.body.addLayout(grid)
        return s

    def _reward(self) -> Section:
        s = Section(5, "Reward function", "Python, exactly as in DeepRacer: reward_function(params) returns a "
                                          "number. It is tried on sample situations on the chosen track.")
        self.reward = RewardEditor(self._track)
        s.body.addWidget(self.reward)
        return s

    def _hyperparameters(self) -> Section:
        s = Section(6, "Training algorithm and hyperparameters",
                    "How the network learns, with DeepRacer's names. The defaults are good for a first model; "
                    "hover the (i) for what each one does.")
        self.algorithm = ComboBox()
        for key, title in ALGORITHMS:
            self.algorithm.addItem(title, key)
        self.algorithm_field = Field("Training algorithm", self.algorithm, help=ALGORITHM_HELP)
        self.hyper = HyperparameterForm()
        self.algorithm.currentIndexChanged.connect(self._algorithm_changed)
        s.body.addWidget(self.algorithm_field)
        s.body.addWidget(self.hyper)
        return s

    def _stop_conditions(self) -> Section:
        s = Section(7, "Stop conditions", "Training stops at whichever limit comes first; you can also stop it "
                                          "yourself at any time and keep the best checkpoint.")
        self.max_minutes = DoubleSpinBox(decimals=0, minimum=1, maximum=43200, value=10, suffix=" min")
        self.max_episodes = SpinBox(minimum=0, maximum=10_000_000, value=0, singleStep=100)
        self.max_episodes.setSpecialValueText("no limit")
        self.target_progress = DoubleSpinBox(decimals=0, minimum=0, maximum=100, value=0, suffix=" %")
        self.target_progress.setSpecialValueText("off")
        self.n_cars = SpinBox(minimum=1, maximum=256, value=32)
        self.seed = SpinBox(minimum=0, maximum=2**31 - 1, value=0)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.addWidget(Field("Maximum time", self.max_minutes, help="Wall-clock training time."), 0, 0)
        grid.addWidget(Field("Maximum episodes", self.max_episodes,
                             help="Stop after this many episodes in one run. The hyperparameter "
                                  "term_cond_max_episodes is a separate limit on training iterations."), 0, 1)
        grid.addWidget(Field("Target evaluation progress", self.target_progress,
                             help="Stop once the evaluation after an iteration reaches this mean progress "
                                  "(100 % = every evaluation lap completed)."), 0, 2)
        grid.addWidget(label("Advanced", "fieldLabel"), 1, 0, 1, 3)
        grid.addWidget(Field("Cars at once", self.n_cars, help="Cars driving at the same time, each on its own "
                             "copy of the track. More cars gather experience faster on a multi-core machine."), 2, 0)
        grid.addWidget(Field("Random seed", self.seed, help="The same seed and settings train the same model."), 2, 1)
        for col in range(3):
            grid.setColumnStretch(col, 1)
        s.body.addLayout(grid)
        return s

    def _footer(self) -> QWidget:
        bar = QFrame(objectName="card")
        bar.setStyleSheet("QFrame#card { border-radius: 0; border-width: 1px 0 0 0; }")
        row = QHBoxLayout(bar)
        row.setContentsMargins(28, 10, 28, 10)
        self.problems = label("", "error", wrap=True)
        self.create_button = button("Create model", tooltip="Create the model as a draft; train it later")
        self.train_button = button("Create and train", "primary", tooltip="Create the model and start training")
        self.create_button.clicked.connect(lambda: self.submit("create"))
        self.train_button.clicked.connect(lambda: self.submit("train"))
        row.addWidget(self.problems, 1)
        row.addWidget(self.create_button)
        row.addWidget(self.train_button)
        return bar

    # -- reactions ----------------------------------------------------------------------------
    def on_shown(self) -> None:
        if not self._name_touched:
            self.reset_name()
        if self.reward.state == "unchecked":  # show the template's sample rewards without a click
            self.reward.validate()

    def _tracks_changed(self) -> None:
        self.tracks.reload()

    def reset_name(self) -> None:
        self.name.setText(default_name(self.ctx.store))
        self._name_touched = False

    def _name_edited(self, _text: str) -> None:
        self._name_touched = True

    def _check_name(self) -> None:
        from trainer.model_store import ModelStoreError

        try:
            self.ctx.store.check_new_name(self.name.text().strip())
            self.name_field.set_error(None)
        except ModelStoreError as exc:
            self.name_field.set_error(field_message(exc))

    def _actions_changed(self) -> None:
        space = self.actions.space
        if space is not None:
            self.tracks.set_max_speed(min(4.0, space.max_speed))

    def training_algorithm(self) -> str:
        """``clipped_ppo`` or ``sac``, DeepRacer's names."""
        return self.algorithm.currentData()

    def _algorithm_error(self) -> str | None:
        if self.training_algorithm() == "sac" and self.actions.kind == "discrete":
            return "SAC needs a continuous action space, as in DeepRacer: choose Continuous above, or PPO"
        return None

    def _algorithm_changed(self, *_args) -> None:
        self.hyper.set_algorithm(self.training_algorithm())
        self.algorithm_field.set_error(self._algorithm_error())

    def _track(self):
        from sim.library import load_track

        name = self.tracks.current()
        if name is None:
            raise ValueError("choose a track first")
        return load_track(name)

    def sensor(self) -> str:
        """The chosen sensors, DeepRacer names joined by ``+``."""
        return self.sensor_group.checkedButton().property("sensor")

    def network(self) -> str:
        """The chosen DeepRacer ``neural_network`` name."""
        return self.network_box.currentData()

    def errors(self) -> dict[str, tuple[str, QWidget]]:
        """Every problem on the form: key to (message, the field to scroll to)."""
        self._check_name()
        out = {}
        if self.name_field.error:
            out["name"] = (self.name_field.error, self.name_field)
        if self.tracks.current() is None:
            out["track"] = ("Choose a track", self.tracks)
        for key, message in self.actions.errors().items():
            out[key] = (message, self.actions)
        if self._algorithm_error():
            out["training_algorithm"] = (self._algorithm_error(), self.algorithm_field)
        if self.actions.space is None and not self.actions.errors():
            out["action_space"] = ("The action space is not valid", self.actions)
        _, hp_errors = self.hyper.values()
        for key, message in hp_errors.items():
            out[key] = (message, self.hyper.fields[key])
            if key not in self.hyper.fields or not self.hyper.fields[key].isVisibleTo(self.hyper):
                self.hyper.more.setVisible(True)
        if self.reward.state == "failed" and not self.reward.is_valid():
            out["reward"] = ("The reward function does not pass validation", self.reward)
        return out

    # -- creating -----------------------------------------------------------------------------
    def submit(self, what: str) -> None:
        """Create the model ("create") or create it and start training ("train")."""
        problems = self.errors()
        if problems:
            self._show_problems(problems)
            return
        if not self.reward.is_valid():
            self._pending = what
            self.problems.setText("Checking the reward function first…")
            self._set_busy(True)
            self.reward.validate()
            return
        self._create(what)

    def _reward_checked(self, report) -> None:
        what, self._pending = self._pending, None
        if what is None:  # checked while typing: a shown refusal must not outlive its reason
            self._refresh_problems()
            return
        self._set_busy(False)
        if not report.ok:
            self._show_problems({"reward": (f"The reward function fails validation: {report.error}", self.reward)})
            return
        self.submit(what)

    def _set_busy(self, busy: bool) -> None:
        self.create_button.setEnabled(not busy)
        self.train_button.setEnabled(not busy)

    def _show_problems(self, problems: dict, scroll: bool = True) -> None:
        first = next(iter(problems.values()))
        more = f" (and {len(problems) - 1} more marked above)" if len(problems) > 1 else ""
        self.problems.setText(f"Cannot create yet: {first[0]}{more}")
        if scroll:
            self.scroll.ensureWidgetVisible(first[1], 0, 60)

    def _refresh_problems(self) -> None:
        """A shown "Cannot create yet" follows the form: it names what is still wrong, or goes."""
        if not self.problems.text().startswith("Cannot create yet"):
            return
        problems = self.errors()
        if problems:
            self._show_problems(problems, scroll=False)
        else:
            self.problems.setText("")

    def _create(self, what: str) -> None:
        try:
            model = build_model(self)
        except Exception as exc:  # every refusal reads as a message, never a traceback
            from gui.widgets.dialogs import show_error

            self.problems.setText(f"Cannot create: {field_message(exc)}")
            show_error(self, "Cannot create the model", str(exc))
            return
        self.problems.setText("")
        name = model.name
        self.ctx.models_changed.emit()
        self.ctx.status_message.emit(f"Created model {name}")
        self.reset_name()
        self.ctx.model_selected.emit(name)
        if what == "train":
            self.ctx.train_requested.emit(name)
            self.ctx.open_page.emit("Training")
        else:
            self.ctx.open_page.emit("Models")

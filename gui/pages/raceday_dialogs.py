"""The Race day page's queue panel and its dialogs: set up or edit an event, queue a racer (a walk-up).

The dialogs are :class:`gui.pages.league_dialogs.FormDialog` s: a refusal (a name taken, a session
length out of 1-10 minutes, a racer already queued, a model with no checkpoint) shows in
red under the form, which stays open with what was typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFrame, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem,
                               QSpinBox, QVBoxLayout)

from gui.pages.league_dialogs import FormDialog, show_race_type
from gui.pages.league_submit import CHECKPOINTS
from gui.pages.league_tables import track_name
from gui.widgets.race_type_picker import RaceTypePicker
from gui.widgets.style import button, label
from trainer.crashes import DEFAULT_COLLISION_PENALTY_S

SPEEDS = ((1.0, "Sim: real time"), (2.0, "Sim: 2\u00d7"), (5.0, "Sim: 5\u00d7"), (0.0, "Sim: instant"))
"""Simulated sessions' pace: real time for spectators, faster for a preview (0: as fast as possible)."""


class QueuePanel(QFrame):
    """The racers waiting, in running order, with the buttons that change the queue and load a racer.

    It only shows; the page connects :attr:`buttons` (``add``, ``up``, ``down``, ``skip``,
    ``remove``) and :attr:`load_button` to what they do. Nothing here takes keyboard focus:
    the keys belong to the session console.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("card")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 12, 14, 12)
        lay.setSpacing(8)
        self.buttons = {}
        top = QHBoxLayout()
        top.addWidget(label("Queue", "heading"), 1)
        row = QHBoxLayout()
        row.setSpacing(6)
        for key, text, tip in (("add", "Add racer\u2026", "A walk-up: their model, the standard model or a car"),
                               ("up", "\u2191", "Move up"), ("down", "\u2193", "Move down"),
                               ("skip", "Skip", "A no-show: kept in the history"),
                               ("remove", "Remove", "Take out of the queue")):
            self.buttons[key] = b = button(text, tooltip=tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            (top if key == "add" else row).addWidget(b)
        row.addStretch(1)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_box = QComboBox()
        self.speed_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for speed, text in SPEEDS:
            self.speed_box.addItem(text, speed)
        self.speed_box.setToolTip("How fast simulated sessions run: real time for spectators, faster for a preview")
        self.speed_box.setMinimumWidth(130)
        self.load_button = button("Load racer \u25b6", "primary", "Put the selected (else the next) racer on the line")
        self.load_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        load = QHBoxLayout()
        load.addWidget(self.speed_box)
        load.addWidget(self.load_button, 1)
        lay.addLayout(top)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)
        lay.addLayout(load)

    def show_entries(self, entries: list[dict]) -> None:
        """``league.raceday.queue`` rows, keeping the selected entry selected."""
        keep = self.selected_entry()
        self.list.clear()
        for k, e in enumerate(entries, start=1):
            who = "physical car" if e["driver"] == "car" else f"model {e['model']}"
            who += f"  \u00b7  on {track_name(e['track'])}" if e.get("track") else ""
            name = e["display_name"] + ("" if e["display_name"] == e["racer"] else f" ({e['racer']})")
            item = QListWidgetItem(f"{k}.  {name}\n      {who}")
            item.setData(Qt.ItemDataRole.UserRole, e["id"])
            self.list.addItem(item)
            if e["id"] == keep:
                self.list.setCurrentItem(item)

    def selected_entry(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


RANKINGS = (("best_lap", "Fastest valid lap"), ("best_average", "Best average of N consecutive valid laps"),
            ("total_time", "Total time of the first N valid laps"), ("most_laps", "Most valid laps"),
            ("first_to", "First to N valid laps (ends the session)"))
"""The formats an event ranks by (``league.laptime.Ranking``) as the dialog offers them."""


class EventDialog(FormDialog):
    """An event: track, session length (default 4:00), ranking (five formats), resets per lap, runs per racer,
    race type (time trial, object avoidance or head-to-bot, with its settings:
    :class:`gui.widgets.race_type_picker.RaceTypePicker`) and the collision penalty.

    With ``event`` it edits that event: the form starts from its settings, and ``apply`` gets them all
    (``league.raceday.update_event`` stores only what changed and refuses, under the form, what its
    recorded sessions were run under)."""

    def __init__(self, parent, apply, tracks: list[tuple[str, str]], event=None):
        title, intro = (("Edit the event", "Recorded sessions keep the track, length and lap rules they ran under; "
                         "the name, runs per racer and ranking (not to or from first-to) may change.") if event else
                        ("Set up a race-day event", "Every racer gets a timed session, ranked by the format you "
                         "choose: fastest lap, best average, total time, most laps or first to N laps."))
        super().__init__(parent, title, intro, apply)
        self.name = QLineEdit(placeholderText="e.g. Summit workshop")
        self.track = QComboBox()
        self.order: tuple[str, ...] = ()
        """The edited event's tracks: ticked ones keep this order."""
        self.more_tracks = QListWidget()  # a multi-track event (DREM's): the tracks beside the first
        self.more_tracks.setMaximumHeight(84)
        for name, display in tracks:
            self.track.addItem(display, name)
            item = QListWidgetItem(display)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.more_tracks.addItem(item)
        self.length = QLineEdit("4:00")
        self.ranking = QComboBox()
        for value, text in RANKINGS:
            self.ranking.addItem(text, value)
        self.average_of = QSpinBox(minimum=2, maximum=10, value=3)
        self.target_laps = QSpinBox(minimum=1, maximum=200, value=5)
        self.max_runs = QSpinBox(minimum=0, maximum=100, value=3)  # DREM gives each racer 3 runs
        self.max_runs.setSpecialValueText("no cap")
        self.resets = QSpinBox(minimum=-1, maximum=50, value=3)
        self.resets.setSpecialValueText("no limit")
        self.min_lap = QDoubleSpinBox(minimum=0.1, maximum=60.0, value=1.0, singleStep=0.5, suffix=" s")
        self.penalty = QDoubleSpinBox(minimum=0.0, maximum=30.0, value=2.0, singleStep=0.5, suffix=" s")
        self.add(0, 0, "Name", self.name)
        self.add(0, 1, "Track", self.track)
        self.add(1, 0, "Session length", self.length, help="M:SS or seconds, 1 to 10 minutes (workshops use 4:00).")
        self.add(1, 1, "Ranking", self.ranking)
        self.add(2, 0, "Average of (laps)", self.average_of)
        self.add(2, 1, "Laps (N)", self.target_laps,
                 help="Total time of the first N valid laps, or first to N valid laps.")
        self.add(3, 0, "Resets per valid lap", self.resets,
                 help="A lap with more resets (the car put back on the road) than this is invalid.")
        self.add(3, 1, "Runs per racer", self.max_runs, help="Sessions each racer may run (DREM's default: 3).")
        self.add(4, 0, "Minimum lap time", self.min_lap,
                 help="A lap key pressed sooner than this after the last is ignored as a double trigger.")
        self.add(4, 1, "Simulated off-track hold", self.penalty,
                 help="How long a simulated car is held after leaving the road before it is put back.")
        self.race_type = RaceTypePicker()
        self.form.addWidget(self.race_type, 5, 0, 1, 2)
        self.collision_penalty = QDoubleSpinBox(minimum=0.0, maximum=60.0, value=DEFAULT_COLLISION_PENALTY_S,
                                                singleStep=0.5, suffix=" s")
        self.add(6, 0, "Collision penalty", self.collision_penalty,
                 help="How long a simulated car is held after running into a box or a bot car (it counts as a "
                      "reset, as in DeepRacer).")
        self.add(6, 1, "Also on tracks", self.more_tracks,
                 help="A multi-track event: each track has its board, and the combined board sums them.")
        if event is not None:
            self.show_event(event)
        self.race_type.changed.connect(self._race_type_changed)
        self._race_type_changed()
        self.ranking.currentIndexChanged.connect(self._ranking_changed)
        self._ranking_changed()
        self.resize(620, 0)

    def show_event(self, ev) -> None:
        """Fill the form with ``ev``'s settings (a ``league.raceday.RaceDayEvent``)."""
        self.name.setText(ev.name)
        self.track.setCurrentIndex(max(0, self.track.findData(ev.track)))
        self.set_more_tracks(ev.tracks[1:])
        self.order = ev.tracks
        mins, secs = divmod(int(round(ev.length_s)), 60)
        self.length.setText(f"{mins}:{secs:02d}")
        self.ranking.setCurrentIndex(max(0, self.ranking.findData(ev.ranking)))
        self.average_of.setValue(ev.average_of)
        self.target_laps.setValue(ev.target_laps or 5)
        self.max_runs.setValue(ev.max_runs or 0)
        self.resets.setValue(-1 if ev.resets_limit is None else ev.resets_limit)
        self.min_lap.setValue(ev.min_lap_s)
        self.penalty.setValue(ev.penalty_s)
        self.collision_penalty.setValue(ev.collision_penalty_s)
        show_race_type(self.race_type, ev.race_type, ev.race_settings)

    def set_more_tracks(self, names) -> None:
        """Tick ``names`` (the tracks beside the first), untick the others."""
        for i in range(self.more_tracks.count()):
            item = self.more_tracks.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in names
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def tracks(self) -> list[str]:
        """The event's tracks: the chosen one first, then the ticked ones in the list's order."""
        ticked = [self.more_tracks.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.more_tracks.count())
                  if self.more_tracks.item(i).checkState() == Qt.CheckState.Checked]
        ticked.sort(key=lambda t: self.order.index(t) if t in self.order else len(self.order))  # stable
        return list(dict.fromkeys([self.track.currentData(), *ticked]))

    def _ranking_changed(self) -> None:
        ranking = self.ranking.currentData()
        self.average_of.setEnabled(ranking == "best_average")
        self.target_laps.setEnabled(ranking in ("total_time", "first_to"))

    def _race_type_changed(self) -> None:
        self.collision_penalty.setEnabled(self.race_type.race_type() != "time_trial")
        # The picker shows only the chosen type's settings: make room for them (it would be squeezed).
        self.race_type.setMinimumHeight(self.race_type.sizeHint().height())
        self.resize(max(self.width(), 620), self.sizeHint().height())

    def values(self) -> dict:
        from league.raceday import parse_length

        return {"name": self.name.text(), "track": self.track.currentData(), "tracks": self.tracks(),
                "length_s": parse_length(self.length.text()),
                "ranking": self.ranking.currentData(), "average_of": self.average_of.value(),
                "target_laps": self.target_laps.value() if self.target_laps.isEnabled() else None,
                "max_runs": self.max_runs.value() or None,
                "resets_limit": None if self.resets.value() < 0 else self.resets.value(),
                "min_lap_s": self.min_lap.value(), "penalty_s": self.penalty.value(), **self._race_type()}

    def _race_type(self) -> dict:
        from league.db import LeagueError
        from trainer.race import RaceTypeError

        try:
            race_type, settings = self.race_type.choice()
        except RaceTypeError as exc:
            raise LeagueError(str(exc)) from None
        return {"race_type": race_type, "race_settings": settings,
                "collision_penalty_s": None if race_type == "time_trial" else self.collision_penalty.value()}


def edit_event_dialog(page):
    """The race-day page's "Edit event": the event dialog on its current event; OK stores the changes
    through ``league.raceday.update_event`` (audited as the person at the keyboard), then the page
    shows the event as changed. Returns it, or None (cancelled, or no event)."""
    from league import raceday as rd
    from league.audit import who_is_editing
    from sim.library import list_tracks

    ev = page.current_event()
    if ev is None:
        page.say("Set up an event first.")
        return None
    tracks = [(t.name, t.display_name or t.name) for t in list_tracks()]
    dialog = EventDialog(page, lambda v: rd.update_event(page.db, ev, who_is_editing(), **v), tracks, event=ev)
    if not dialog.exec():
        return None
    changed = dialog.result_value
    page.say(f"Changed event {changed.name}", ok=True)
    page.ctx.league_changed.emit()
    page.select_event(changed.name)
    return changed


class QueueDialog(FormDialog):
    """A racer joins the queue with a model, the standard model, or a physical car timed by hand."""

    def __init__(self, parent, apply, racers: list[tuple[str, str]], models: list[str], has_standard: bool,
                 tracks: list[tuple[str, str]] = ()):
        super().__init__(parent, "Add a racer to the queue", "Walk-ups welcome: a racer who brings no model drives "
                         "Trackside's standard model, or races a physical car you time by hand.", apply)
        self.alias = QComboBox(editable=True)
        self.alias.lineEdit().setPlaceholderText("alias, e.g. speedy")
        for alias, display in racers:
            self.alias.addItem(alias, display)
        self.alias.setCurrentIndex(-1)
        self.display = QLineEdit(placeholderText="shown on the leaderboard (default: the alias)")
        self.alias.currentIndexChanged.connect(lambda i: i >= 0 and self.display.setText(self.alias.itemData(i) or ""))
        self.driver = QComboBox()
        self.driver.addItem("Physical car, timed by hand", ("car", None))
        self.driver.addItem("Standard model" + ("" if has_standard else " (not installed)"), ("model", "standard"))
        if not has_standard:
            self.driver.model().item(1).setEnabled(False)
        for name in models:
            if name != "standard":
                self.driver.addItem(f"Model: {name}", ("model", name))
        if has_standard:
            self.driver.setCurrentIndex(1)
        self.checkpoint = QComboBox()
        for which, text in CHECKPOINTS:
            self.checkpoint.addItem(text, which)
        self.add(0, 0, "Racer", self.alias, help="League racers are listed; type a new alias for a walk-up.")
        self.add(0, 1, "Display name", self.display)
        self.add(1, 0, "Drives", self.driver)
        self.add(1, 1, "Checkpoint", self.checkpoint)
        self.track = QComboBox()  # a multi-track event: which track (the first by default)
        for name, display in tracks:
            self.track.addItem(display, name)
        if len(tracks) > 1:
            self.add(2, 0, "Track", self.track, help="This event runs on several tracks: the one this session is on.")
        self.driver.currentIndexChanged.connect(
            lambda: self.checkpoint.setEnabled(self.driver.currentData()[0] == "model"))
        self.checkpoint.setEnabled(self.driver.currentData()[0] == "model")
        self.resize(600, 0)

    def values(self) -> dict:
        kind, model = self.driver.currentData()
        return {"racer": self.alias.currentText(), "display_name": self.display.text() or None,
                "car": kind == "car", "model": model,
                "checkpoint": self.checkpoint.currentData() if kind == "model" else None,
                "track": self.track.currentData() if self.track.count() > 1 else None}

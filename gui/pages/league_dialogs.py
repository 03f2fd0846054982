"""Dialogs of the League page: add a racer, create a season, create or edit a race.

Each is a :class:`FormDialog`: fields in the app's style and an ``apply`` callback that
does the work when OK is pressed. A refusal (``LeagueError``: a duplicate alias, a race
name taken, closing before opening ...) shows under the form in red and the dialog stays
open with everything typed kept, so nothing is lost and the user fixes only what is wrong.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QGridLayout, QHBoxLayout, QLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget)

from gui.pages.league_race_card import start_objects
from gui.pages.league_tables import RANKING_TEXT
from gui.track_view import TrackView
from gui.widgets.fields import Field
from gui.widgets.race_type_picker import RaceTypePicker
from gui.widgets.style import PAGE_STYLE, label
from trainer.crashes import DEFAULT_COLLISION_PENALTY_S


class FormDialog(QDialog):
    """A titled form; OK calls ``apply(self.values())`` and closes only when it succeeds."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, apply: Callable[[dict], object]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self.apply = apply
        self.result_value = None
        self.form = QGridLayout()
        self.form.setHorizontalSpacing(14)
        self.form.setVerticalSpacing(8)
        self.error = label("", "error", wrap=True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grows to fit an error line
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)
        layout.addWidget(label(title, "heading"))
        if intro:
            layout.addWidget(label(intro, "hint", wrap=True))
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def add(self, row: int, col: int, title: str, widget: QWidget, *, help: str | None = None,
            span: int = 1) -> Field:
        field = Field(title, widget, help=help)
        self.form.addWidget(field, row, col, 1, span)
        return field

    def values(self) -> dict:
        raise NotImplementedError

    def try_accept(self) -> bool:
        """Apply the form; on a refusal show why and stay open. True when it was applied."""
        from league.db import LeagueError

        try:
            self.result_value = self.apply(self.values())
        except (LeagueError, ValueError) as exc:
            self.error.setText(str(exc))
            self.error.show()
            return False
        self.accept()
        return True


class RacerDialog(FormDialog):
    def __init__(self, parent, apply):
        super().__init__(parent, "Add a racer", "The alias is unique and shows on leaderboards when no display "
                         "name is given.", apply)
        self.alias = QLineEdit(placeholderText="e.g. speedy")
        self.display = QLineEdit(placeholderText="e.g. Ada Lovelace")
        self.add(0, 0, "Alias", self.alias, help="1-64 characters, unique ignoring case.")
        self.add(0, 1, "Display name", self.display)
        self.resize(520, 0)

    def values(self) -> dict:
        return {"alias": self.alias.text(), "display_name": self.display.text()}


class SeasonDialog(FormDialog):
    def __init__(self, parent, apply):
        super().__init__(parent, "Create a season", "A season adds up the points of its races.", apply)
        self.name = QLineEdit(placeholderText="e.g. Spring 2026")
        self.points = QComboBox()
        self.points.addItem("Time ratio: 1000 \u00d7 winner's time / racer's time", "time_ratio")
        self.points.addItem("Rank table: points by rank", "rank_table")
        self.table = QLineEdit("25,18,15,12,10,8,6,4,2,1")
        self.best_k = QSpinBox(minimum=0, maximum=100, value=0)
        self.best_k.setSpecialValueText("all races")
        self.add(0, 0, "Name", self.name, span=2)
        self.add(1, 0, "Points", self.points, span=2)
        self.table_field = self.add(2, 0, "Rank table", self.table, help="Points for rank 1, 2, 3 ... separated "
                                    "by commas; ranks beyond the table score 0.")
        self.add(2, 1, "Count each racer's best", self.best_k)
        self.points.currentIndexChanged.connect(
            lambda: self.table.setEnabled(self.points.currentData() == "rank_table"))
        self.table.setEnabled(False)
        self.resize(560, 0)

    def values(self) -> dict:
        table = None
        if self.points.currentData() == "rank_table":
            try:
                table = [int(x) for x in self.table.text().replace(" ", "").split(",") if x]
            except ValueError:
                raise ValueError(f"rank table: expected whole numbers separated by commas, got "
                                 f"{self.table.text()!r}") from None
        return {"name": self.name.text(), "points": self.points.currentData(), "rank_table": table,
                "best_k": self.best_k.value() or None}


class RaceDialog(FormDialog):
    """The rules of a virtual-circuit race, with the competition track previewed.

    The race type comes from the Create model page's :class:`RaceTypePicker` (time trial,
    object avoidance, head-to-bot and their settings); the preview draws the boxes and bot
    cars where a lap starts. The collision penalty applies only with objects.

    With ``race`` (a ``league.races.Race``) it edits that race: the form starts from its settings and
    ``apply`` gets them all (``league.race_edits.update_race`` stores what changed and refuses, under
    the form, what the race's submissions were evaluated under).
    """

    def __init__(self, parent, apply, seasons: list[str], tracks: list[tuple[str, str]], season: str | None = None,
                 race=None):
        title, intro = (("Edit the race", "Submissions keep the track, laps and penalties they were evaluated "
                         "under; the name, season, ranking and window may change.") if race is not None else
                        ("Create a race", "Races run on competition tracks nobody can train on. A racer's "
                         "standing changes only when a new submission beats their best."))
        super().__init__(parent, title, intro, apply)
        self.name = QLineEdit(placeholderText="e.g. Round 1")
        self.season = QComboBox()
        self.season.addItem("No season", None)
        for s in seasons:
            self.season.addItem(s, s)
        if season in seasons:
            self.season.setCurrentIndex(seasons.index(season) + 1)
        self.track = QComboBox()
        for name, display in tracks:
            self.track.addItem(display, name)
        self.laps = QSpinBox(minimum=1, maximum=100, value=3)
        self.ranking = QComboBox()
        for key, text in RANKING_TEXT.items():
            self.ranking.addItem(text, key)
        self.average_of = QSpinBox(minimum=1, maximum=100, value=3)
        self.mode = QComboBox()
        self.mode.addItem("Trials (each lap from a standing start)", "trials")
        self.mode.addItem("Continuous laps", "continuous")
        self.penalty = QDoubleSpinBox(minimum=0.0, maximum=60.0, value=2.0, singleStep=0.5, suffix=" s")
        self.no_resets = QCheckBox("No resets: a lap ends off the road")
        self.no_resets.toggled.connect(lambda on: self.penalty.setEnabled(not on))
        now = datetime.now().replace(second=0, microsecond=0)
        self.opens = _datetime_edit(now)
        self.opens_now = QCheckBox("Open now")
        self.opens_now.setChecked(True)
        self.closes = _datetime_edit(now + timedelta(days=14))
        self.no_close = QCheckBox("No closing time")
        self.opens_now.toggled.connect(lambda on: self.opens.setEnabled(not on))
        self.no_close.toggled.connect(lambda on: self.closes.setEnabled(not on))
        self.opens.setEnabled(False)
        self.max_subs = QSpinBox(minimum=0, maximum=1000, value=0)
        self.max_subs.setSpecialValueText("no limit")
        self.race_type = RaceTypePicker()
        self.collision_penalty = QDoubleSpinBox(minimum=0.0, maximum=60.0, value=DEFAULT_COLLISION_PENALTY_S,
                                                singleStep=0.5, suffix=" s")
        self.preview = TrackView(show_racing_line=False)
        self.preview.setFixedSize(300, 210)
        self.preview.setMouseEnabled(x=False, y=False)

        self.add(0, 0, "Name", self.name)
        self.add(0, 1, "Season", self.season)
        self.add(1, 0, "Competition track", self.track, span=2)
        self.add(2, 0, "Laps", self.laps)
        self.add(2, 1, "Ranking", self.ranking)
        self.avg_field = self.add(3, 0, "Average of (laps)", self.average_of,
                                  help="Best average: the best mean of this many consecutive laps.")
        self.add(3, 1, "Laps run as", self.mode)
        self.add(4, 0, "Off-track penalty", _with(self.penalty, self.no_resets), span=2,
                 help="Seconds added each time the car leaves the road; it is then put back where it left.")
        self.add(5, 0, "Opens", _with(self.opens, self.opens_now))
        self.add(5, 1, "Closes", _with(self.closes, self.no_close))
        self.add(6, 0, "Submissions per racer", self.max_subs)
        self.form.addWidget(self.race_type, 7, 0, 1, 2)
        self.collision_field = self.add(8, 0, "Collision penalty", self.collision_penalty,
                                        help="Seconds a car is held after running into a box or a bot car; "
                                        "they count in the lap time (DeepRacer's default 5).")
        self.form.addWidget(self.preview, 0, 2, 9, 1, Qt.AlignmentFlag.AlignTop)
        self.ranking.currentIndexChanged.connect(self._ranking_changed)
        self.track.currentIndexChanged.connect(self._track_changed)
        self.race_type.changed.connect(self._race_type_changed)
        if race is not None:
            self.show_race(race, season)
        self._ranking_changed()
        self._track_changed()
        self.resize(900, 0)

    def show_race(self, race, season: str | None) -> None:
        """Fill the form with ``race``'s settings (``season``: its season's name, or None)."""
        self.name.setText(race.name)
        self.season.setCurrentIndex(max(0, self.season.findData(season)))
        self.track.setCurrentIndex(max(0, self.track.findData(race.track)))
        self.laps.setValue(race.laps)
        self.ranking.setCurrentIndex(max(0, self.ranking.findData(race.ranking)))
        self.average_of.setValue(race.average_of)
        self.mode.setCurrentIndex(max(0, self.mode.findData(race.mode)))
        self.no_resets.setChecked(race.penalty_s is None)
        self.penalty.setValue(race.penalty_s if race.penalty_s is not None else 2.0)
        for edit, check, when in ((self.opens, self.opens_now, race.opens_at),
                                  (self.closes, self.no_close, race.closes_at)):
            check.setChecked(when is None)
            if when is not None:
                edit.setDateTime(QDateTime(datetime.fromisoformat(when).astimezone().replace(tzinfo=None)))
        self.max_subs.setValue(race.max_submissions or 0)
        self.collision_penalty.setValue(race.collision_penalty_s)
        show_race_type(self.race_type, race.race_type, race.race_settings)

    def _ranking_changed(self) -> None:
        self.average_of.setEnabled(self.ranking.currentData() == "best_average")

    def _track_changed(self) -> None:
        from sim.library import load_track

        if self.track.currentData():
            self.preview.set_track(load_track(self.track.currentData()))
        self._race_type_changed()

    def _race_type_changed(self) -> None:
        """Collision penalty only with objects; the preview shows them where a lap starts."""
        from sim.library import load_track
        from trainer.race import objects_config

        self.collision_field.setEnabled(self.race_type.race_type() != "time_trial")
        if not self.track.currentData():
            return
        try:
            objects = objects_config(*self.race_type.choice())
        except ValueError:  # settings being typed: keep the last drawing
            return
        self.preview.set_objects(start_objects(objects, load_track(self.track.currentData())))

    def values(self) -> dict:
        ranking = self.ranking.currentData()
        return {"name": self.name.text(), "track": self.track.currentData(), "season": self.season.currentData(),
                "laps": self.laps.value(), "ranking": ranking,
                "average_of": self.average_of.value() if ranking == "best_average" else None,
                "mode": self.mode.currentData(),
                "penalty_s": None if self.no_resets.isChecked() else self.penalty.value(),
                "opens_at": None if self.opens_now.isChecked() else _iso(self.opens),
                "closes_at": None if self.no_close.isChecked() else _iso(self.closes),
                "max_submissions": self.max_subs.value() or None, **self.race_type_values()}

    def race_type_values(self) -> dict:
        """``race_type``, ``race_settings`` (DeepRacer names) and ``collision_penalty_s`` (None for a time
        trial) as ``league.races.create_race`` takes them; a bad setting raises a ``ValueError`` naming it."""
        race_type, settings = self.race_type.choice()
        penalty = None if race_type == "time_trial" else self.collision_penalty.value()
        return {"race_type": race_type, "race_settings": settings, "collision_penalty_s": penalty}


def show_race_type(picker: RaceTypePicker, race_type: str, settings: dict) -> None:
    """Set ``picker`` to ``race_type`` with ``settings`` (DeepRacer names, as an event or race stores them)."""
    picker.set_race_type(race_type)
    picker.obstacles.setValue(int(settings.get("NUMBER_OF_OBSTACLES", picker.obstacles.value())))
    picker.randomize.setChecked(bool(settings.get("RANDOMIZE_OBSTACLE_LOCATIONS", False)))
    picker.bots.setValue(int(settings.get("NUMBER_OF_BOT_CARS", picker.bots.value())))
    picker.bot_speed.setValue(float(settings.get("BOT_CAR_SPEED", picker.bot_speed.value())))
    picker.lane_change.setChecked(bool(settings.get("IS_LANE_CHANGE", False)))


def _datetime_edit(value: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime(value))
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setCalendarPopup(True)
    return edit


def _iso(edit: QDateTimeEdit) -> str:
    """The edit's local time as ISO 8601 without a zone (``league`` reads that as local time)."""
    return edit.dateTime().toString("yyyy-MM-ddTHH:mm:00")


def _with(main: QWidget, extra: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(10)
    row.addWidget(main, 1)
    row.addWidget(extra)
    return box


def edit_race_dialog(page):
    """The League page's "Edit race": the race dialog on its current race; OK stores the changes through
    ``league.race_edits.update_race`` (audited as the person at the keyboard), then the page reloads
    and says so. Returns the race as changed, or None (cancelled, or no race chosen)."""
    from league.audit import who_is_editing
    from league.race_edits import update_race
    from league.races import get_race
    from league.seasons import get_season, list_seasons
    from sim.library import list_tracks

    name = page.current_race()
    if name is None:
        page.say("Choose a race to edit.")
        return None
    race = get_race(page.db, name)
    season = get_season(page.db, race.season_id).name if race.season_id is not None else None
    tracks = [(t.name, t.display_name or t.name) for t in list_tracks() if not t.trainable]
    dialog = RaceDialog(page, lambda v: update_race(page.db, race, who_is_editing(), **v),
                        [s.name for s in list_seasons(page.db)], tracks, season, race=race)
    if not dialog.exec():
        return None
    changed = dialog.result_value
    page.say(f"Changed race {changed.name}", ok=True)
    page.ctx.league_changed.emit()
    page.select_race(changed.name)
    return changed

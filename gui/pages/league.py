"""League: the virtual circuit. Seasons and their standings, races and their rules, submissions,
the race leaderboard, a racer's history, and exports.

Everything is read from and written to the league database through ``league`` (the same
rules as ``trackside league ...``: what the command line refuses, this page refuses, and
the reason shows in the red line under the title). A submission is evaluated on a worker
thread with its own database connection (one connection per thread); the page keeps
working, shows a busy bar, and reloads the leaderboard when the result lands, with the
racer's row highlighted. On a first start the page creates the sample league
(``league.sample``) and, when the standard model is installed, submits it in the
background so the sample race has a time to beat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QListWidget, QListWidgetItem, QMenu,
                               QSplitter, QVBoxLayout, QWidget)

from gui.pages.league_dialogs import RaceDialog, RacerDialog, SeasonDialog, edit_race_dialog
from gui.pages.league_race_card import RaceCard, closed_in_past
from gui.pages.league_submit import SubmitPanel, fill, submit_sample_in_background
from gui.pages.league_tables import (LEADERBOARD, SEASON, RowsModel, SubmissionHistory, card, local_time,
                                     race_type_title, table_view, track_name)
from gui.pages.printing import print_button
from gui.rich_text import esc
from gui.widgets.dialogs import ask_text
from gui.widgets.style import PAGE_STYLE, button, label, set_role
from league.db import LeagueError, db_path, open_db
from league.races import (add_racer, create_race, get_race, get_submission, list_races, list_racers, season_standings,
                          set_race_state, standings)
from league.seasons import create_season, get_season, list_seasons

HIGHLIGHT_MS = 8000
EXPORTS = (("Leaderboard as a web page (HTML)…", "html"), ("Leaderboard as CSV…", "csv"),
           ("Race with every lap as JSON…", "json"), ("Every lap as CSV…", "laps"),
           ("Per-racer summary as CSV…", "summary"))


class LeaguePage(QWidget):
    """Seasons and races on the left; the chosen race's rules, submit form, leaderboard and history on the right."""

    def __init__(self, ctx, parent: QWidget | None = None, *, sample: bool = True):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self.db = open_db()
        self.db_file = db_path()
        self.last_result: dict | None = None
        """The latest submission recorded from this page."""
        self.highlight: str | None = None
        if sample:
            from league.sample import ensure_sample_league

            ensure_sample_league(self.db)
        self._build()
        self.unhighlight = QTimer(self, singleShot=True, interval=HIGHLIGHT_MS)
        self.unhighlight.timeout.connect(self._clear_highlight)
        ctx.league_changed.connect(self.refresh)
        ctx.models_changed.connect(self.submit_panel.refresh_models)
        self.submit_panel.refresh_models()
        self.refresh()
        self.sample_timer = QTimer(self, singleShot=True, interval=1500)  # after start-up, never during it
        self.sample_timer.timeout.connect(lambda: submit_sample_in_background(
            ctx, self.db, self.db_file, self, lambda rows: rows and self._changed()))
        if sample:
            self.sample_timer.start()

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.notice = label("", "error", wrap=True)
        self.notice.hide()
        self.race_card = race_card = RaceCard()
        self.race_title, self.race_status, self.rules, self.preview = (race_card.title, race_card.status,
                                                                       race_card.rules, race_card.preview)
        self.open_button, self.close_button = race_card.open_button, race_card.close_button
        self.project_button = race_card.project_button
        self.open_button.clicked.connect(lambda: self.set_state("open"))
        self.close_button.clicked.connect(lambda: self.set_state("closed"))
        self.project_button.clicked.connect(self.show_on_projector)
        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(race_card)
        right.addWidget(self._build_board_and_history(), 1)
        body = QHBoxLayout()
        body.setSpacing(14)
        body.addWidget(self._build_left())
        body.addLayout(right, 1)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 18, 24, 18)
        root.setSpacing(10)
        root.addLayout(self._build_head())
        root.addWidget(self.notice)
        root.addLayout(body, 1)

    def _build_head(self) -> QHBoxLayout:
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(label("League", "title"))
        titles.addWidget(label("Virtual-circuit races on competition tracks: submit a model, it is evaluated "
                               "under the race's rules, and your standing changes only when you beat your best.",
                               "subtitle", wrap=True))
        head.addLayout(titles, 1)
        for text, slot in (("Add racer…", self.add_racer_dialog), ("New season…", self.new_season_dialog),
                           ("Edit race…", lambda: edit_race_dialog(self)), ("New race…", self.new_race_dialog)):
            b = button(text, "primary" if text.startswith("New race") else None)
            b.clicked.connect(slot)
            head.addWidget(b, 0, Qt.AlignmentFlag.AlignBottom)
        return head

    def _build_left(self) -> QSplitter:
        """Races, the submit form and the season standings."""
        season_card, sl = card("Season standings")
        self.season_box = QComboBox()
        self.season_box.currentIndexChanged.connect(self._show_season)
        self.season_model = RowsModel(SEASON, parent=self)
        self.season_table = table_view(self.season_model)
        self.season_facts = label("", "hint", wrap=True)
        sl.addWidget(self.season_box)
        sl.addWidget(self.season_table, 1)
        sl.addWidget(self.season_facts)
        row = QHBoxLayout()
        for text, fmt in (("Season CSV…", "season-csv"), ("Season HTML…", "season-html")):
            b = button(text)
            b.clicked.connect(lambda _=False, f=fmt: self.export(f))
            row.addWidget(b)
        row.addStretch(1)
        sl.addLayout(row)
        races_card, rl = card("Races")
        self.race_list = QListWidget()
        self.race_list.currentItemChanged.connect(lambda *_: self.show_race())
        rl.addWidget(self.race_list, 1)
        self.submit_panel = SubmitPanel(self.ctx, self.db_file)
        self.submit_panel.submitted.connect(self._submitted)
        self.submit_panel.refused.connect(self.say)
        left = QSplitter(Qt.Orientation.Vertical)
        for k, (w, stretch) in enumerate(((races_card, 2), (self.submit_panel, 0), (season_card, 3))):
            left.addWidget(w)
            left.setStretchFactor(k, stretch)
        left.setChildrenCollapsible(False)
        left.setFixedWidth(320)
        return left

    def _build_board_and_history(self) -> QSplitter:
        """The leaderboard (with its exports) above the chosen racer's submission history."""
        board_card, bl = card()
        board_head = QHBoxLayout()
        board_head.addWidget(label("Leaderboard", "heading"), 1)
        self.export_button = button("Export ▾")
        self.export_button.setToolTip("The leaderboard as a projector web page, CSV or JSON; every lap; a summary")
        menu = QMenu(self.export_button)
        for text, fmt in EXPORTS:
            menu.addAction(text, lambda f=fmt: self.export(f))
        self.export_button.setMenu(menu)
        board_head.addWidget(self.export_button)
        self.print_button = print_button(self, self.current_race, race=True)
        board_head.addWidget(self.print_button)
        bl.addLayout(board_head)
        self.board_model = RowsModel(LEADERBOARD, parent=self)
        self.board = table_view(self.board_model)
        self.board.selectionModel().selectionChanged.connect(lambda *_: self.show_history())
        bl.addWidget(self.board, 1)
        history_card, hl = card("Submission history")
        self.history_title = label("Select a racer in the leaderboard.", "hint", wrap=True, rich=True)
        self.history = SubmissionHistory()
        hl.addWidget(self.history_title)
        hl.addWidget(self.history, 1)
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.addWidget(board_card)
        lower.addWidget(history_card)
        lower.setChildrenCollapsible(False)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        return lower

    # -- reading ----------------------------------------------------------------------------------
    def on_shown(self) -> None:
        self.refresh()

    def shutdown(self) -> None:
        self.unhighlight.stop()
        self.sample_timer.stop()

    def current_race(self):
        item = self.race_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def refresh(self) -> None:
        """Reload racers, seasons and races, keeping the choices; then show the chosen race."""
        season, race = self.season_box.currentData(), self.current_race()
        self.submit_panel.set_racers(list_racers(self.db))
        fill(self.season_box, [(s.name, s.name) for s in list_seasons(self.db)], season)
        self.race_list.blockSignals(True)
        self.race_list.clear()
        for r in list_races(self.db):
            item = QListWidgetItem(f"{r.name}\n{track_name(r.track)} \u00b7 {race_type_title(r.race_type)} "
                                   f"\u00b7 {r.status()}")
            item.setData(Qt.ItemDataRole.UserRole, r.name)
            self.race_list.addItem(item)
        names = [self.race_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.race_list.count())]
        self.race_list.setCurrentRow(names.index(race) if race in names else (0 if names else -1))
        self.race_list.blockSignals(False)
        self._show_season()
        self.show_race()

    def _show_season(self) -> None:
        name = self.season_box.currentData()
        if name is None:
            self.season_model.set_rows([])
            self.season_facts.setText("No season yet: a season adds up the points of its races.")
            return
        self.season_model.set_rows(season_standings(self.db, name), self.highlight)
        races = list_races(self.db, name)
        self.season_facts.setText(f"{len(races)} race{'s' if len(races) != 1 else ''}: "
                                  + (", ".join(r.name for r in races) or "none yet"))

    def show_race(self) -> None:
        name = self.current_race()
        race = get_race(self.db, name) if name else None
        for b in (self.open_button, self.close_button, self.project_button):
            b.setEnabled(race is not None)
        season = get_season(self.db, race.season_id) if race is not None and race.season_id is not None else None
        self.race_card.show_race(race, season)
        if race is None:
            self.board_model.set_rows([])
            self.history.clear()
            self.submit_panel.set_race(None)
            return
        if season is not None:
            _select(self.season_box, season.name)
        selected = self.selected_racer()
        self.board_model.set_rows(standings(self.db, race), self.highlight)
        row = self.board_model.row_of(selected or self.highlight)
        if row >= 0:
            self.board.selectRow(row)
        self.show_history()
        self.submit_panel.set_race(race)

    def selected_racer(self) -> str | None:
        rows = self.board.selectionModel().selectedRows()
        r = self.board_model.row(rows[0].row()) if rows else None
        return r["racer"] if r else None

    def show_history(self) -> None:
        race, alias = self.current_race(), self.selected_racer()
        if not race or not alias:
            self.history.clear()
            self.history_title.setText("Select a racer in the leaderboard to see every submission and its laps.")
            return
        r = get_race(self.db, race)
        ids = [row[0] for row in self.db.execute(
            "SELECT s.id FROM submissions s JOIN racers r ON r.id = s.racer_id WHERE s.race_id = ? AND r.alias = ?",
            [r.id, alias])]
        best = self.board_model.row(self.board_model.row_of(alias)) or {}
        self.history.show_submissions([get_submission(self.db, i) for i in ids], best.get("submission"))
        n = len(ids)
        used = f"{n} of {r.max_submissions} submissions used" if r.max_submissions else \
            f"{n} submission{'s' if n != 1 else ''}"
        self.history_title.setText(f"<b>{esc(best.get('display_name', alias))}</b>: {used}; the starred one stands. "
                                   "Expand a submission for its laps.")

    # -- actions ----------------------------------------------------------------------------------
    def say(self, text: str, ok: bool = False) -> None:
        """Show ``text`` in the line under the title (red for a refusal, green for a success)."""
        set_role(self.notice, "ok" if ok else "error")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        if text:
            self.ctx.status_message.emit(text)

    def _changed(self) -> None:
        self.ctx.league_changed.emit()  # this page reloads through it too

    def _do(self, fn, done: str | None = None) -> object | None:
        """Call ``fn``; a refusal shows under the title and returns None."""
        try:
            result = fn()
        except LeagueError as exc:
            self.say(str(exc))
            return None
        if done:
            self.say(done, ok=True)
        self._changed()
        return result

    def add_racer(self, alias: str, display_name: str | None = None) -> bool:
        r = self._do(lambda: add_racer(self.db, alias, display_name), f"Added racer {alias.strip()}")
        if r is not None:
            self.submit_panel.choose(racer=r.alias)
        return r is not None

    def _form(self, dialog, done) -> object | None:
        """Run a form dialog; once it applied, say ``done(result)``, reload, and return the result."""
        if not dialog.exec():
            return None
        self.say(done(dialog.result_value), ok=True)
        self._changed()
        return dialog.result_value

    def add_racer_dialog(self) -> None:
        r = self._form(RacerDialog(self, lambda v: add_racer(self.db, v["alias"], v["display_name"])),
                       lambda r: f"Added racer {r.alias}")
        if r is not None:
            self.submit_panel.choose(racer=r.alias)

    def new_season_dialog(self) -> None:
        s = self._form(SeasonDialog(self, lambda v: create_season(self.db, v.pop("name"), **v)),
                       lambda s: f"Created season {s.name}")
        if s is not None:
            _select(self.season_box, s.name)

    def new_race_dialog(self) -> None:
        from sim.library import list_tracks

        tracks = [(t.name, t.display_name or t.name) for t in list_tracks() if not t.trainable]
        r = self._form(RaceDialog(self, lambda v: self._create_race(**v), [s.name for s in list_seasons(self.db)],
                                  tracks, self.season_box.currentData()), lambda r: f"Created race {r.name}")
        if r is not None:
            self.select_race(r.name)

    def _create_race(self, name, track, **rules):
        return create_race(self.db, name, track, **rules)

    def select_race(self, name: str) -> None:
        for i in range(self.race_list.count()):
            if self.race_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.race_list.setCurrentRow(i)

    def set_state(self, state: str, closes_at: str | None = None) -> None:
        """Open or close the chosen race. Reopening one whose closing time has passed asks for a new one."""
        name = self.current_race()
        if not name:
            return
        race = get_race(self.db, name)
        if state == "open" and closes_at is None and closed_in_past(race.closes_at):
            default = (datetime.now() + timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
            closes_at = ask_text(self, "Reopen race", f"{name} closed at {local_time(race.closes_at, '')}. "
                                 "New closing time (local):", default)
            if not closes_at:
                return
        self._do(lambda: set_race_state(self.db, name, state, closes_at=closes_at), f"Race {name} is now {state}")

    def show_on_projector(self) -> None:
        from gui.projector import open_projector, shared_feed

        if self.current_race():
            shared_feed(self.ctx).follow_race(self.current_race())
            open_projector(self.ctx)

    def submit(self) -> bool:
        """Submit what the form shows (see :class:`SubmitPanel`); True when an evaluation started."""
        self.say("")
        return self.submit_panel.submit()

    def _submitted(self, row: dict) -> None:
        self.last_result = row
        result = f"{row['time_s']:.3f} s" if row["complete"] else "no valid result (not every lap completed)"
        verdict = "a new best" if row["improved"] else "standing unchanged"
        hits = row.get("collisions") or 0
        crashes = f" ({hits} collision{'s' if hits != 1 else ''})" if hits else ""
        self.say(f"{row['racer']} in {row['race']}: {result}{crashes}, {verdict}; rank {row['rank']}.", ok=True)
        self.highlight = row["racer"]
        self.unhighlight.start()
        self._changed()

    def _clear_highlight(self) -> None:
        self.highlight = None
        self.board_model.highlight = self.season_model.highlight = None
        self.board.viewport().update()
        self.season_table.viewport().update()

    def export(self, what: str) -> Path | None:
        """Write export ``what`` (see ``league_export.KINDS``) to a file chosen in a dialog; returns it."""
        from gui.pages.league_export import export_with_dialog

        return export_with_dialog(self, what, race=self.current_race(), season=self.season_box.currentData())

    # -- screenshots ----------------------------------------------------------------------------
    def prepare_screenshot(self, model_name: str) -> None:
        from league.sample import RACE

        self.select_race(RACE)
        row = 0 if self.board_model.rowCount() else -1
        if row >= 0:
            self.board.selectRow(row)


def _select(box: QComboBox, data) -> None:
    i = box.findData(data)
    if i >= 0:
        box.setCurrentIndex(i)

"""The Race day page's Finals panel: seed a bracket or a ladder from the board, run or record heats.

:class:`FinalsPanel` is a window of its own (opened by the page's "Finals…" button) over the same
Qt-free functions as ``trackside raceday finals``: :func:`league.finals.create_finals`,
:func:`league.finals.record_heat` and :func:`league.finals_run.run_heat`. It shows every heat in a
table (the next one to race selected), seeds new finals (top N, knockout or ladder, laps a heat),
runs the selected heat as a simulated head-to-model race on a worker thread (the race takes a few
seconds; the app stays live), records a timed heat from the two times or the winner's name, and
puts the bracket on the projector (``ProjectorFeed.show_view``). A refusal shows in red under
the title; a result reaches every view through ``ctx.league_changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QThread, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout, QLineEdit, QMessageBox,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from gui.widgets.style import PAGE_STYLE, button, label, set_role
from league import finals as fl
from league.db import LeagueError

COLUMNS = ("Heat", "Round", "Racer a", "Racer b", "Time a", "Time b", "Winner", "How")


class HeatRace(QThread):
    """Runs one head-to-model heat (:func:`league.finals_run.run_heat`) on its own database connection."""

    finished_heat = Signal(dict)
    failed = Signal(str)

    def __init__(self, event: str, heat_id: int, models, parent=None):
        super().__init__(parent)
        self.event_name, self.heat_id, self.models = event, heat_id, models

    def run(self) -> None:
        from league.db import open_db
        from league.finals_run import run_heat

        db = open_db()
        try:
            self.finished_heat.emit(run_heat(db, self.event_name, self.heat_id, models=self.models))
        except Exception as exc:  # a refusal or a model that cannot drive: one line in the panel
            self.failed.emit(str(exc) or exc.__class__.__name__)
        finally:
            db.conn.close()


class FinalsPanel(QDialog):
    """Finals of the page's current event (see the module docstring)."""

    def __init__(self, page, parent=None):
        super().__init__(parent or page)
        self.page, self.db, self.race = page, page.db, None
        self.setWindowTitle("Finals")
        self.setStyleSheet(PAGE_STYLE)
        self.resize(900, 560)
        self.title = label("", "heading")
        self.notice = label("", "error", wrap=True)
        self.top, self.laps = QSpinBox(), QSpinBox()
        self.top.setRange(*fl.SIZE_RANGE)
        self.top.setValue(8)
        self.laps.setRange(*fl.LAPS_RANGE)
        self.laps.setValue(3)
        self.ladder = QCheckBox("Ladder")
        self.ladder.setToolTip("Lowest seeds race first; each winner meets the next seed up")
        self.seed_button = button("Seed finals", "primary", "The top racers of the board, 1 v N, 2 v N-1 ...")
        self.seed_button.clicked.connect(self.seed)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._heat_chosen)
        self.run_button = button("Run heat (simulated)", "primary", "Both racers' models race head to head")
        self.run_button.clicked.connect(self.run_selected)
        self.winner = QComboBox()
        self.time_a, self.time_b = QLineEdit(), QLineEdit()
        for box, who in ((self.time_a, "a"), (self.time_b, "b")):
            box.setPlaceholderText(f"time {who}, s")
            box.setMaximumWidth(110)
        self.record_button = button("Record result", tooltip="The better time wins; a tie goes to the higher seed")
        self.record_button.clicked.connect(self.record_selected)
        self.on_projector = QCheckBox("Bracket on the projector")
        self.on_projector.toggled.connect(lambda on: page.feed.show_view("bracket" if on else "board"))
        self._layout()
        page.ctx.league_changed.connect(self.refresh)
        QCoreApplication.instance().aboutToQuit.connect(self.finish_race)  # never quit under a running thread
        self.refresh()

    def _layout(self) -> None:
        seed = QHBoxLayout()
        for w in (label("Top", "fieldLabel"), self.top, self.ladder, label("Laps a heat", "fieldLabel"), self.laps,
                  self.seed_button):
            seed.addWidget(w)
        seed.addStretch(1)
        seed.addWidget(self.on_projector)
        act = QHBoxLayout()
        act.addWidget(self.run_button)
        act.addSpacing(18)
        for w in (label("Winner", "fieldLabel"), self.winner, self.time_a, self.time_b, self.record_button):
            act.addWidget(w)
        act.addStretch(1)
        root = QVBoxLayout(self)
        for part in (self.title, self.notice, seed, self.table, act):
            (root.addLayout if isinstance(part, QHBoxLayout) else root.addWidget)(part)
        root.setStretch(3, 1)

    # -- reading ------------------------------------------------------------------------------------
    def event_name(self) -> str | None:
        ev = self.page.current_event()
        return ev.name if ev else None

    def heats(self) -> list[dict]:
        try:
            return fl.heats(self.db, fl.get_finals(self.db, self.event_name())) if self.event_name() else []
        except LeagueError:
            return []

    def refresh(self) -> None:
        """Reload the heats, keeping the chosen heat (else choosing the next one ready)."""
        name, rows, keep = self.event_name(), self.heats(), self.selected_heat()
        self.title.setText(f"Finals of {name}" if rows else (f"{name}: no finals yet" if name else "No event"))
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for i, h in enumerate(rows):
            cells = (h["id"], h["round_name"], _side(h, "a"), _side(h, "b"), _time(h["time_a_s"]), _time(h["time_b_s"]),
                     _winner(h) or ("to race" if h["ready"] else ""), (h["method"] or "").replace("_", "-"))
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(str(text)))
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        ready = next((h["id"] for h in rows if h["ready"]), None)
        self.select_heat(keep if keep in [h["id"] for h in rows] else ready)

    def selected_heat(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return int(self.table.item(rows[0].row(), 0).text()) if rows else None

    def select_heat(self, heat_id: int | None) -> None:
        for i in range(self.table.rowCount()):
            if heat_id is not None and self.table.item(i, 0).text() == str(heat_id):
                self.table.selectRow(i)
                return
        self.table.clearSelection()
        self._heat_chosen()

    def _heat(self, heat_id: int | None) -> dict | None:
        return next((h for h in self.heats() if h["id"] == heat_id), None)

    def _heat_chosen(self) -> None:
        heat = self._heat(self.selected_heat())
        self.winner.clear()
        playable = heat is not None and heat["method"] != "bye" and None not in (heat["racer_a"], heat["racer_b"])
        if playable:
            self.winner.addItem("by the times", None)
            for side in "ab":
                self.winner.addItem(heat[f"name_{side}"], heat[f"racer_{side}"])
        for w in (self.run_button, self.record_button, self.winner, self.time_a, self.time_b):
            w.setEnabled(playable and self.race is None)

    # -- actions ------------------------------------------------------------------------------------
    def say(self, text: str, ok: bool = False) -> None:
        set_role(self.notice, "ok" if ok else "error")
        self.notice.setText(text)

    def seed(self, confirm: bool = True) -> fl.Final | None:
        """Seed finals for the current event from the form (asking before replacing existing ones)."""
        replace = bool(self.heats())
        if replace and confirm and QMessageBox.question(
                self, "Seed new finals", "Discard these finals and their results, and seed new ones?") \
                != QMessageBox.StandardButton.Yes:
            return None
        return self._do(lambda: fl.create_finals(self.db, self.event_name() or "", self.top.value(),
                                                 ladder=self.ladder.isChecked(), laps=self.laps.value(),
                                                 replace=replace), "Seeded the finals from the board")

    def record_selected(self) -> dict | None:
        heat, times = self.selected_heat(), []
        for box in (self.time_a, self.time_b):
            try:
                times.append(float(box.text()) if box.text().strip() else None)
            except ValueError:
                self.say(f"{box.placeholderText()}: expected seconds, e.g. 27.415")
                return None
        if times == [None, None] and self.winner.currentData() is None:
            self.say("Choose the winner, or enter the racers' times for the heat")
            return None
        done = self._do(lambda: fl.record_heat(self.db, self.event_name(), heat, winner=self.winner.currentData(),
                                               time_a_s=times[0], time_b_s=times[1]), None)
        if done is not None:
            self.time_a.clear()
            self.time_b.clear()
            self.say(f"Heat {heat}: {_winner(self._heat(heat))} goes through", ok=True)
            self.select_next()
        return done

    def select_next(self) -> None:
        """Choose the next heat ready to race (none when the finals are decided)."""
        self.select_heat(next((h["id"] for h in self.heats() if h["ready"]), None))

    def run_selected(self) -> HeatRace | None:
        """Race the selected heat head to head on a worker thread; returns the worker."""
        heat = self.selected_heat()
        if heat is None or self.race is not None:
            return None
        self.race = HeatRace(self.event_name(), heat, self.page.ctx.store, self)
        self.race.finished_heat.connect(self._raced)
        self.race.failed.connect(self._race_failed)
        self.say(f"Heat {heat} is racing\u2026", ok=True)
        self._heat_chosen()
        self.race.start()
        return self.race

    def _raced(self, heat: dict) -> None:
        self.race = None
        self.say(f"Heat {heat['id']}: {_winner(self._heat(heat['id']))} wins the head-to-model race", ok=True)
        self.page.ctx.league_changed.emit()
        self.select_next()

    def _race_failed(self, text: str) -> None:
        self.race = None
        self.say(text)
        self._heat_chosen()

    def _do(self, fn, done: str | None):
        try:
            result = fn()
        except LeagueError as exc:
            self.say(str(exc))
            return None
        if done:
            self.say(done, ok=True)
        self.page.ctx.league_changed.emit()
        return result

    def finish_race(self) -> None:
        """Wait for a heat that is racing (a few seconds) so its result is recorded, not lost."""
        if self.race is not None:
            self.race.wait()

    def closeEvent(self, event) -> None:
        self.finish_race()
        super().closeEvent(event)


def _side(heat: dict, side: str) -> str:
    if heat[f"racer_{side}"] is None:
        return "bye" if heat["method"] == "bye" else "\u2013"
    return f"({heat[f'seed_{side}']}) {heat[f'name_{side}']}"


def _winner(heat: dict | None) -> str | None:
    """The winner's display name, None while undecided."""
    if not heat or heat["winner"] is None:
        return None
    return heat["name_a"] if heat["winner"] == heat["racer_a"] else heat["name_b"]


def _time(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.3f}"


def open_finals(page) -> FinalsPanel:
    """Show the page's Finals panel (created on first use)."""
    panel = getattr(page, "finals_panel", None)
    if panel is None:
        panel = page.finals_panel = FinalsPanel(page)
    panel.refresh()
    panel.show()
    panel.raise_()
    return panel

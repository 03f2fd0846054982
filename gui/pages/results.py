"""Results: correct what was recorded, after the fact, with an audit trail.

Pick a race-day event (or a league race). An event shows its recorded sessions; the selected
session's laps are beside them. A lap is corrected in a small dialog (time, time penalty,
resets, validity, a reason); a session can be given to another racer or deleted (after a
confirmation). A race shows its submissions and their laps; a submission can be deleted. Each
correction calls the same Qt-free function as ``trackside raceday lap edit`` etc.
(``league.corrections``, ``league.deletions``), which writes the change and its audit entry in
one transaction. The board the correction affects and the audit entries of the selection show
below; the page then emits ``league_changed`` so the Race day and League pages and the projector
reload too. The editor's name (the audit log's ``who``) is kept in the settings.

Whatever the league refuses shows in the red line under the title, and nothing changes.
"""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.pages.league_tables import EVENT, LEADERBOARD, RowsModel, card, table_view
from gui.pages.results_dialogs import (
    AUDIT,
    LAPS,
    SESSIONS,
    SUBMISSION_LAPS,
    SUBMISSIONS,
    LapDialog,
    ReassignDialog,
    ask,
)
from gui.widgets.style import PAGE_STYLE, button, label
from league import corrections, deletions
from league.audit import who_is_editing
from league.db import database_error, open_db
from league.race_setup import list_races
from league.raceday import event_leaderboard, list_events
from league.races import standings
from sim.errors import TracksideError

EDITOR_SETTING = "results/editor"


class ResultsPage(QWidget):
    """Sessions (or submissions) and laps above, the board and the audit entries below."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self.db = open_db()
        self.dialog = None
        """The dialog or question open now (one at a time)."""
        self._build()
        ctx.league_changed.connect(self.refresh)
        self.refresh()

    # -- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        head = QHBoxLayout()
        head.addWidget(label("Results", "title"), 1)
        self.source_box = QComboBox(minimumWidth=260)
        self.source_box.currentIndexChanged.connect(lambda _: self.show_source())
        self.editor = QLineEdit(str(self.ctx.setting(EDITOR_SETTING, "") or who_is_editing()))
        self.editor.setToolTip("Your name in the audit log")
        self.editor.editingFinished.connect(lambda: self.ctx.set_setting(EDITOR_SETTING, self.editor.text().strip()))
        for w in (label("Event or race", "fieldLabel"), self.source_box, label("Editor", "fieldLabel"), self.editor):
            head.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice = label("", "error", wrap=True)
        self.notice.hide()

        rows_card, rl = card()
        self.rows_title = label("Sessions", "heading")
        rl.addWidget(self.rows_title)
        self.rows_model = RowsModel(SESSIONS, key="id", parent=self)
        self.rows_view = table_view(self.rows_model)
        self.rows_view.selectionModel().currentRowChanged.connect(lambda *_: self.show_laps())
        rl.addWidget(self.rows_view, 1)
        row_buttons = QHBoxLayout()
        self.reassign_button = button("Give to another racer\u2026")
        self.reassign_button.clicked.connect(self.reassign_dialog)
        self.delete_button = button("Delete\u2026")
        self.delete_button.clicked.connect(self.delete_selected)
        row_buttons.addStretch(1)
        row_buttons.addWidget(self.reassign_button)
        row_buttons.addWidget(self.delete_button)
        rl.addLayout(row_buttons)

        laps_card, ll = card("Laps")
        self.laps_model = RowsModel(LAPS, key="lap", parent=self)
        self.laps_view = table_view(self.laps_model, stretch=5)
        self.laps_view.doubleClicked.connect(lambda _: self.edit_lap_dialog())
        ll.addWidget(self.laps_view, 1)
        self.edit_button = button("Correct lap\u2026", "primary", "Time, penalty, resets or validity (or double-click)")
        self.edit_button.clicked.connect(self.edit_lap_dialog)
        ll.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignRight)

        board_card, bl = card("Board")
        self.board_model = RowsModel(EVENT, parent=self)
        bl.addWidget(table_view(self.board_model), 1)
        audit_card, al = card("Corrections")
        self.audit_model = RowsModel(AUDIT, key="id", parent=self)
        self.audit_view = table_view(self.audit_model, stretch=3)
        self.audit_view.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        self.audit_view.setColumnWidth(4, 200)  # the reason may be long: the change comes first
        al.addWidget(self.audit_view, 1)

        top, bottom = QHBoxLayout(), QHBoxLayout()
        top.addWidget(rows_card, 5)
        top.addWidget(laps_card, 4)
        bottom.addWidget(board_card, 2)
        bottom.addWidget(audit_card, 5)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 18, 24, 18)
        root.setSpacing(10)
        root.addLayout(head)
        root.addWidget(self.notice)
        root.addLayout(top, 1)
        root.addLayout(bottom, 1)

    # -- reading ------------------------------------------------------------------------------------
    def source(self) -> tuple[str, int] | None:
        """``("event", id)`` or ``("race", id)`` chosen now, or None when there is nothing to pick."""
        data = self.source_box.currentData()  # "event:3": Qt keeps a string as it is, unlike a tuple
        if not data:
            return None
        kind, key = data.split(":")
        return kind, int(key)

    def refresh(self) -> None:
        """Reload the events and races, keeping what was chosen."""
        keep = self.source_box.currentData()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        for ev in list_events(self.db):
            self.source_box.addItem(f"Race day: {ev.name}", f"event:{ev.id}")
        for race in list_races(self.db):
            self.source_box.addItem(f"League race: {race.name}", f"race:{race.id}")
        index = self.source_box.findData(keep) if keep is not None else -1
        self.source_box.setCurrentIndex(max(index, 0) if self.source_box.count() else -1)
        self.source_box.blockSignals(False)
        self.show_source()

    def show_source(self) -> None:
        """The chosen event's sessions (or race's submissions), its board and its corrections."""
        source, keep = self.source(), self.selected_row()
        kind, key = source if source else (None, None)
        is_event = kind == "event"
        self.rows_title.setText("Sessions" if is_event else "Submissions")
        self.rows_model.columns, self.laps_model.columns = ((SESSIONS, LAPS) if is_event
                                                           else (SUBMISSIONS, SUBMISSION_LAPS))
        self.board_model.columns = EVENT if is_event else LEADERBOARD
        self.reassign_button.setVisible(is_event)
        self.edit_button.setVisible(is_event)
        if kind is None:
            rows, board, audit = [], [], []
        elif is_event:
            rows = list(self.db.query("SELECT * FROM raceday_sessions WHERE event_id = ? ORDER BY id", [key]))
            board, audit = event_leaderboard(self.db, key), corrections.event_audit(self.db, key)
        else:
            rows = deletions.race_submissions(self.db, key)
            board, audit = standings(self.db, key), deletions.race_audit(self.db, key)
        self.rows_model.set_rows(rows)
        self.board_model.set_rows(board)
        self.audit_model.set_rows([{**e, "change": corrections.change_lines(e)} for e in audit])
        self._select(self.rows_view, self.rows_model, keep["id"] if keep else None)
        self.show_laps()

    def show_laps(self) -> None:
        keep, row = self.selected_lap(), self.selected_row()
        if row is None:
            laps = []
        elif self.source()[0] == "event":
            laps = [{**lap, "session": row["id"]} for lap in corrections.session_laps(self.db, row["id"])]
        else:
            laps = row["laps"]
        self.laps_model.set_rows(laps)
        self._select(self.laps_view, self.laps_model, keep["lap"] if keep else None)
        self.edit_button.setEnabled(bool(laps))
        for b in (self.reassign_button, self.delete_button):
            b.setEnabled(row is not None)

    @staticmethod
    def _select(view, model: RowsModel, key) -> None:
        """Select the row whose key is ``key`` (else the first row)."""
        if not model.rows:
            return
        view.selectRow(max(model.row_of(key), 0) if key is not None else 0)

    def selected_row(self) -> dict | None:
        return self.rows_model.row(self.rows_view.currentIndex().row())

    def selected_lap(self) -> dict | None:
        return self.laps_model.row(self.laps_view.currentIndex().row())

    # -- corrections ----------------------------------------------------------------------------------
    def edit_lap_dialog(self) -> LapDialog | None:
        """The selected lap's correction dialog (opened); None when no race-day lap is selected."""
        lap = self.selected_lap()
        if lap is None or self.source()[0] != "event":
            return None
        self.dialog = LapDialog(lap, self)
        self.dialog.accepted.connect(lambda d=self.dialog: self._correct_lap(d))
        self.dialog.open()
        return self.dialog

    def _correct_lap(self, dialog: LapDialog) -> bool:
        changes = dialog.changes()
        if not changes:
            self.notice.setText(f"lap {dialog.lap['lap']}: nothing was changed")
            self.notice.show()
            return False
        return self._correct(corrections.edit_lap, dialog.lap["session"], dialog.lap["lap"], self.who(),
                             reason=dialog.reason.text(), **changes)

    def reassign_dialog(self) -> ReassignDialog | None:
        session = self.selected_row()
        if session is None or self.source()[0] != "event":
            return None
        self.dialog = ReassignDialog(session, self)
        self.dialog.accepted.connect(lambda d=self.dialog: self._correct(
            corrections.reassign_session, session["id"], d.alias.text(), self.who(),
            display_name=d.name.text() or None, reason=d.reason.text()))
        self.dialog.open()
        return self.dialog

    def delete_selected(self):
        """Ask, then delete the selected session (or submission) with its laps."""
        row = self.selected_row()
        if row is None:
            return None
        if self.source()[0] == "event":
            text = (f"Delete session {row['id']} of {row['display_name']} with its {row['laps']} laps? "
                    "The board changes at once; the audit log keeps a copy.")
            self.dialog = ask(self, text, lambda: self._correct(corrections.delete_session, row["id"], self.who()))
        else:
            text = f"Delete submission {row['id']} of {row['display_name']}? Their standing falls back to their next best."
            self.dialog = ask(self, text, lambda: self._correct(deletions.delete_submission, row["id"], self.who()))
        return self.dialog

    def who(self) -> str:
        return self.editor.text().strip() or who_is_editing()

    def _correct(self, fn, *args, **kwargs) -> bool:
        """Run one correction; a refusal shows under the title and changes nothing. Returns success."""
        try:
            fn(self.db, *args, **kwargs)
        except (TracksideError, sqlite3.Error) as exc:  # sqlite3: e.g. another writer held the file too long
            self.notice.setText(str(exc if isinstance(exc, TracksideError) else database_error(exc)))
            self.notice.show()
            return False
        self.notice.hide()
        self.ctx.league_changed.emit()  # this page, the boards and the projector reload
        return True

    def on_shown(self) -> None:
        """Another window or a ``trackside`` command may have changed the league meanwhile."""
        self.refresh()

    def prepare_screenshot(self, model_name: str | None = None) -> None:
        """Show the first event with its first session and lap selected."""
        self.refresh()

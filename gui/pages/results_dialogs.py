"""The Results page's small dialogs and table columns: correct a lap, give a session to another
racer, confirm a delete. Each dialog only reads input; the page calls ``league.corrections`` (the
same function as the command line) when it is accepted. Dialogs open non-modally (``open()``) so
the event loop, and tests, keep running while they are up.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from gui.pages.league_tables import CENTER, RIGHT, Column, seconds
from gui.widgets.style import label


def _ms(ms) -> str:
    return seconds(None if ms is None else ms / 1000)


SESSIONS = (
    Column("#", lambda r: str(r["id"]), RIGHT),
    Column("Racer", lambda r: f"{r['display_name']} ({r['racer']})", None, True),
    Column("State", lambda r: r["state"]),
    Column("Laps", lambda r: f"{r['valid_laps']}/{r['laps']}", RIGHT),
    Column("Best", lambda r: _ms(r["best_lap_ms"]), RIGHT, True),
    Column("Resets", lambda r: str(r["resets"]), RIGHT),
)
"""A race-day event's recorded sessions (``raceday_sessions`` rows)."""

LAPS = (
    Column("Lap", lambda r: str(r["lap"]), CENTER),
    Column("Time", lambda r: _ms(r["time_ms"]), RIGHT),
    Column("Penalty", lambda r: "" if not r["penalty_ms"] else f"+{r['penalty_ms'] / 1000:.3f}", RIGHT),
    Column("Counts", lambda r: _ms(r["counted_ms"]), RIGHT, True),
    Column("Resets", lambda r: str(r["resets"]), RIGHT),
    Column("Valid", lambda r: ("valid" if r["valid"] else "invalid") + (" (marshal)" if r["overridden"] else "")
           + (f": {r['auto_invalid']}" if r["auto_invalid"] and not r["valid"] else "")),
)
"""A session's laps (``league.corrections.session_laps`` rows)."""

SUBMISSIONS = (
    Column("#", lambda r: str(r["id"]), RIGHT),
    Column("Racer", lambda r: f"{r['display_name']} ({r['racer']})", None, True),
    Column("Model", lambda r: r["model"]),
    Column("Submitted", lambda r: r["submitted_at"].replace("T", " ")[:16]),
    Column("Result", lambda r: _ms(r["score_ms"]) if r["score_ms"] is not None else "no valid result", RIGHT, True),
)
"""A league race's submissions."""

SUBMISSION_LAPS = (
    Column("Lap", lambda r: str(r["lap"]), CENTER),
    Column("Time", lambda r: _ms(r["time_ms"]), RIGHT, True),
    Column("Penalty", lambda r: "" if not r["penalty_ms"] else f"+{r['penalty_ms'] / 1000:.3f}", RIGHT),
    Column("Status", lambda r: r["status"]),
)
"""A submission's laps (read only: a league lap is what the simulator drove)."""

QUIET = ("overridden", "auto invalid", "collisions", "best lap", "best average", "valid laps", "laps:")
"""Changes that follow from the one the person made (``trackside audit`` shows them; the table does not)."""

AUDIT = (
    Column("When (UTC)", lambda r: r["at"].replace("T", " ")[:16]),
    Column("Who", lambda r: r["who"]),
    Column("What", lambda r: f"{r['action']} \u00b7 {row_text(r)}", None, True),
    Column("Change", lambda r: "; ".join(c for c in r["change"] if not c.startswith(QUIET))),
    Column("Reason", lambda r: r["reason"] or ""),
)
"""Audit entries (``league.audit.audit_entries`` rows with ``change``: ``league.corrections.change_lines``)."""


def row_text(entry: dict) -> str:
    """The row an audit entry changed, in words: ``session 4 lap 3``, ``session 4``, ``racer 2``."""
    if entry["entity"] == "raceday_lap" and "/" in entry["entity_id"]:
        session, lap = entry["entity_id"].split("/", 1)
        return f"session {session} lap {lap}"
    return f"{entry['entity'].replace('raceday_', '')} {entry['entity_id']}"


class LapDialog(QDialog):
    """A lap's time, penalty, resets and validity, filled with its current values."""

    def __init__(self, lap: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.lap = lap
        self.setWindowTitle(f"Correct session {lap['session']} lap {lap['lap']}")
        form = QFormLayout(self)
        self.time = self._seconds(lap["time_ms"], 0.001, 3600.0)
        self.penalty = self._seconds(lap["penalty_ms"], 0.0, 600.0)
        self.resets = QSpinBox(minimum=0, maximum=999, value=lap["resets"])
        self.valid = QCheckBox("valid (a marshal's verdict, kept whatever the resets)")
        self.valid.setChecked(bool(lap["valid"]))
        self.reason = QLineEdit(placeholderText="why, for the audit log")
        for text, widget in (("Lap time (s)", self.time), ("Time penalty (s)", self.penalty),
                             ("Resets", self.resets), ("", self.valid), ("Reason", self.reason)):
            form.addRow(text, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _seconds(ms: int, lo: float, hi: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(decimals=3, minimum=lo, maximum=hi, singleStep=0.1, suffix=" s")
        box.setValue(ms / 1000)
        return box

    def changes(self) -> dict:
        """Only what the user changed, as ``league.corrections.edit_lap`` keywords."""
        out = {}
        if round(self.time.value() * 1000) != self.lap["time_ms"]:
            out["time_s"] = self.time.value()
        if round(self.penalty.value() * 1000) != self.lap["penalty_ms"]:
            out["penalty_s"] = self.penalty.value()
        if self.resets.value() != self.lap["resets"]:
            out["resets"] = self.resets.value()
        if self.valid.isChecked() != bool(self.lap["valid"]):
            out["valid"] = self.valid.isChecked()
        return out


class ReassignDialog(QDialog):
    """The racer (alias, and a display name for a racer the league does not know) a session goes to."""

    def __init__(self, session: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Give session {session['id']} to another racer")
        form = QFormLayout(self)
        form.addRow(label(f"Now: {session['display_name']} ({session['racer']}), {session['laps']} laps", "subtitle"))
        self.alias = QLineEdit(placeholderText="alias")
        self.name = QLineEdit(placeholderText="display name (default: the league's, else the alias)")
        self.reason = QLineEdit(placeholderText="why, for the audit log")
        for text, widget in (("Racer", self.alias), ("Name", self.name), ("Reason", self.reason)):
            form.addRow(text, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def ask(parent: QWidget, text: str, on_yes) -> QMessageBox:
    """A Yes/No question, opened non-modally; ``on_yes()`` runs when Yes is pressed. Returns the box."""
    box = QMessageBox(QMessageBox.Icon.Question, "Trackside", text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).clicked.connect(on_yes)
    box.open()
    return box

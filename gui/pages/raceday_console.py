"""The race-day session console: what a timekeeper looks at and types on.

A large countdown, the running lap, the best lap, the lap list with valid/invalid marks (and
collisions when the event has boxes or bot cars), the track (with the car and the event's
objects, live, in a simulated session: the state's ``objects`` rows), the keys on screen, and a status
line that flashes what each key did: green for a recorded action, red for a refused one
(a double trigger, nothing to undo, no racer on track), so no key press is ever silently
swallowed. Displays refresh from a ``QTimer`` at about 30 Hz, never per simulation step.

Keys (the page also binds them as shortcuts, so they work wherever focus is on the page):
Space starts the clock, then captures a lap; R counts a reset, Shift+R undoes it;
Backspace undoes a false finish; I flips the selected (else the last) lap's validity;
P pauses and resumes; Esc ends the session after a confirmation; Enter submits an
ended session. The console only reports: the page records sessions (``finish_requested``).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEasingCurve, Qt, QTimer, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from gui.pages.league_tables import track_name
from gui.timer_link import timer_link
from gui.track_view import TrackView
from gui.widgets.dialogs import confirm
from gui.widgets.style import button, label
from league.exports import format_time
from league.timing import DNF, ENDED, LAST_LAP, PAUSED, READY
from sim.errors import TracksideError

REFRESH_MS = 33
KEYS = (("Space", "start / lap"), ("R", "reset"), ("\u21e7R", "undo reset"), ("\u232b", "undo false finish"),
        ("I", "valid / invalid"), ("P", "pause"), ("Esc", "end"), ("\u21b5", "submit"))
SHORTCUTS = {"Space": "lap", "R": "reset", "Shift+R": "undo_reset", "Backspace": "undo_finish", "I": "flip",
             "P": "pause", "Esc": "end", "Return": "submit", "Enter": "submit"}
"""Key sequence -> console action, for the page's shortcuts."""
STATE_TEXT = {READY: ("READY", "#5f6b7a"), "running": ("RUNNING", "#2e7d32"), PAUSED: ("PAUSED", "#ef6c00"),
              LAST_LAP: ("TIME UP \u2013 LAST LAP", "#c62828"), ENDED: ("OVER", "#1565c0"), DNF: ("DNF", "#c62828"),
              "submitted": ("RECORDED", "#1565c0"), "discarded": ("DISCARDED", "#5f6b7a"),
              "failed": ("FAILED", "#c62828")}
FLASH = {"ok": QColor(46, 125, 50), "refused": QColor(198, 40, 40), "info": QColor(21, 101, 192)}
NO_RACER = "No racer on track: add one to the queue, then load them with \u201cLoad racer\u201d"


def clock_text(seconds: float) -> str:
    """Seconds left as M:SS, rounded up (0:01 until the clock really reaches zero)."""
    s = int(math.ceil(max(0.0, seconds) - 1e-9))
    return f"{s // 60}:{s % 60:02d}"


def _readout(title: str, px: int) -> tuple[QFrame, object, object]:
    box = QFrame(objectName="card")
    lay = QVBoxLayout(box)
    lay.setContentsMargins(14, 8, 14, 10)
    lay.setSpacing(0)
    head = label(title.upper(), "hint")
    value = label("\u2013")
    value.setStyleSheet(f"font-size: {px}px; font-weight: 700; color: #1f242b;")
    value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    sub = label("", "hint")
    lay.addWidget(head)
    lay.addWidget(value, 1)
    lay.addWidget(sub)
    return box, value, sub


class SessionConsole(QFrame):
    """Shows one :class:`~gui.pages.raceday_session.ConsoleSession` and turns keys into its actions."""

    acted = Signal(str)
    """An action succeeded (its name)."""
    finish_requested = Signal(bool)
    """The timekeeper asked to record the session: True submit, False discard."""
    refreshed = Signal(object)
    """The state shown (snapshot + ``racer``, ``name``) after each refresh, or None without a session."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.session = None
        self.messages: list[tuple[str, str]] = []
        """Every ``(kind, text)`` flashed, oldest first."""
        self._laps_key = None
        self._last_state = None
        self._trail: list[tuple[float, float]] = []
        self._build()
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.flash_anim = QVariantAnimation(self, startValue=1.0, endValue=0.0, duration=1600,
                                            easingCurve=QEasingCurve.Type.InQuad)
        self.flash_anim.valueChanged.connect(self._paint_flash)
        self._flash_color = FLASH["info"]
        self.refresh()

    def _build(self) -> None:
        head = QHBoxLayout()
        self.racer = label("No racer on track")
        self.racer.setStyleSheet("font-size: 26px; font-weight: 700; color: #1f242b;")
        self.driver = label("", "subtitle")
        self.state_chip = label("")
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.racer)
        names.addWidget(self.driver)
        head.addLayout(names, 1)
        head.addWidget(self.state_chip, 0, Qt.AlignmentFlag.AlignTop)
        box_left, self.countdown, self.countdown_sub = _readout("Time left", 96)
        box_lap, self.running, self.running_sub = _readout("Running lap", 48)
        box_best, self.best, self.best_sub = _readout("Best lap", 48)
        readouts = QGridLayout()
        readouts.setSpacing(10)
        readouts.addWidget(box_left, 0, 0, 2, 1)
        readouts.addWidget(box_lap, 0, 1)
        readouts.addWidget(box_best, 1, 1)
        readouts.setColumnStretch(0, 3)
        readouts.setColumnStretch(1, 2)
        self.laps = QTableWidget(0, 5)
        self.laps.setHorizontalHeaderLabels(["Lap", "Time", "Resets", "Collisions", "Valid"])
        self.laps.setColumnHidden(3, True)  # shown for events with boxes or bot cars (set_event)
        self.laps.verticalHeader().hide()
        self.laps.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.laps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.laps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.laps.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the console
        self.laps.setShowGrid(False)
        self.laps.verticalHeader().setDefaultSectionSize(28)
        hdr = self.laps.horizontalHeader()
        hdr.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.track = TrackView(show_racing_line=False)
        self.track.setMouseEnabled(x=False, y=False)
        self.track.setMinimumSize(220, 150)
        middle = QHBoxLayout()
        middle.setSpacing(10)
        middle.addWidget(self.laps, 1)
        middle.addWidget(self.track, 1)
        self.status = label("", wrap=True)
        self.status.setMinimumHeight(34)
        self.status.setStyleSheet("font-size: 14px; padding: 6px 10px; border-radius: 5px;")
        self.keys = label("&nbsp;&nbsp; ".join(
            f"<span style='background:#1f242b; color:white; font-weight:700'>&nbsp;{key}&nbsp;</span>&nbsp;{what}"
            for key, what in KEYS), wrap=True)
        self.keys.setTextFormat(Qt.TextFormat.RichText)
        self.buttons = {}
        row = QHBoxLayout()
        for key, text, role in (("lap", "Start", "primary"), ("pause", "Pause", None), ("end", "End\u2026", None),
                                ("dnf", "DNF", None), (None, None, None), ("discard", "Discard\u2026", "danger"),
                                ("submit", "Submit result", "primary")):
            if key is None:
                row.addStretch(1)
                continue
            b = button(text, role)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=key: self.do(k))
            self.buttons[key] = b
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.setSpacing(10)
        lay.addLayout(head)
        lay.addLayout(readouts)
        lay.addLayout(middle, 1)
        lay.addWidget(self.status)
        lay.addWidget(self.keys)
        lay.addLayout(row)

    # -- the session ------------------------------------------------------------------------------
    def set_event(self, event) -> None:
        from sim.library import load_track

        if event is not None and (self.track.track is None or self.track.track.name != event.track):
            self.track.set_track(load_track(event.track))
        self.laps.setColumnHidden(3, event is None or event.race_type == "time_trial")

    def set_session(self, session) -> None:
        self.session = session
        self._laps_key = self._last_state = None
        self._trail = []
        self.track.clear_dynamic()
        timer_link().follow(session)  # a lap sensor's crossings go to the session on the line
        if session is not None:
            session.changed.connect(self.refresh)
            if getattr(session, "sensed", None) is not None:
                session.sensed.connect(self._sensed)
            if getattr(session, "failed", None) is not None:
                session.failed.connect(lambda m: self.flash(f"The simulated session failed: {m}", "refused"))
            self.setFocus()
        self.refresh()

    def selected_lap(self) -> int | None:
        rows = self.laps.selectionModel().selectedRows()
        return rows[0].row() + 1 if rows else None

    # -- keys and actions -------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.isAutoRepeat():
            return
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        action = {Qt.Key.Key_Space: "lap", Qt.Key.Key_R: "undo_reset" if shift else "reset",
                  Qt.Key.Key_Backspace: "undo_finish", Qt.Key.Key_I: "flip", Qt.Key.Key_P: "pause",
                  Qt.Key.Key_Escape: "end", Qt.Key.Key_Return: "submit", Qt.Key.Key_Enter: "submit"}.get(key)
        if action is None:
            super().keyPressEvent(event)
            return
        self.do(action)

    def do(self, action: str) -> bool:
        """Run a console action; what happened (or why not) flashes on the status line. True when done."""
        s = self.session
        if s is None:
            self.flash(NO_RACER, "refused")
            return False
        if action == "lap" and s.state == READY:
            action = "start"
        if action in ("submit", "discard"):
            return self._finish(action == "submit")
        if action == "end" and s.live and not confirm(self, "End the session?", f"End {s.name}'s session now? The "
                                                      "lap in progress will not count."):
            self.flash("Session not ended: it goes on", "info")
            return False
        try:
            text = s.act(action, self.selected_lap() if action == "flip" else None)
        except TracksideError as exc:  # a timing refusal, or the league refusing the start
            self.flash(str(exc)[:1].upper() + str(exc)[1:], "refused")
            return False
        self.flash(text, "ok")
        self.acted.emit(action)
        self.refresh()
        return True

    def _sensed(self, kind: str, text: str, action: str) -> None:
        """A lap sensor's crossing: flashed like a key press, and reported like one when it did something."""
        self.flash(text, kind)
        if action:
            self.acted.emit(action)

    def _finish(self, submit: bool) -> bool:
        s = self.session
        if not s.over and not (not submit and s.state in (READY, "failed")):
            why = "the session is still running: end it first (Esc)" if s.live else "nothing to record yet"
            self.flash(f"Cannot {'submit' if submit else 'discard'}: {why}", "refused")
            return False
        if not submit and s.state != READY and not confirm(
                self, "Discard the session?", f"Discard {s.name}'s session? It will not count; the laps are kept "
                "in the event's history as discarded, and the racer goes back to the queue."):
            return False
        self.finish_requested.emit(submit)
        return True

    def flash(self, text: str, kind: str = "info") -> None:
        """Show ``text`` on the status line with a coloured flash that fades."""
        self.messages.append((kind, text))
        mark = {"ok": "\u2713 ", "refused": "\u2717 ", "info": ""}[kind]
        self.status.setText(mark + text)
        self._flash_color = FLASH[kind]
        self.flash_anim.stop()
        self.flash_anim.start()

    def _paint_flash(self, value) -> None:
        c = self._flash_color
        alpha = float(value)
        bg = f"rgba({c.red()}, {c.green()}, {c.blue()}, {int(200 * alpha)})"
        fg = "white" if alpha > 0.45 else c.name()
        self.status.setStyleSheet(f"font-size: 14px; font-weight: 600; padding: 6px 10px; border-radius: 5px; "
                                  f"background: {bg}; color: {fg};")

    # -- display ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        s = self.session
        snap = s.snapshot() if s is not None else None
        if s is None:
            self.racer.setText("No racer on track")
            self.driver.setText("Load the next racer from the queue.")
            self._show_state(None)
            self.countdown.setText("\u2013:\u2013\u2013")
            for w in (self.running, self.best):
                w.setText("\u2013")
            for w in (self.countdown_sub, self.running_sub, self.best_sub):
                w.setText("")
            self.laps.setRowCount(0)
            self._laps_key = None
        else:
            self.racer.setText(s.name + ("" if s.name == s.racer else f"  ({s.racer})"))
            ev = s.race_event  # the event as this session's track sees it (RaceDayEvent.on_track)
            on = f"  \u00b7  on {track_name(ev.track)}" if ev.multi_track else ""
            self.driver.setText(s.describe().capitalize() + on)
            self._show_snapshot(s, snap)
        self._update_buttons()
        self.refreshed.emit(None if s is None else {**snap, "racer": s.racer, "name": s.name,
                                                    "driver": s.entry["driver"], "track": s.race_event.track})

    def _show_snapshot(self, s, snap: dict) -> None:
        state = s.state if s.state == "failed" else snap["state"]
        self._show_state(state)
        if state != self._last_state:
            if state == LAST_LAP:
                self.flash("Time is up: the lap in progress still counts. Space at the finish ends the session", "info")
            elif state in (ENDED, DNF) and self._last_state is not None:
                self.flash("Session over: Enter submits the result, Discard throws it away", "info")
            self._last_state = state
        left = snap["time_left_s"]
        self.countdown.setText(clock_text(left))
        colour = "#c62828" if left <= 0 else ("#ef6c00" if left <= 30 else "#1f242b")
        self.countdown.setStyleSheet(f"font-size: 96px; font-weight: 700; color: {colour};")
        self.countdown_sub.setText(f"of {clock_text(s.race_event.length_s)}  \u00b7  clock {snap['clock_s']:.1f} s")
        run = snap["running_lap_s"]
        self.running.setText("\u2013" if run is None else f"{run:.1f}")
        n = len(snap["laps"]) + (1 if run is not None else 0)
        hits = snap.get("running_collisions", 0)
        self.running_sub.setText(f"lap {n}  \u00b7  {snap['running_resets']} resets"
                                 + (f" ({hits} collisions)" if hits else "") if run is not None else "")
        self.best.setText(format_time(snap["result_s"]) if snap["result_s"] is not None else "\u2013")
        valid = sum(1 for lap in snap["laps"] if lap["valid"])
        what = "average" if s.race_event.ranking == "best_average" else "best valid lap"
        self.best_sub.setText(f"{what}  \u00b7  {valid}/{len(snap['laps'])} laps valid")
        key = tuple((lap["number"], lap["time_s"], lap["resets"], lap.get("collisions", 0), lap["valid"])
                    for lap in snap["laps"])
        if key != self._laps_key:
            self._show_laps(snap)
            self._laps_key = key
        car = snap.get("car")
        if car:
            self._trail = (self._trail + [(car["x"], car["y"])])[-90:]
            self.track.set_cars(np.array([[car["x"], car["y"], car["yaw_deg"]]]))
            self.track.set_trails([np.array(self._trail)])
        if "objects" in snap:  # a simulated session's boxes and bot cars (sim.object_rows rows)
            self.track.set_objects(snap["objects"])

    def _show_state(self, state: str | None) -> None:
        text, colour = STATE_TEXT.get(state, ("NO SESSION", "#5f6b7a"))
        self.state_chip.setText(text)
        self.state_chip.setStyleSheet(f"background: {colour}; color: white; font-weight: 700; font-size: 14px; "
                                      "padding: 5px 12px; border-radius: 12px;")

    def _show_laps(self, snap: dict) -> None:
        keep = self.selected_lap()
        best = snap["best_lap_s"]
        self.laps.setRowCount(len(snap["laps"]))
        bold = QFont()
        bold.setBold(True)
        for i, lap in enumerate(snap["laps"]):
            if lap["valid"]:
                mark = "\u2713 valid" + (" (timekeeper)" if lap["override"] is not None else "")
            else:
                mark = "\u2717 invalid \u2013 " + ("timekeeper" if lap["override"] is not None else lap["auto_invalid"])
            cells = [str(lap["number"]), format_time(lap["time_s"]), str(lap["resets"]), str(lap.get("collisions", 0)),
                     mark]
            is_best = lap["valid"] and best is not None and lap["time_s"] == best
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c < 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 4:
                    item.setForeground(QColor("#2e7d32" if lap["valid"] else "#c62828"))
                if is_best:
                    item.setFont(bold)
                    item.setBackground(QColor("#fff3d6"))
                self.laps.setItem(i, c, item)
        if keep is not None and keep <= len(snap["laps"]):
            self.laps.selectRow(keep - 1)
        self.laps.scrollToBottom()

    def _update_buttons(self) -> None:
        s = self.session
        state = s.state if s is not None else None
        sim = bool(s is not None and s.simulated)
        self.buttons["lap"].setText("Start" if state in (READY, None) else "Lap")
        self.buttons["lap"].setEnabled(state == READY or (state in ("running", LAST_LAP) and not sim))
        self.buttons["pause"].setText("Resume" if state == PAUSED else "Pause")
        self.buttons["pause"].setEnabled(not sim and state in ("running", LAST_LAP, PAUSED))
        self.buttons["end"].setEnabled(state in ("running", LAST_LAP, PAUSED))
        self.buttons["dnf"].setEnabled(not sim and state in (READY, "running", LAST_LAP, PAUSED))
        self.buttons["submit"].setEnabled(state in (ENDED, DNF))
        self.buttons["discard"].setEnabled(s is not None and state in (READY, ENDED, DNF, "failed"))

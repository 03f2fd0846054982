"""Race day: an event, its queue of racers, the session console and the projector.

The organiser sets up an event (track, 4:00 sessions, ranking, resets per lap), queues
racers as they walk up (with their model, the standard model, or a physical car timed by
hand), loads the next racer into the console and runs the session: a simulated one drives
itself on the track view at real speed; a hand-timed one is driven from the keyboard.
When it is over, Submit records it (``league.raceday.record_session``: one transaction
with its laps) and the leaderboard and projector update, the new result highlighted.

Whatever ``league.raceday`` refuses (a duplicate queue entry, an unknown model, an event
name taken) shows in the red line under the title. A session that is on track or not yet
recorded cannot be replaced by another racer or event, and one still unrecorded when the
app closes is kept as a discarded session, so nothing timed is ever lost.

The page takes a ``clock`` (default ``time.monotonic``) that hand-timed sessions read, so
tests drive time deterministically.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QVBoxLayout, QWidget

from gui.pages.league_submit import fill
from gui.pages.league_tables import track_name
from gui.pages.printing import print_button
from gui.pages.raceday_board import BoardCard
from gui.pages.raceday_console import SHORTCUTS, SessionConsole
from gui.pages.raceday_dialogs import EventDialog, QueueDialog, QueuePanel
from gui.pages.raceday_menus import event_menu_button, export_menu_button
from gui.pages.raceday_session import console_session
from gui.projector import ProjectorSourceBox, close_projector, open_projector, projector_menu, shared_feed
from gui.server_panel import LiveStatePublisher
from gui.widgets.style import PAGE_STYLE, button, label, set_role
from league import raceday as rd
from league.db import LeagueError, open_db

HIGHLIGHT_MS = 8000


class RaceDayPage(QWidget):
    """Event and queue on the left, the session console on the right."""

    def __init__(self, ctx, parent: QWidget | None = None, *, clock=time.monotonic, sample: bool = True):
        super().__init__(parent)
        self.ctx, self.clock = ctx, clock
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self.db = open_db()
        if sample:
            from league.sample import ensure_sample_league

            ensure_sample_league(self.db)
        self.session = None
        self.last_session_id: int | None = None
        self.feed = shared_feed(ctx)
        self._build()
        self.unhighlight = QTimer(self, singleShot=True, interval=HIGHLIGHT_MS)
        self.unhighlight.timeout.connect(lambda: self.board_card.show_rows(self.board_model.rows))
        for keys, action in SHORTCUTS.items():
            shortcut = QShortcut(QKeySequence(keys), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.setAutoRepeat(False)
            shortcut.activated.connect(lambda a=action: self.console.do(a))
        ctx.league_changed.connect(self.refresh)
        self.refresh()

    # -- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        head = QHBoxLayout()
        head.addWidget(label("Race day", "title"), 1)
        self.rules = label("", "subtitle", wrap=True)
        self.event_box = QComboBox()
        self.event_box.setMinimumWidth(220)
        self.event_box.currentIndexChanged.connect(self._event_chosen)
        self.event_menu = event_menu_button(self)
        self.projector_box = ProjectorSourceBox(self.feed)
        projector = button("Open projector", "primary", "A dark full-screen leaderboard for a second screen")
        menu = projector_menu(self.ctx, projector)  # more than one screen: choose which
        if menu is not None:
            projector.setMenu(menu)
        else:
            projector.clicked.connect(lambda: open_projector(self.ctx))
        for w in (label("Event", "fieldLabel"), self.event_box, self.event_menu,
                  label("Projector", "fieldLabel"), self.projector_box, projector):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys belong to the console
            head.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice = label("", "error", wrap=True)
        self.notice.hide()

        self.queue_panel = QueuePanel()
        self.queue, self.queue_buttons = self.queue_panel.list, self.queue_panel.buttons
        self.speed_box, self.load_button = self.queue_panel.speed_box, self.queue_panel.load_button
        for key, slot in (("add", self.add_dialog), ("up", lambda: self.move(-1)), ("down", lambda: self.move(1)),
                          ("skip", self.skip_selected), ("remove", self.remove_selected)):
            self.queue_buttons[key].clicked.connect(slot)
        self.load_button.clicked.connect(lambda: self.load())
        self.queue.currentRowChanged.connect(lambda _: self._update_buttons())
        self.print_button = print_button(self, lambda: self.event_box.currentData())  # podium, certificates, summary
        self.print_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        board_card = self.board_card = BoardCard((export_menu_button(self), self.print_button))
        self.board_model, self.board = board_card.model, board_card.view
        board_card.track_changed.connect(self.refresh)
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(self.queue_panel, 4)
        left.addWidget(board_card, 5)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setFixedWidth(340)
        left.setContentsMargins(0, 0, 0, 0)
        self.console = SessionConsole()
        self.console.acted.connect(self._acted)
        self.console.finish_requested.connect(self.record)
        self.console.refreshed.connect(self._to_projector)
        self.live_state = LiveStatePublisher(self)  # the racer on track, for the event server's boards
        body = QHBoxLayout()
        body.setSpacing(14)
        body.addWidget(left_box)
        body.addWidget(self.console, 1)
        root = QVBoxLayout(self)
        root.setContentsMargins(24, 18, 24, 18)
        root.setSpacing(10)
        root.addLayout(head)
        root.addWidget(self.rules)
        root.addWidget(self.notice)
        root.addLayout(body, 1)

    # -- reading ------------------------------------------------------------------------------------
    def on_shown(self) -> None:
        self.refresh()
        self.console.setFocus()

    def shutdown(self) -> None:
        """Stop a simulated car; keep an unrecorded session as discarded so its laps are not lost."""
        self.console.timer.stop()
        close_projector(self.ctx)
        s = self.session
        if s is None:
            return
        s.stop()
        if s.active is not None and s.state not in ("submitted", "discarded"):
            try:
                rd.discard_session(self.db, s.active, s.timer)
            except LeagueError:
                pass

    def current_event(self) -> rd.RaceDayEvent | None:
        name = self.event_box.currentData()
        try:
            return rd.get_event(self.db, name) if name else None
        except LeagueError:
            return None

    def refresh(self) -> None:
        """Reload events, queue and leaderboard (keeping the choices); follow them on the projector."""
        fill(self.event_box, [(e.name, e.name) for e in rd.list_events(self.db)], self.event_box.currentData())
        ev = self.current_event()
        self.projector_box.offer(self.db, ev)
        if ev is None:
            self.rules.setText("Set up an event with \u201cNew event\u2026\u201d: a track and the session rules.")
            self.queue.clear()
            self.board_card.offer_tracks(())
            self.board_card.show_rows([])
            self._update_buttons()
            return
        limit = "no reset limit" if ev.resets_limit is None else f"at most {ev.resets_limit} resets per valid lap"
        rank = ev.describe_ranking()
        mins, secs = divmod(int(ev.length_s), 60)
        race = ev.describe_race_type()
        if ev.race_type != "time_trial":
            race += f", a collision holds the car {ev.collision_penalty_s:g} s and counts as a reset"
        tracks = " + ".join(track_name(t) for t in ev.tracks)
        self.rules.setText("  \u00b7  ".join((tracks, f"{mins}:{secs:02d} sessions", rank, limit, ev.describe_runs(),
                                               race[:1].upper() + race[1:])))
        if self.session is None:
            self.console.set_event(ev)
        self.queue_panel.show_entries(rd.queue(self.db, ev))
        self.board_card.offer_tracks(ev.tracks)
        self.board_card.show_rows(rd.event_leaderboard(self.db, ev, track=self.board_card.track()),
                                  self.board_model.highlight if self.unhighlight.isActive() else None)
        self._update_buttons()

    def projector_source(self) -> tuple[str, str]:
        """What the projector is set to show: ``("event" | "race", name)`` (name empty: nothing)."""
        return self.projector_box.source()

    def _to_projector(self, info) -> None:
        if self.feed.source == ("event", self.event_box.currentData()):
            self.feed.set_session(info)

    def selected_entry(self) -> int | None:
        return self.queue_panel.selected_entry()

    def _update_buttons(self) -> None:
        has_event, chosen = self.current_event() is not None, self.selected_entry() is not None
        self.queue_buttons["add"].setEnabled(has_event)
        for key in ("up", "down", "skip", "remove"):
            self.queue_buttons[key].setEnabled(chosen)
        self.load_button.setEnabled(has_event and self.queue.count() > 0 and not self._busy())
        self.event_box.setEnabled(not self._busy())

    def _busy(self) -> bool:
        """A session is on the console that is on track or not yet recorded."""
        s = self.session
        return s is not None and s.state not in ("ready", "submitted", "discarded")

    # -- actions ------------------------------------------------------------------------------------
    def say(self, text: str, ok: bool = False) -> None:
        set_role(self.notice, "ok" if ok else "error")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        if text:
            self.ctx.status_message.emit(text)

    def _do(self, fn, done: str | None = None):
        try:
            result = fn()
        except LeagueError as exc:
            self.say(str(exc))
            return None
        self.say(done or "", ok=True)
        self.ctx.league_changed.emit()
        return result

    def _event_chosen(self) -> None:
        self.console.set_session(None)
        self.session = None
        self.refresh()

    def create_event(self, name: str, track: str, **rules) -> rd.RaceDayEvent | None:
        ev = self._do(lambda: rd.create_event(self.db, name, track, **rules), f"Created event {name}")
        if ev is not None:
            self.select_event(ev.name)
        return ev

    def select_event(self, name: str) -> bool:
        if self._busy():
            self.say("A session is on the console: record or discard it before changing the event.")
            return False
        i = self.event_box.findData(name)
        if i >= 0:
            self.event_box.setCurrentIndex(i)
        return i >= 0

    def new_event_dialog(self) -> None:
        from sim.library import list_tracks

        tracks = [(t.name, (t.display_name or t.name) + ("" if t.trainable else " (competition)"))
                  for t in list_tracks()]
        dialog = EventDialog(self, lambda v: rd.create_event(self.db, **v), tracks)
        if dialog.exec():
            self.say(f"Created event {dialog.result_value.name}", ok=True)
            self.ctx.league_changed.emit()
            self.select_event(dialog.result_value.name)

    def add_to_queue(self, racer: str, *, display_name: str | None = None, model: str | None = None,
                     car: bool = False, checkpoint: str | None = None, track: str | None = None) -> dict | None:
        """Queue a racer at the current event (on ``track``, default its first); a refusal shows under the
        title and returns None."""
        ev = self.current_event()
        if ev is None:
            self.say("Set up an event first.")
            return None
        return self._do(lambda: rd.add_to_queue(self.db, ev, racer, display_name=display_name, model=model, car=car,
                                                checkpoint=checkpoint, track=track), f"Queued {racer.strip()}")

    def add_dialog(self) -> None:
        from league.races import list_racers

        ev = self.current_event()
        if ev is None:
            return
        dialog = QueueDialog(self, lambda v: rd.add_to_queue(self.db, ev, v.pop("racer"), **v),
                             [(r.alias, r.display_name) for r in list_racers(self.db)], self.ctx.store.names(),
                             self.ctx.store.exists("standard"), [(t, track_name(t)) for t in ev.tracks])
        if dialog.exec():
            self.say(f"Queued {dialog.result_value['racer']}", ok=True)
            self.ctx.league_changed.emit()

    def move(self, delta: int) -> None:
        entry = self.selected_entry()
        if entry is not None:
            position = max(1, min(self.queue.count(), self.queue.currentRow() + 1 + delta))
            self._do(lambda: rd.reorder(self.db, entry, position))

    def skip_selected(self) -> None:
        if self.selected_entry() is not None:
            self._do(lambda: rd.skip(self.db, self.selected_entry()), "Skipped: kept in the event's history")

    def remove_selected(self) -> None:
        if self.selected_entry() is not None:
            self._do(lambda: rd.remove(self.db, self.selected_entry()), "Removed from the queue")

    def load(self, entry_id: int | None = None) -> bool:
        """Put a queued racer (the selected one, else the next) on the console, ready to start."""
        ev = self.current_event()
        if self._busy():
            self.console.flash(f"{self.session.name}'s session is not recorded yet: submit or discard it first",
                               "refused")
            return False
        if ev is None:
            self.console.flash("Set up an event first (New event…)", "refused")
            return False
        entry_id = entry_id or self.selected_entry() or (rd.next_in_queue(self.db, ev) or {}).get("id")
        if entry_id is None:
            self.console.flash("Nobody is waiting: add a racer to the queue first", "refused")
            return False
        entry = rd.get_entry(self.db, entry_id)
        ev = ev.on_track(entry["track"])  # the session drives (and shows) the track the entry asked for
        try:
            session = console_session(self.db, ev, entry, self.ctx.store, self.clock, self.speed_box.currentData(),
                                      parent=self)
        except Exception as exc:  # the store says what is wrong
            self.console.flash(f"Cannot load {entry['racer']}: {exc}", "refused")
            return False
        self.session = session
        self.console.set_event(ev)
        self.console.set_session(session)
        self.console.flash(f"{entry['display_name']} is on the line: Space starts the "
                           + ("clock" if entry["driver"] == "car" else "simulated car"), "info")
        self._update_buttons()
        return True

    def _acted(self, action: str) -> None:
        if action == "start":  # the entry is running now (rd.start_session): every view shows it
            self.ctx.league_changed.emit()
        self._update_buttons()

    def record(self, submit: bool) -> int | None:
        """Record the console's session (submitted, or discarded back to the queue); returns its id."""
        s = self.session
        if s is None:
            return None
        if s.active is None:  # never started: just take the racer off the line
            self.session = None
            self.console.set_session(None)
            self.refresh()
            return None
        # A simulated car that never ran (timer None) leaves an empty discarded session.
        sid = self._do(lambda: (rd.submit_session if submit else rd.discard_session)(self.db, s.active, s.timer))
        if sid is None:
            self.console.flash(self.notice.text(), "refused")
            return None
        self.last_session_id = sid
        board = {r["racer"]: r for r in rd.event_leaderboard(self.db, s.race_event, track=s.race_event.track)}
        mine = board.get(s.racer, {})
        if submit:
            done = f"Recorded {s.name}: " + (f"{mine['time_s']:.3f} s, rank {mine['rank']}" if mine.get("time_s")
                                             else "no valid time")
            self.board_model.highlight = s.racer
            self.unhighlight.start()
        else:
            done = f"Discarded {s.name}'s session: {s.name} is back in the queue"
        self.say(done, ok=True)
        self.session = None
        self.console.set_session(None)
        self.console.flash(done, "ok")  # replaces the "Session over: Enter submits ..." hint
        self.refresh()
        return sid

    def export(self, what: str):
        """Write the event's export ``what`` (``event-html``, ``-laps``, ``-summary``, ``-json``) to a chosen file."""
        from gui.pages.league_export import export_with_dialog

        return export_with_dialog(self, what, event=self.event_box.currentData())

    # -- screenshots ----------------------------------------------------------------------------------
    def prepare_screenshot(self, model_name: str) -> None:
        """Run the next model-driven racer's session at 4x, with the projector open beside it."""
        ev = self.current_event()
        entry = next((e for e in rd.queue(self.db, ev) if e["driver"] == "model"), None) if ev else None
        self._shot_started = time.monotonic()
        window = open_projector(self.ctx, full_screen=False)
        window.resize(1280, 720)
        if entry is not None:
            self.speed_box.setCurrentIndex(self.speed_box.findData(5.0))
            if self.load(entry["id"]):
                self.console.do("lap")

    def screenshot_ready(self) -> bool:
        s = self.session
        waited = time.monotonic() - getattr(self, "_shot_started", 0.0)
        return s is None or waited > 45 or (len(s.snapshot()["laps"]) >= 2 and waited > 8)

    def extra_screenshots(self) -> list[tuple[str, QWidget]]:
        """Windows besides the page that ``gui.screenshots`` saves: the projector."""
        window = getattr(self.ctx, "projector_window", None)
        return [("projector", window)] if window is not None else []

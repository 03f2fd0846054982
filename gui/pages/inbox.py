"""Inbox: the models racers handed in (the event server's upload page, a watched folder, the CLI).

A table of hand-ins, newest first: when, who, the model it became, its hash, where it went and
whether it was accepted (the queue place or the submission) or refused (the one-line reason),
read from ``league.handin.inbox`` and refreshed by a timer, so uploads through the server show up
while the page is open. "Watch a folder..." hands in every archive that appears in a folder (a
USB stick's ``models/``) to the event or race chosen above, on a background thread
(``league.handin_watch.watch``: the same checks, freezing and queueing as every other hand-in).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QVBoxLayout, QWidget

from gui.pages.league_tables import Column, RowsModel, card, local_time, table_view
from gui.widgets.style import PAGE_STYLE, button, label
from league.db import open_db
from league.handin import inbox
from league.race_setup import list_races
from league.raceday import list_events
from sim.errors import TracksideError

REFRESH_MS = 2000
"""How often the table reads the inbox again, ms."""


def _outcome(r: dict) -> str:
    if r["status"] != "accepted":
        return r["reason"] or ""
    if r["queue_position"] is not None:
        return f"queued, place {r['queue_position']}"
    s = r["submission"] or {}
    return f"submitted: rank {s.get('rank')}" if s.get("complete") else "submitted: did not finish every lap"


COLUMNS = (
    Column("Received", lambda r: local_time(r["time"], r["time"])),
    Column("Racer", lambda r: r["alias"], None, True),
    Column("Model", lambda r: r["model"] or "\u2014"),
    Column("Hash", lambda r: (r["hash"] or "")[:12]),
    Column("Target", lambda r: r["target_name"] or r["target"]),
    Column("Status", lambda r: r["status"], None, True),
    Column("Place or reason", _outcome),
    Column("From", lambda r: r["source"]),
)


class InboxPage(QWidget):
    """The hand-in inbox with a target filter and a folder watcher."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(PAGE_STYLE)
        self.db = open_db()
        self.watch_stop: threading.Event | None = None
        self.watch_thread: threading.Thread | None = None
        self.watch_errors: list[str] = []
        self._newest: int | None = None
        """The newest hand-in's id seen so far (None before the first read)."""
        self._build()
        self.timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self.timer.start()
        ctx.league_changed.connect(self.reload_targets)
        self.reload_targets()

    def _build(self) -> None:
        head = QHBoxLayout()
        head.addWidget(label("Inbox", "title"), 1)
        self.target_box = QComboBox(minimumWidth=260)
        self.target_box.currentIndexChanged.connect(lambda _: self.refresh())
        self.watch_button = button("Watch a folder\u2026", "primary",
                                   "Hand in every model archive that appears in a folder (a USB stick's models/)")
        self.watch_button.clicked.connect(self.toggle_watch)
        for w in (label("Event or race", "fieldLabel"), self.target_box, self.watch_button):
            head.addWidget(w, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice = label("", "hint", wrap=True)
        box, layout = card("Hand-ins")
        self.rows = RowsModel(COLUMNS, key="id", parent=self)
        self.view = table_view(self.rows, stretch=6)
        layout.addWidget(self.view, 1)
        page = QVBoxLayout(self)
        page.addLayout(head)
        page.addWidget(self.notice)
        page.addWidget(box, 1)

    def reload_targets(self) -> None:
        """The filter's choices: every hand-in, each race-day event, each league race."""
        current = self.target_box.currentData()
        self.target_box.blockSignals(True)
        self.target_box.clear()
        self.target_box.addItem("All hand-ins", None)
        try:
            for ev in list_events(self.db):
                self.target_box.addItem(f"Race day: {ev.name}", f"raceday:{ev.id}")
            for race in list_races(self.db):
                self.target_box.addItem(f"League race: {race.name}", f"race:{race.id}")
        except TracksideError as exc:
            self.notice.setText(str(exc))
        self.target_box.setCurrentIndex(max(0, self.target_box.findData(current)))
        self.target_box.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        """Read the inbox again; a new hand-in also tells the other pages (queue, models) to reload."""
        try:
            rows = inbox(self.db, self.target_box.currentData())
        except TracksideError as exc:
            self.notice.setText(str(exc))
            return
        self.rows.set_rows(rows)
        newest, before = max((r["id"] for r in rows), default=0), self._newest
        self._newest = max(newest, before or 0)
        if before is not None and newest > before:  # not on the first read: that is not news
            self.ctx.league_changed.emit()
            self.ctx.models_changed.emit()
        if self.watch_errors:
            self.notice.setText(self.watch_errors[-1])

    # -- the folder watcher ---------------------------------------------------------------------------
    def toggle_watch(self) -> None:
        if self.watch_thread is not None:
            self.stop_watching()
            return
        if self.target_box.currentData() is None:
            self.notice.setText("Choose the event or race the folder's models go to, then watch the folder.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Watch a folder for model archives")
        if folder:
            self.start_watching(folder, self.target_box.currentData())

    def start_watching(self, folder: str, target: str, interval_s: float = 2.0) -> None:
        """Hand in the archives appearing in ``folder`` to ``target`` until :meth:`stop_watching`."""
        from league.handin_watch import watch

        self.watch_stop = threading.Event()

        def run(stop=self.watch_stop):
            try:
                watch(folder, target, stop, lambda _r: None, interval_s=interval_s, models=self.ctx.store)
            except (TracksideError, OSError) as exc:
                self.watch_errors.append(f"Stopped watching {folder}: {exc}")

        self.watch_thread = threading.Thread(target=run, name="handin-watch", daemon=True)
        self.watch_thread.start()
        self.watch_button.setText("Stop watching")
        self.notice.setText(f"Watching {folder}: each new .tar.gz is handed in (alias: alias.txt there, "
                            "else the file name).")

    def stop_watching(self) -> None:
        if self.watch_stop is not None:
            self.watch_stop.set()
        if self.watch_thread is not None:
            self.watch_thread.join(10)
        self.watch_thread = self.watch_stop = None
        self.watch_button.setText("Watch a folder\u2026")
        self.notice.setText("")

    def closeEvent(self, event) -> None:
        self.stop_watching()
        super().closeEvent(event)

"""The change watcher: notices new laps, submissions and corrections and publishes fresh boards.

One daemon thread per server (:func:`watcher_of` starts it with the first page that follows a
board; :meth:`BoardWatcher.stop` ends it with the server). Every :data:`POLL_S` it asks SQLite
for ``PRAGMA data_version`` on its own connection (it changes when any other connection, in this
process or another, commits) and looks at the race-day live-state files' modification times
(``league.live``: the session on track, written by the process that times it). When either
changed, it recomputes the snapshot of each followed topic that has subscribers and publishes it
on ``ctx.bus`` if it differs from the last one. A thread, not a task on the server's loop: a
snapshot is a few SQLite queries, which would stall every stream if run on the loop.
"""

from __future__ import annotations

import logging
import threading

from league.db import LeagueError
from league.live import data_version, live_path, parse_topic, snapshot

POLL_S = 0.2
"""How often the watcher looks for a change, s (a new lap reaches the pages within ~0.2 s + a snapshot)."""

CLOSING = {"closing": True}
"""The message that ends a page's stream when the server stops (the page's browser reconnects later)."""

log = logging.getLogger(__name__)


class BoardWatcher:
    """Publishes the followed topics' snapshots when the database or a live-state file changes."""

    def __init__(self, ctx, poll_s: float = POLL_S):
        self.ctx, self.poll_s = ctx, poll_s
        self.topics: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._published: dict[str, dict] = {}
        self._mtimes: dict[str, int | None] = {}
        self._fresh: set[str] = set()
        self.thread = threading.Thread(target=self._run, name="trackside-board-watcher", daemon=True)

    def follow(self, topic: str) -> None:
        """Watch ``topic`` from now on (a page subscribed to it)."""
        with self._lock:
            self.topics.add(topic)
            self._fresh.add(topic)  # published at the next poll: a change before the watcher looked is not lost

    def stop(self) -> None:
        """End the thread, and every open stream of the followed topics (the server is stopping)."""
        self._stop.set()
        with self._lock:
            topics = list(self.topics)
        for topic in topics:
            self.ctx.bus.publish(topic, CLOSING)

    def _run(self) -> None:
        db = self.ctx.db()
        try:
            version = data_version(db)
            while not self._stop.wait(self.poll_s):
                try:
                    version = self._poll(db, version)
                except Exception:  # one bad poll (a locked or damaged file) must not end live updates
                    log.exception("board watcher")
        finally:
            db.conn.close()

    def _poll(self, db, version: int) -> int:
        now = data_version(db)
        with self._lock:
            topics = [t for t in self.topics if self.ctx.bus.subscribers(t) > 0]
            fresh, self._fresh = self._fresh, set()
        for topic in topics:
            if now != version or self._live_changed(topic) or topic in fresh:
                self._publish(db, topic)
        return now

    def _live_changed(self, topic: str) -> bool:
        kind, ident = parse_topic(topic)
        if kind != "raceday":
            return False
        try:
            mtime = live_path(ident).stat().st_mtime_ns
        except OSError:
            mtime = None
        changed = self._mtimes.get(topic, None) != mtime
        self._mtimes[topic] = mtime
        return changed

    def _publish(self, db, topic: str) -> None:
        try:
            snap = snapshot(db, topic)
        except LeagueError as exc:  # the event or race was deleted: say so on the page
            snap = {"topic": topic, "gone": str(exc)}
        if self._published.get(topic) != snap:
            self._published[topic] = snap
            self.ctx.bus.publish(topic, snap)


def watcher_of(ctx) -> BoardWatcher:
    """The server's watcher (started on first use, kept on ``ctx``)."""
    watcher = getattr(ctx, "watcher", None)
    if watcher is None:
        watcher = ctx.watcher = BoardWatcher(ctx)
        watcher.thread.start()
    return watcher

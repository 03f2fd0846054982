"""Live updates for the event server's pages: topics that server-sent-event streams follow.

A *topic* is a string naming what changed (``raceday:3`` for race-day event 3, ``race:7``,
``season:2``); a *message* is a JSON-ready dict (the new state of what the topic names). Any
thread may :meth:`LiveBus.publish` (the app's GUI thread, a database watcher, a request handler);
subscribers are asyncio queues on the server's event loop, each holding only the newest messages
(a slow phone skips states, it never makes the server hold an unbounded backlog).
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

QUEUE_SIZE = 8
"""Messages kept per subscriber; older ones are dropped when it falls behind."""


class LiveBus:
    """Publish/subscribe between any thread and the server's asyncio loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._latest: dict[str, dict] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        """The server's loop, set when it starts (:meth:`attach`)."""

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, topic: str) -> asyncio.Queue:
        """A queue of the topic's messages, starting with the latest one if there is one (call on the loop)."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        with self._lock:
            self._subscribers[topic].add(queue)
            latest = self._latest.get(topic)
        if latest is not None:
            queue.put_nowait(latest)
        return queue

    def unsubscribe(self, topic: str, queue: asyncio.Queue) -> None:
        with self._lock:
            self._subscribers[topic].discard(queue)

    def subscribers(self, topic: str) -> int:
        with self._lock:
            return len(self._subscribers[topic])

    def latest(self, topic: str) -> dict | None:
        with self._lock:
            return self._latest.get(topic)

    def publish(self, topic: str, message: dict) -> None:
        """Hand ``message`` to every subscriber of ``topic`` (from any thread)."""
        with self._lock:
            self._latest[topic] = message
            queues = list(self._subscribers[topic])
        if not queues or self.loop is None or self.loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._deliver(queues, message)
        else:
            self.loop.call_soon_threadsafe(self._deliver, queues, message)

    @staticmethod
    def _deliver(queues: list[asyncio.Queue], message: dict) -> None:
        for queue in queues:
            if queue.full():  # keep the newest: drop the oldest
                queue.get_nowait()
            queue.put_nowait(message)

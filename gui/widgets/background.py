"""Run a function on a worker thread and get its result back on the GUI thread.

Long or blocking work (a reward-function check spawns a process) never runs on the
GUI thread. The callbacks run on the GUI thread through a queued signal.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay):
        super().__init__()
        self.fn, self.relay = fn, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the GUI thread, shown as a message there
            signal, value = self.relay.failed, exc
        else:
            signal, value = self.relay.done, result
        try:
            signal.emit(value)
        except RuntimeError:  # the owner (and so the relay) was closed meanwhile: nobody is waiting
            pass


_alive: set[_Relay] = set()  # relays are kept until their job reports, so nothing is collected early


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_error: Callable[[Exception], None] | None = None, *, owner: QObject | None = None) -> None:
    """Call ``fn()`` on the global thread pool; then ``on_done(result)`` or ``on_error(exc)`` on the GUI thread.

    With an ``owner`` (usually the page), nothing is called back once the owner is gone.
    """
    relay = _Relay(owner)
    _alive.add(relay)

    def finish(callback, value):
        _alive.discard(relay)
        relay.deleteLater()
        if callback is not None:
            callback(value)

    relay.done.connect(lambda value: finish(on_done, value))
    relay.failed.connect(lambda exc: finish(on_error, exc))
    QThreadPool.globalInstance().start(_Job(fn, relay))

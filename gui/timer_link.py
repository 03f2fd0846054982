"""Where lap-sensor crossings go in the app: the hand-timed session on the race-day console.

One :class:`TimerLink` per app (:func:`timer_link`). The console tells it which session it shows
(:meth:`TimerLink.follow`); crossings arrive from a serial sensor (:meth:`TimerLink.open_serial`,
``gui.serial_timer``) or from the event server (:meth:`TimerLink.sink`, registered as
``WebContext.timer_sink`` by whoever starts the server in the app:
``WebContext(timer_sink=timer_link().sink)``). Either way the crossing is applied on the GUI
thread by the session (``HandTimedSession.crossing``: ``league.timer_input.apply_event``), so the
keyboard, the sensor and the network share one timer and one double-trigger guard.
"""

from __future__ import annotations

import time
from concurrent.futures import Future

from PySide6.QtCore import QObject, QThread, Signal

from league.timer_input import Crossing, NoTimedSession
from league.timing import LIVE, READY

SINK_TIMEOUT_S = 5.0
"""How long a network crossing waits for the GUI thread, s."""
NO_SESSION = "no hand-timed session is running for this event"

_LINK: TimerLink | None = None


class TimerLink(QObject):
    """Routes crossings into the followed hand-timed session; keeps the sensor's state in words."""

    asked = Signal(object)
    """A network crossing handed to the GUI thread: ``(crossing, event id, future)``."""
    sensor_changed = Signal(str)
    """:attr:`sensor_note` changed."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.session = None
        self.serial = None
        """The running ``gui.serial_timer.SerialTimer``, if any."""
        self.sensor_note = ""
        """The serial sensor's state in words (``/dev/ttyUSB0 connected``); empty without one."""
        self.last_crossing: tuple[float, str] | None = None
        """``(time.monotonic(), what it did)`` of the latest crossing from any sensor."""
        self.asked.connect(self._answer)  # emitted on another thread: queued onto this one

    def follow(self, session) -> None:
        """The console shows ``session`` now (None: nobody on the line). Only a hand-timed one takes crossings."""
        self.session = session if hasattr(session, "crossing") else None

    def apply(self, crossing: Crossing, event_id: int | None = None) -> dict:
        """Give ``crossing`` to the followed session (GUI thread); the outcome as a dict.

        Raises :class:`NoTimedSession` when no hand-timed session of ``event_id`` (any event: None) is
        on the line or it is over."""
        s = self.session
        if s is None or (event_id is not None and s.race_event.id != event_id) or s.state not in (READY, *LIVE):
            self._note(f"ignored ({NO_SESSION})")
            raise NoTimedSession(NO_SESSION)
        outcome = s.crossing(crossing)
        self._note(outcome.text())
        return outcome.as_dict()

    def sink(self, payload: dict) -> dict:
        """``WebContext.timer_sink``: a network crossing (``{"event": id, "t_s": ..., "sensor": ...}``) from
        any thread, applied on the GUI thread; waits for the outcome."""
        crossing = Crossing(payload.get("t_s"), str(payload.get("sensor", "network")))
        if QThread.currentThread() == self.thread():
            return self.apply(crossing, payload["event"])
        future: Future = Future()
        self.asked.emit((crossing, payload["event"], future))
        return future.result(timeout=SINK_TIMEOUT_S)

    def _answer(self, request) -> None:
        crossing, event_id, future = request
        try:
            future.set_result(self.apply(crossing, event_id))
        except Exception as exc:  # noqa: BLE001 (handed back whole to the server's thread, which answers it)
            future.set_exception(exc)

    # -- a serial sensor ----------------------------------------------------------------------------
    def open_serial(self, port: str, baudrate: int | None = None):
        """Read crossings from serial ``port`` (closing any port open before); returns the reader."""
        from gui.serial_timer import BAUDRATE, SerialTimer

        self.close_serial()
        self.serial = SerialTimer(port, baudrate or BAUDRATE, parent=self)
        self.serial.crossed.connect(self._serial_crossing)
        self.serial.status.connect(self._set_sensor_note)
        self._set_sensor_note(f"opening {port}")
        self.serial.start()
        return self.serial

    def close_serial(self) -> None:
        if self.serial is not None:
            self.serial.stop()
            self.serial = None
            self._set_sensor_note("")

    def _serial_crossing(self, crossing: Crossing) -> None:
        try:
            self.apply(crossing)
        except NoTimedSession:
            pass  # noted: the console shows it when a racer is on the line

    def _set_sensor_note(self, text: str) -> None:
        self.sensor_note = text
        self.sensor_changed.emit(text)

    def _note(self, what: str) -> None:
        self.last_crossing = (time.monotonic(), what)

    def describe(self) -> str:
        """The sensors' state for the console: the serial port and the latest crossing, in words."""
        parts = [f"sensor {self.sensor_note}"] if self.sensor_note else []
        if self.last_crossing is not None:
            ago = time.monotonic() - self.last_crossing[0]
            parts.append(f"last crossing {ago:.0f} s ago")
        return "  \u00b7  ".join(parts)


def timer_link() -> TimerLink:
    """The app's link (made on first use, on the calling thread: the GUI thread)."""
    global _LINK
    if _LINK is None:
        _LINK = TimerLink()
    return _LINK


def choose_serial_port(parent=None) -> str | None:
    """Ask which serial port the lap sensor is on (the ports found, or one typed: a path or a pyserial
    URL) and connect it through ``gui.timer_link``; "Disconnect" closes it. Returns the port, else None."""
    from PySide6.QtWidgets import QInputDialog
    from serial.tools.list_ports import comports

    link = timer_link()
    found = [p.device + ("" if p.description in ("", "n/a") else f"  \u2013  {p.description}") for p in comports()]
    items = (["Disconnect"] if link.serial is not None else []) + found
    text, ok = QInputDialog.getItem(parent, "Lap sensor", "Serial port of the start/finish sensor (one line per "
                                    "crossing: L, LAP or the sensor's milliseconds):", items, 0, True)
    port = text.split("  \u2013  ")[0].strip() if ok else ""
    if not port:
        return None
    if port == "Disconnect":
        link.close_serial()
        return None
    link.open_serial(port)
    return port

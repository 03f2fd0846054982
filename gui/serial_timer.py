"""A lap sensor on a serial port (a sensor board on USB that writes a line per crossing; pyserial).

:class:`SerialTimer` reads the port on its own thread and emits :attr:`SerialTimer.crossed` (a
``league.timer_input.Crossing``) per crossing line and :attr:`SerialTimer.status` (words) when it
connects, refuses a line or loses the port. ``league.timer_input.crossings_from`` reads the lines
(``L``, ``LAP``, ``<ms>``, ``LAP <ms>``); one without the sensor's time is stamped with
``time.monotonic()`` on this thread the moment it is read, so the GUI thread's own delay (a busy
frame) never reaches the lap time: the session's ``SensorClock`` maps either kind of stamp.

In the app, ``gui.timer_link.TimerLink.open_serial`` starts one and routes its crossings into the
console's hand-timed session (the race-day page's Event menu: ``gui.timer_link.choose_serial_port``);
``trackside timer serial PORT`` reads a board without the app.
"""

from __future__ import annotations

import serial
from PySide6.QtCore import QThread, Signal

from league.timer_input import BAUDRATE, crossings_from

READ_TIMEOUT_S = 0.1
"""How often the reader looks at its stop flag while the port is quiet, s."""


class SerialTimer(QThread):
    """Reads crossings from serial ``port`` (a device path or a pyserial URL) until :meth:`stop`."""

    crossed = Signal(object)
    """A ``league.timer_input.Crossing``."""
    status = Signal(str)
    """``<port> connected``, a refused line, or why the port closed."""

    def __init__(self, port: str, baudrate: int = BAUDRATE, parent=None):
        super().__init__(parent)
        self.port, self.baudrate = port, baudrate
        self.connected = False
        self._stop = False

    def run(self) -> None:
        try:
            port = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=READ_TIMEOUT_S)
        except (serial.SerialException, OSError, ValueError) as exc:
            self.status.emit(f"cannot open {self.port}: {exc}")
            return
        self.connected = True
        self.status.emit(f"{self.port} connected")
        buffer = bytearray()
        try:
            with port:
                while not self._stop:
                    for crossing, problem in crossings_from(port, self.port, buffer):
                        if crossing is not None:
                            self.crossed.emit(crossing)
                        else:
                            self.status.emit(f"{self.port}: {problem}")
        except (serial.SerialException, OSError) as exc:
            self.status.emit(f"{self.port} disconnected: {exc}")
        else:
            self.status.emit(f"{self.port} closed")
        finally:
            self.connected = False

    def stop(self, wait_ms: int = 2000) -> None:
        """Close the port and end the thread."""
        self._stop = True
        self.wait(wait_ms)


"""The app's side of the event server: the "Event server" panel, the live-state hand-over and the
projector's QR badge.

- :class:`ServerPanel` (Race day page, "Event ▾" > "Event server…"): starts and stops the server
  in this process on a background thread (:class:`gui.web.server.EventServer`), shows its address
  and a QR code of it (segno), and the chosen event's write token with a "New token" button
  (``league.tokens``: the old token stops working at once).
- :class:`LiveStatePublisher`: the race-day console's state, written to the event's live-state file
  (``league.live``) as the console refreshes (~10 writes a second at most), so the boards show the
  racer on track whether the server runs here or as a separate ``trackside serve``.
- :func:`show_server_on_projector`: while the server runs, the projector shows its QR code and
  address in a corner, so people in the room can open the board on their phones.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from league.live import LiveStateWriter

DEFAULT_PORT = 8080


def qr_pixmap(text: str, scale: int = 6) -> QPixmap:
    """A QR code of ``text`` (dark on white, with its quiet zone) as a pixmap."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=2)
    pixmap = QPixmap()
    pixmap.loadFromData(buf.getvalue(), "PNG")
    return pixmap


class LiveStatePublisher(QObject):
    """Writes what the race-day page's console shows to the live-state file of the session's event."""

    def __init__(self, page):
        super().__init__(page)
        self.page, self.writer, self.event_id = page, LiveStateWriter(), None
        page.console.refreshed.connect(self.publish)

    def publish(self, info: dict | None) -> None:
        session = self.page.console.session
        event = getattr(session, "race_event", None)
        if event is not None and event.id != self.event_id:
            if self.event_id is not None:
                self.writer.write(self.event_id, None)  # the previous event has nobody on track now
            self.event_id = event.id
        if self.event_id is not None:
            self.writer.write(self.event_id, info)


class ServerBadge(QWidget):
    """The QR code and address in a corner of the projector window (hidden while no server runs)."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.qr, self.address = QLabel(), QLabel()
        self.address.setStyleSheet("color: #f4f6fa; font-size: 15px; font-weight: 600;")
        self.address.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.address)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("ServerBadge { background: #151a24; border-radius: 8px; }")
        window.installEventFilter(self)
        self.hide()

    def set_url(self, url: str | None) -> None:
        if url:
            self.qr.setPixmap(qr_pixmap(url, scale=4))
            self.address.setText(url.removeprefix("http://"))
            self.adjustSize()
            self._place()
            self.show()
            self.raise_()
        else:
            self.hide()

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        self.move(parent.width() - self.width() - 16, parent.height() - self.height() - 16)


def show_server_on_projector(ctx) -> None:
    """Put the running server's QR code on the projector window (if open), or take it off."""
    window = getattr(ctx, "projector_window", None)
    if window is None:
        return
    badge = getattr(window, "server_badge", None)
    if badge is None:
        badge = window.server_badge = ServerBadge(window)
    server = getattr(ctx, "event_server", None)
    badge.set_url(server.url if server is not None else None)


def token_text(db, event_id: int | None, rotate: bool = False) -> str:
    """The event's write token (a new one with ``rotate``), or a dash without an event."""
    from league.tokens import rotate_token, scope_of, token_for

    if event_id is None:
        return "\u2013"
    scope = scope_of("raceday", event_id)
    return rotate_token(db, scope) if rotate else token_for(db, scope)


class ServerPanel(QDialog):
    """Start/stop the event server in the app; its address, QR code and the event's token."""

    def __init__(self, ctx, event_id=lambda: None, parent: QWidget | None = None):
        super().__init__(parent)
        from league.db import open_db

        self.ctx, self.event_id, self.db = ctx, event_id, open_db()
        self.setWindowTitle("Event server")
        self.setMinimumWidth(520)
        self.port = QSpinBox(minimum=0, maximum=65535, value=DEFAULT_PORT, specialValueText="any free")
        self.toggle = QPushButton("Start")
        self.toggle.clicked.connect(self.start_or_stop)
        self.address = QLabel("Not running: phones and TVs in the room open the boards once it runs.")
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address.setWordWrap(True)
        self.qr = QLabel()
        self.token = QLabel()
        self.token.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.token.setStyleSheet("font-family: monospace; font-size: 15px;")
        self.new_token = QPushButton("New token")
        self.new_token.setToolTip("The old token stops working at once (a racer's upload, a lap timer)")
        self.new_token.clicked.connect(lambda: self._show_token(rotate=True))
        top = QHBoxLayout()
        for w in (QLabel("Port"), self.port, self.toggle):
            top.addWidget(w)
        top.addStretch(1)
        tok = QHBoxLayout()
        for w in (QLabel("Event token"), self.token, self.new_token):
            tok.addWidget(w)
        tok.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.address)
        lay.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignCenter)
        lay.addLayout(tok)
        self._show_server()
        self._show_token()

    @property
    def server(self):
        return getattr(self.ctx, "event_server", None)

    def start_or_stop(self) -> None:
        from gui.timer_link import timer_link
        from gui.web.context import WebContext
        from gui.web.server import EventServer

        if self.server is not None:
            self.server.stop()
            self.ctx.event_server = None
        else:
            try:
                # Lap-timer crossings over the network go to the console's hand-timed session (gui.timer_link).
                web = WebContext(timer_sink=timer_link().sink)
                self.ctx.event_server = EventServer("0.0.0.0", self.port.value(), web).start()
            except OSError as exc:
                self.address.setText(f"{exc} (another program may use port {self.port.value()}: try another)")
                return
        self._show_server()
        show_server_on_projector(self.ctx)

    def _show_server(self) -> None:
        running = self.server is not None
        self.toggle.setText("Stop" if running else "Start")
        self.port.setEnabled(not running)
        if running:
            url, event = self.server.url, self.event_id() or "<event>"
            self.address.setText(f"Serving at {url}\nBoard: {url}/raceday/{event}\nOBS overlays: "
                                 f"{url}/overlay/lower-third?event={event}, {url}/overlay/board?event={event}&rows=5")
            self.qr.setPixmap(qr_pixmap(url))
            self.qr.show()
        else:
            self.qr.hide()

    def _show_token(self, rotate: bool = False) -> None:
        self.token.setText(token_text(self.db, self.event_id(), rotate))
        self.new_token.setEnabled(self.event_id() is not None)


def open_server_panel(page) -> ServerPanel:
    """The Race day page's "Event server…": the panel for the page's chosen event (one per app)."""
    from league.raceday import get_event

    def event_id():
        name = page.event_box.currentData()
        return get_event(page.db, name).id if name else None

    panel = ServerPanel(page.ctx, event_id, page)
    panel.show()
    return panel

"""The projector window: a leaderboard and the racer on track, readable from the back of a room.

:class:`ProjectorWindow` is the view of a :class:`gui.projector_feed.ProjectorFeed` (what to show, as
plain data): a separate top-level window, dark, high-contrast, with big type scaled to its height,
meant to be shown full screen on a second screen (:func:`open_projector`). The board shows rank,
racer, time and the gap to the leader; it scrolls by itself when the list is longer than the screen
and jumps to a result as it lands, highlighted in blue that fades out. During a race-day session the
racer on track is shown beside it: time left, the running lap, their laps with valid/invalid marks
and, for a simulated car, a map of the track with the car and the event's boxes and bot cars
(:mod:`gui.projector_map`). An event's finals replace both when the feed's view is ``bracket``
(:mod:`gui.projector_bracket`; the B key toggles it). One feed and one window are shared by the whole
app (:func:`shared_feed`), so the League and Race day pages drive the same screen.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget

from gui.projector_bracket import BracketView
from gui.projector_feed import ProjectorFeed
from gui.projector_map import paint_track_map
from gui.server_panel import show_server_on_projector
from league.exports import format_time

BG, PANEL, TEXT, MUTED, GOLD = (QColor(c) for c in ("#0b0d12", "#151a24", "#f4f6fa", "#98a2b5", "#ffd23f"))
GOOD, BAD, NEW = QColor("#3ddc84"), QColor("#ff5a5f"), QColor("#1f6feb")
"""Valid lap, invalid lap, and the highlight of a result that just landed (white and gold read on it)."""
WARN = QColor("#ff9f1c")
RANK_COLORS = {1: GOLD, 2: QColor("#d7dde8"), 3: QColor("#e0a071")}
FADE_S = 8.0
"""How long a new result stays highlighted, s."""
SCROLL_MS = 3000
"""Auto-scroll: one row every this many ms when the board is longer than the screen."""


def _font(px: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, int(px)))
    font.setBold(bold)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    return font


class BoardView(QWidget):
    """The leaderboard, painted: rank, racer, time, gap; scrolls itself when it does not fit."""

    def __init__(self, feed: ProjectorFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.top = 0
        """Index of the first row shown."""
        self._hold = 0
        self._shown = None
        self.scroll_timer = QTimer(self, interval=SCROLL_MS)
        self.scroll_timer.timeout.connect(self.advance)
        self.scroll_timer.start()
        feed.changed.connect(self._on_changed)

    def row_height(self) -> float:
        return max(34.0, self.height() / 9.5)

    def visible_rows(self) -> int:
        return max(1, int((self.height() - self.row_height() * 0.8) // self.row_height()))

    def _on_changed(self) -> None:
        shown = (self.feed.board_version, self.feed.newest, self.feed.newest_at)
        if shown == self._shown:  # only the live session moved: the board is unchanged
            return
        self._shown = shown
        rows = [r["racer"] for r in self.feed.rows]
        if self.feed.newest in rows and self.feed.highlight_age() < 0.5:  # just landed: show it
            i, n = rows.index(self.feed.newest), self.visible_rows()
            if not self.top <= i < self.top + n:
                self.top = max(0, min(i - n // 2, len(rows) - n))
            self._hold = 2
        self.top = max(0, min(self.top, len(rows) - 1))
        self.update()

    def advance(self) -> None:
        """One step of the auto-scroll: down a row, and back to the top after the last one."""
        n, total = self.visible_rows(), len(self.feed.rows)
        if total <= n:
            self.top = 0
        elif self._hold > 0:
            self._hold -= 1
        elif self.top + n >= total:
            self.top, self._hold = 0, 1
        else:
            self.top += 1
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        w, h, rh = self.width(), self.height(), self.row_height()
        p.fillRect(self.rect(), BG)
        cols = [(0.0, 0.11), (0.11, 0.46), (0.57, 0.22), (0.79, 0.21)]  # fractions of the width
        head = rh * 0.8
        p.setFont(_font(rh * 0.28, True))
        p.setPen(MUTED)
        for (x, cw), text, align in zip(cols, ("POS", "RACER", "TIME", "GAP"),
                                        (Qt.AlignmentFlag.AlignCenter, Qt.AlignmentFlag.AlignLeft,
                                         Qt.AlignmentFlag.AlignRight, Qt.AlignmentFlag.AlignRight)):
            p.drawText(QRectF(x * w + 8, 0, cw * w - 16, head), align | Qt.AlignmentFlag.AlignVCenter, text)
        p.fillRect(QRectF(0, head - 3, w, 3), QColor("#333a4a"))
        if not self.feed.rows:
            p.setFont(_font(rh * 0.45))
            p.drawText(QRectF(0, head, w, rh * 2), Qt.AlignmentFlag.AlignCenter, "No results yet")
            return
        age = self.feed.highlight_age()
        rows = self.feed.rows[self.top:self.top + self.visible_rows()]
        for k, r in enumerate(rows):
            y = head + k * rh
            if y > h:
                break
            if (self.top + k) % 2:
                p.fillRect(QRectF(0, y, w, rh), PANEL)
            if r["racer"] == self.feed.newest and age < FADE_S:
                glow = QColor(NEW)
                glow.setAlpha(int(230 * (1 - age / FADE_S)))
                p.fillRect(QRectF(0, y, w, rh), glow)
            rank = r["rank"]
            p.setPen(RANK_COLORS.get(rank, TEXT) if r["time_s"] is not None else MUTED)
            p.setFont(_font(rh * 0.5, True))
            p.drawText(QRectF(cols[0][0] * w, y, cols[0][1] * w, rh), Qt.AlignmentFlag.AlignCenter, str(rank))
            p.setFont(_font(rh * 0.28))
            detail_w = p.fontMetrics().horizontalAdvance(r["detail"]) + 12
            p.setPen(MUTED)
            p.drawText(QRectF(cols[1][0] * w, y, cols[1][1] * w - 8, rh),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, r["detail"])
            p.setPen(TEXT)
            p.setFont(_font(rh * 0.5, r["rank"] == 1))
            room = int(cols[1][1] * w - 16 - detail_w)
            name = p.fontMetrics().elidedText(r["name"], Qt.TextElideMode.ElideRight, room)
            p.drawText(QRectF(cols[1][0] * w + 8, y, room, rh),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            p.setFont(_font(rh * 0.52, True))
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            time_text = format_time(r["time_s"]) if r["time_s"] is not None else r["status"].upper()
            p.setPen(TEXT if r["time_s"] is not None else MUTED)
            p.drawText(QRectF(cols[2][0] * w, y, cols[2][1] * w - 8, rh), right, time_text)
            gap = r["gap_s"]
            p.setPen(GOLD if gap == 0 else MUTED)
            p.setFont(_font(rh * 0.4))
            gap_text = "" if gap is None else ("LEADER" if gap == 0 and r["rank"] == 1 else f"+{gap:.3f}")
            p.drawText(QRectF(cols[3][0] * w, y, cols[3][1] * w - 16, rh), right, gap_text)
        if len(self.feed.rows) > self.visible_rows():  # say there is more than fits, in the header
            p.setPen(MUTED)
            p.setFont(_font(rh * 0.26))
            shown = f"{self.top + 1}\u2013{min(len(self.feed.rows), self.top + self.visible_rows())} of " \
                    f"{len(self.feed.rows)}"
            p.drawText(QRectF(cols[1][0] * w, 0, cols[1][1] * w - 8, head), right, shown)


class SessionView(QWidget):
    """The racer on track: name, time left, the running lap, and their laps with valid marks."""

    def __init__(self, feed: ProjectorFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.map = None
        """The last map painted (a :class:`gui.projector_map.MapTransform`), None without one."""
        feed.changed.connect(self.update)

    def paintEvent(self, _event) -> None:
        s = self.feed.session
        self.map = None
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(self.rect(), PANEL)
        if not s:
            return
        w, h = self.width(), self.height()
        u = min(h / 14.0, w / 9.0)  # one unit of type
        pad = u * 0.6
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        y = pad
        p.setPen(MUTED)
        p.setFont(_font(u * 0.45, True))
        p.drawText(QRectF(pad, y, w - 2 * pad, u * 0.7), left, "ON TRACK")
        y += u * 0.7
        p.setPen(TEXT)
        p.setFont(_font(u * 0.95, True))
        name = p.fontMetrics().elidedText(s.get("name", ""), Qt.TextElideMode.ElideRight, int(w - 2 * pad))
        p.drawText(QRectF(pad, y, w - 2 * pad, u * 1.3), left, name)
        y += u * 1.4
        left_s, state = s.get("time_left_s", 0.0), s.get("state")
        big = f"{int(math.ceil(left_s - 1e-9)) // 60}:{int(math.ceil(left_s - 1e-9)) % 60:02d}"
        p.setPen(BAD if left_s <= 0 else (WARN if left_s < 30 else GOLD))
        p.setFont(_font(u * 2.6, True))
        p.drawText(QRectF(pad, y, w - 2 * pad, u * 2.8), left, big)
        note = {"last_lap": "LAST LAP", "paused": "PAUSED", "ready": "READY", "ended": "FINISHED",
                "dnf": "DNF", "submitted": "FINISHED"}.get(state, "TIME LEFT")
        p.setFont(_font(u * 0.5, True))
        p.setPen(MUTED if note == "TIME LEFT" else TEXT)
        p.drawText(QRectF(pad, y, w - 2 * pad, u * 2.8), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   note)
        y += u * 3.0
        running = s.get("running_lap_s")
        laps = s.get("laps", [])
        p.setPen(TEXT)
        p.setFont(_font(u * 0.75, True))
        if running is not None:
            resets = s.get("running_resets", 0)
            text = f"LAP {len(laps) + 1}   {running:5.1f}" + (f"   \u21ba{resets}" if resets else "")
            p.drawText(QRectF(pad, y, w - 2 * pad, u * 1.1), left, text)
        y += u * 1.3
        bottom = h
        if s.get("car") and self.feed.track:  # a simulated car: the map below the laps
            bottom = max(y + u * 0.85 * 2, h * 0.6)
            self.map = paint_track_map(p, QRectF(pad, bottom, w - 2 * pad, h - bottom - pad), self.feed.track,
                                       s["car"], s.get("objects"))
        best = s.get("best_lap_s")
        p.setFont(_font(u * 0.6))
        for lap in reversed(laps[-max(1, int((bottom - y) // (u * 0.85))):]):
            is_best = lap["valid"] and best is not None and abs(lap["time_s"] - best) < 1e-9
            p.setPen(GOLD if is_best else (TEXT if lap["valid"] else MUTED))
            mark = "\u2713" if lap["valid"] else "\u2717"
            row = QRectF(pad, y, w - 2 * pad, u * 0.85)
            p.drawText(row, left, f"{lap['number']:>2}   {format_time(lap['time_s'])}")
            p.setPen(GOOD if lap["valid"] else BAD)
            p.drawText(row, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       mark if lap["valid"] else f"{mark} invalid")
            y += u * 0.85


class ProjectorWindow(QWidget):
    """A separate top-level window: title, leaderboard and (during a session) the racer on track."""

    def __init__(self, feed: ProjectorFeed, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.feed = feed
        self.setWindowTitle("Trackside \u2013 projector")
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), BG)
        self.setPalette(pal)
        self.board = BoardView(feed)
        self.session_view = SessionView(feed)
        self.header = _Header(feed)
        self.bracket_view, self.boards = BracketView(feed), QWidget()
        body = QHBoxLayout(self.boards)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(24)
        body.addWidget(self.board, 3)
        body.addWidget(self.session_view, 2)
        self.stack = QStackedWidget()
        for view in (self.boards, self.bracket_view):
            self.stack.addWidget(view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 20, 32, 24)
        layout.setSpacing(12)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        self.fade_timer = QTimer(self, interval=100)  # the highlight fades; a hand-timed clock ticks
        self.fade_timer.timeout.connect(self._tick)
        self.fade_timer.start()
        feed.changed.connect(self._on_changed)
        self.resize(1280, 720)
        self._on_changed()

    def _on_changed(self) -> None:
        self.session_view.setVisible(bool(self.feed.session) and (self.feed.source or ("",))[0] == "event")
        bracket = self.feed.view == "bracket" and self.feed.bracket is not None
        self.stack.setCurrentWidget(self.bracket_view if bracket else self.boards)
        self.header.update()

    def _tick(self) -> None:
        if self.feed.highlight_age() < FADE_S + 0.2:
            self.board.update()

    def show_on(self, screen=None, full_screen: bool = True) -> None:
        """Full screen on ``screen`` (default: the last screen, a projector beside the laptop's)."""
        screens = QGuiApplication.screens()
        screen = screen or (screens[-1] if screens else None)
        if screen is not None:
            self.setScreen(screen)
            self.move(screen.geometry().topLeft())
        if full_screen and len(screens) > 1:
            self.showFullScreen()
        else:
            self.show()
        self.raise_()

    def resizeEvent(self, event) -> None:
        self.header.setFixedHeight(max(80, int(self.height() * 0.13)))
        super().resizeEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_F11:
            self.showNormal() if self.isFullScreen() else self.showFullScreen()
        elif event.key() == Qt.Key.Key_B:  # the finals bracket, or back to the board
            self.feed.show_view("board" if self.feed.view == "bracket" else "bracket")
        elif event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.showNormal()
        else:
            super().keyPressEvent(event)


class _Header(QWidget):
    def __init__(self, feed: ProjectorFeed):
        super().__init__()
        self.feed = feed
        self.setMinimumHeight(90)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        h, w = self.height(), self.width()
        p.setPen(GOLD)
        p.setFont(_font(h * 0.55, True))
        p.drawText(QRectF(0, 0, w, h * 0.68), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.feed.title)
        p.setPen(MUTED)
        p.setFont(_font(h * 0.24))
        p.drawText(QRectF(0, h * 0.66, w, h * 0.34), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.feed.subtitle)


def shared_feed(ctx) -> ProjectorFeed:
    """The app's one projector feed (created on first use, owned by ``ctx``)."""
    feed = getattr(ctx, "projector_feed", None)
    if feed is None:
        feed = ctx.projector_feed = ProjectorFeed(ctx, parent=ctx)
    return feed


def open_projector(ctx, full_screen: bool = True, screen=None) -> ProjectorWindow:
    """Show the app's projector window (creating it on first use) on ``screen`` (default: the last)."""
    window = getattr(ctx, "projector_window", None)
    if window is None:
        window = ctx.projector_window = ProjectorWindow(shared_feed(ctx))
        show_server_on_projector(ctx)  # the event server's QR code and address in a corner while it runs
    window.show_on(screen, full_screen=full_screen)
    return window


def projector_menu(ctx, parent: QWidget):
    """A menu to pick the projector's screen when there is more than one (None with one screen)."""
    from PySide6.QtWidgets import QMenu

    screens = QGuiApplication.screens()
    if len(screens) < 2:
        return None
    menu = QMenu(parent)
    for i, screen in enumerate(screens, start=1):
        g = screen.geometry()
        menu.addAction(f"Screen {i}: {screen.name()} ({g.width()}\u00d7{g.height()})",
                       lambda sc=screen: open_projector(ctx, screen=sc))
    return menu


def close_projector(ctx) -> None:
    """Close the app's projector window, if open (the app is quitting)."""
    window = getattr(ctx, "projector_window", None)
    if window is not None:
        window.close()


class ProjectorSourceBox(QComboBox):
    """Chooses what the projector shows: items ``event:NAME`` (this event) and ``race:NAME`` (each
    league race); a choice makes ``feed`` follow it."""

    def __init__(self, feed: ProjectorFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.setToolTip("What the projector shows")
        self.activated.connect(self.follow)

    def offer(self, db, event) -> None:
        """Refill for race-day ``event`` (or None) and the league's races, keeping a chosen race."""
        from league.races import list_races

        items = [("This event" if event else "No event", f"event:{event.name}" if event else "event:")]
        items += [(f"League: {r.name}", f"race:{r.name}") for r in list_races(db)]
        keep = self.currentData()
        keep = keep if keep and keep.startswith("race:") else items[0][1]
        self.blockSignals(True)
        self.clear()
        for text, data in items:
            self.addItem(text, data)
        self.setCurrentIndex(max(0, self.findData(keep)))
        self.blockSignals(False)
        self.follow()

    def source(self) -> tuple[str, str]:
        """``("event" | "race", name)`` (name empty: nothing)."""
        kind, _, name = (self.currentData() or "event:").partition(":")
        return kind, name

    def follow(self) -> None:
        kind, name = self.source()
        if name and self.feed.source != (kind, name):
            (self.feed.follow_event if kind == "event" else self.feed.follow_race)(name)

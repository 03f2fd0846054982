"""The projector's finals view: the bracket (or ladder) painted, rounds as columns, winners highlighted.

:class:`BracketView` paints ``feed.bracket`` (:func:`league.finals.bracket`'s plain data, loaded by
:class:`gui.projector_feed.ProjectorFeed`) in the projector's colours: each heat a box of its two
racers (seed, name, time for the heat's laps), the winner on the blue of a new result and the loser
dimmed, the next heat to race framed in gold, lines from each heat to the one its winner races next,
and the champion, once decided, at the right. A knockout's heats of a round sit between the two heats
that feed them; a ladder climbs, one heat a round, from the lowest seeds at the bottom to seed 1 at
the top. Heat boxes keep a readable size from 2 up to 32 finalists on a 720-line projector.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

BG, PANEL, TEXT, MUTED, GOLD = (QColor(c) for c in ("#0b0d12", "#151a24", "#f4f6fa", "#98a2b5", "#ffd23f"))
WIN, LINE = QColor("#1f6feb"), QColor("#333a4a")


def _font(px: float, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, int(px)))
    font.setBold(bold)
    font.setItalic(italic)
    return font


def fit(p: QPainter, text: str, px: float, bold: bool, room: float) -> str:
    """Set a font of ``px`` (down to half of it for a long ``text``) that fits ``room``; the text, cut
    short with an ellipsis if it still does not fit."""
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
        p.setFont(_font(px * scale, bold))
        if p.fontMetrics().horizontalAdvance(text) <= room:
            break
    return p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(room))


def heat_boxes(bracket: dict, width: float, height: float) -> dict[int, QRectF]:
    """Each heat's box (by heat id) in a ``width`` x ``height`` area below the round titles."""
    rounds = bracket["rounds"]
    n = len(rounds)
    col_w = width / (n + 0.9)
    box_w = col_w * 0.84
    top = height * 0.09
    room = height - top
    boxes = {}
    most = max(len(r["heats"]) for r in rounds)
    box_h = min(room / most * 0.8, height * 0.16, box_w * 0.36)
    for i, r in enumerate(rounds):
        k = len(r["heats"])
        for j, heat in enumerate(r["heats"]):
            if bracket["kind"] == "ladder":  # climbing: the first heat at the bottom, the final at the top
                cy = top + room * (1 - (i + 0.5) / n)
            else:
                cy = top + room * (j + 0.5) / k
            boxes[heat["id"]] = QRectF(i * col_w + (col_w - box_w) / 2, cy - box_h / 2, box_w, box_h)
    return boxes


class BracketView(QWidget):
    """The finals of the followed event, painted (see the module docstring)."""

    def __init__(self, feed, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.boxes: dict[int, QRectF] = {}
        """The heat boxes last painted, by heat id (tests look at them)."""
        feed.changed.connect(self.update)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        p.fillRect(self.rect(), BG)
        data = self.feed.bracket
        w, h = self.width(), self.height()
        if not data:
            p.setPen(MUTED)
            p.setFont(_font(h * 0.05))
            p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, "No finals yet")
            self.boxes = {}
            return
        self.boxes = boxes = heat_boxes(data, w, h)
        col_w = w / (len(data["rounds"]) + 0.9)
        p.setFont(_font(h * 0.032, True))
        p.setPen(MUTED)
        for i, r in enumerate(data["rounds"]):
            p.drawText(QRectF(i * col_w, 0, col_w, h * 0.07), Qt.AlignmentFlag.AlignCenter, r["name"].upper())
        self._lines(p, data, boxes)
        ready = next((x["id"] for r in data["rounds"] for x in r["heats"] if x["ready"]), None)
        for r in data["rounds"]:
            for heat in r["heats"]:
                self._heat(p, heat, boxes[heat["id"]], heat["id"] == ready)
        self._champion(p, data, QRectF(len(data["rounds"]) * col_w, 0, w - len(data["rounds"]) * col_w, h), boxes)

    def _lines(self, p: QPainter, data: dict, boxes: dict[int, QRectF]) -> None:
        """From each heat's right edge to the heat its winner races next."""
        p.setPen(QPen(LINE, max(2.0, self.height() / 300)))
        rounds = data["rounds"]
        for i, r in enumerate(rounds[:-1]):
            nxt = rounds[i + 1]["heats"]
            for j, heat in enumerate(r["heats"]):
                target = nxt[0] if data["kind"] == "ladder" else nxt[j // 2]
                a, b = boxes[heat["id"]], boxes[target["id"]]
                mid = (a.right() + b.left()) / 2
                y_to = b.center().y()
                p.drawPolyline([QPointF(a.right(), a.center().y()), QPointF(mid, a.center().y()),
                                QPointF(mid, y_to), QPointF(b.left(), y_to)])

    def _heat(self, p: QPainter, heat: dict, box: QRectF, is_next: bool) -> None:
        row_h = box.height() / 2
        p.fillRect(box, PANEL)
        for k, side in enumerate("ab"):
            row = QRectF(box.left(), box.top() + k * row_h, box.width(), row_h)
            racer = heat[f"racer_{side}"]
            won = racer is not None and heat["winner"] == racer
            if won:
                p.fillRect(row, WIN)
            pad = row_h * 0.25
            size = row_h * 0.55
            if racer is None:
                p.setPen(MUTED)
                p.setFont(_font(size, italic=True))
                text = "bye" if heat["method"] == "bye" else "\u2013"
                p.drawText(row.adjusted(pad * 4, 0, -pad, 0), Qt.AlignmentFlag.AlignVCenter, text)
                continue
            lost = heat["winner"] is not None and not won
            p.setPen(GOLD if won else MUTED)
            p.setFont(_font(size * 0.8, True))
            seed_w = p.fontMetrics().horizontalAdvance("88") + pad * 1.6
            p.drawText(QRectF(row.left(), row.top(), seed_w, row_h), Qt.AlignmentFlag.AlignCenter,
                       str(heat[f"seed_{side}"]))
            t = heat[f"time_{side}_s"]
            time_text = "" if t is None else f"{t:.3f}"
            p.setFont(_font(size * 0.75))
            time_w = p.fontMetrics().horizontalAdvance(time_text) + pad
            p.setPen(TEXT if won else MUTED)
            p.drawText(row.adjusted(0, 0, -pad, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       time_text)
            p.setPen(MUTED if lost else TEXT)
            room = int(row.width() - seed_w - time_w - pad)
            name = fit(p, heat[f"name_{side}"] or racer, size, won, room)
            p.drawText(QRectF(row.left() + seed_w, row.top(), room, row_h), Qt.AlignmentFlag.AlignVCenter, name)
        if is_next:
            p.setPen(QPen(GOLD, max(2.0, self.height() / 240)))
            p.drawRect(box)

    def _champion(self, p: QPainter, data: dict, area: QRectF, boxes: dict[int, QRectF]) -> None:
        final = data["rounds"][-1]["heats"][0]
        if not data["champion"]:
            return
        y = boxes[final["id"]].center().y()
        size = min(area.width() * 0.16, self.height() * 0.05)
        p.setPen(GOLD)
        p.setFont(_font(size * 0.6, True))
        p.drawText(QRectF(area.left(), y - size * 1.9, area.width(), size), Qt.AlignmentFlag.AlignCenter, "CHAMPION")
        name = fit(p, data["champion_name"] or data["champion"], size, True, area.width() - 8)
        p.drawText(QRectF(area.left(), y - size * 0.9, area.width(), size * 1.8), Qt.AlignmentFlag.AlignCenter, name)

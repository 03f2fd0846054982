"""The page kit of the printouts (:mod:`league.printouts`): an A4 sheet with an embedded font,
tables, a name that fits its box, and a track drawn to scale with lines on it.

Everything is drawn as vectors with fpdf2 (no Qt: printouts work from the command line on a
machine without a display). Text uses DejaVu Sans from ``assets/fonts`` (embedded, subset to the
characters used), not fpdf2's core fonts, which are latin-1 only: a racer called "Zoë Šimić"
or "李雷" prints as typed (DejaVu covers Latin, Greek and Cyrillic; a character it lacks, such as
CJK, prints as an empty box rather than failing).

Units are millimetres; pages are A4 portrait (210 x 297 mm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from fpdf import FPDF

from sim.paths import assets_dir
from sim.track import Track

FONT = "DejaVu"
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 15.0
CONTENT_W = PAGE_W - 2 * MARGIN
INK = (20, 24, 32)
MUTED = (100, 108, 120)
ACCENT = (214, 92, 28)
"""Orange: the racer's lap on a track picture, the winner's podium block."""
LINE_BLUE = (38, 110, 200)
"""The racing line on a track picture."""
ROAD = (206, 210, 216)


class Sheet(FPDF):
    """An A4 portrait document with DejaVu Sans embedded and a footer on every page."""

    def __init__(self, footer: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        fonts = assets_dir() / "fonts"
        self.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 5)
        self.footer_text = footer
        self.set_creator("Trackside")
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-MARGIN - 2)  # inside a certificate's frame
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.footer_text} \u00b7 page {self.page_no()}", align="C")
        self.set_text_color(*INK)

    def text_line(self, text: str, size: float, *, bold: bool = False, color=INK, align: str = "L",
                  height: float | None = None) -> None:
        """One line of text across the content width, then the cursor moves below it."""
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)
        self.cell(0, height or size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)

    def fit_text(self, text: str, x: float, y: float, w: float, size: float, *, bold: bool = True,
                 min_size: float = 9.0, color=INK) -> float:
        """``text`` centred in width ``w`` at (x, y), shrunk from ``size`` pt until it fits (a long name
        still prints whole; below ``min_size`` it is cut with an ellipsis). Returns the size used, pt."""
        style = "B" if bold else ""
        size = self.fitting_size(text, w, size, bold=bold, min_size=min_size)
        self.set_font(FONT, style, size)
        while self.get_string_width(text) > w and len(text) > 1:
            text = text[:-2] + "\u2026"
        self.set_text_color(*color)
        self.set_xy(x, y)
        self.cell(w, size * 0.45, text, align="C")
        self.set_text_color(*INK)
        return size

    def fitting_size(self, text: str, w: float, size: float, *, bold: bool = True, min_size: float = 9.0) -> float:
        """The largest size up to ``size`` pt (whole steps down, not below ``min_size``) at which ``text`` fits ``w`` mm."""
        style = "B" if bold else ""
        self.set_font(FONT, style, size)
        while size > min_size and self.get_string_width(text) > w:
            size -= 1
            self.set_font(FONT, style, size)
        return size

    def key_values(self, pairs: list[tuple[str, str]], label_w: float = 48.0) -> None:
        """Label: value lines (event settings and the like)."""
        for key, value in pairs:
            self.set_font(FONT, "B", 9)
            self.cell(label_w, 5, key)
            self.set_font(FONT, "", 9)
            self.multi_cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")

    def grid(self, headings: tuple[str, ...], rows: list[tuple], widths: tuple[float, ...],
             align: tuple[str, ...] | None = None, size: float = 8.5, centred: bool = False) -> None:
        """A table with a bold heading row (repeated on a new page); cells are shown with ``str``.
        ``centred``: in the middle of the page (default: from the left margin)."""
        self.set_font(FONT, "", size)
        self.set_fill_color(255, 255, 255)
        with self.table(col_widths=widths, width=sum(widths), align="CENTER" if centred else "LEFT", line_height=size * 0.55,
                        text_align=align or "LEFT", first_row_as_headings=True,
                        headings_style=_headings(), borders_layout="HORIZONTAL_LINES") as table:
            for row in (headings, *rows):
                cells = table.row()
                for value in row:
                    cells.cell("" if value is None else str(value))
        self.ln(3)


def _headings():
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(234, 236, 240))


def printed_on() -> str:
    """Today's date for a footer, ``2026-12-01`` (UTC)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Box:
    """A rectangle on the page, mm: top-left corner and size."""

    x: float
    y: float
    w: float
    h: float


def draw_track(pdf: FPDF, track: Track, box: Box, *, racing_line: np.ndarray | None = None,
               lap: np.ndarray | None = None) -> None:
    """``track`` to scale inside ``box`` (north up, as the app draws it): the road in grey, the
    centre line dashed, the start line, the racing line in blue and the racer's lap in orange.

    ``racing_line``, ``lap``: ``(n, 2)`` points in track metres (a closed racing line is closed here).
    """
    x0, y0, x1, y1 = track.bounds
    pad = 0.2  # m of paper around the road
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    scale = min(box.w / (x1 - x0), box.h / (y1 - y0))
    ox = box.x + (box.w - (x1 - x0) * scale) / 2
    oy = box.y + (box.h - (y1 - y0) * scale) / 2

    def page(points: np.ndarray) -> list[tuple[float, float]]:
        p = np.asarray(points, dtype=float)
        return list(zip((ox + (p[:, 0] - x0) * scale).tolist(), (oy + (y1 - p[:, 1]) * scale).tolist()))

    road = track.road
    pdf.set_fill_color(*ROAD)
    pdf.polygon(page(np.asarray(road.exterior.coords)), style="F")
    pdf.set_fill_color(255, 255, 255)
    for hole in road.interiors:  # the infield of a loop
        pdf.polygon(page(np.asarray(hole.coords)), style="F")
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    pdf.polyline(page(track.inner))
    pdf.polyline(page(track.outer))
    with pdf.local_context():
        pdf.set_dash_pattern(dash=1.2, gap=1.2)
        pdf.set_draw_color(150, 156, 166)
        pdf.polyline(page(track.center))
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.8)
    pdf.line(*page(track.inner[:1])[0], *page(track.outer[:1])[0])  # the start/finish line
    if racing_line is not None:
        pts = np.vstack([racing_line, racing_line[:1]]) if track.closed else racing_line
        pdf.set_draw_color(*LINE_BLUE)
        pdf.set_line_width(0.5)
        pdf.polyline(page(pts))
    if lap is not None and len(lap) > 1:
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.6)
        pdf.polyline(page(lap))
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.2)


def legend(pdf: FPDF, x: float, y: float, items: list[tuple[tuple[int, int, int], str]]) -> None:
    """A row of coloured strokes with their words, starting at (x, y)."""
    pdf.set_font(FONT, "", 8.5)
    for color, words in items:
        pdf.set_draw_color(*color)
        pdf.set_line_width(0.8)
        pdf.line(x, y + 2, x + 8, y + 2)
        pdf.set_xy(x + 10, y)
        pdf.cell(pdf.get_string_width(words) + 2, 4, words)
        x += 10 + pdf.get_string_width(words) + 8
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.2)

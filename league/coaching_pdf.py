"""A coaching card as a one-page A4 PDF (fpdf2, vector drawing, no Qt).

The page holds the lap against the racing line in numbers, the track with the racing line and the
lap coloured by the time it lost (:func:`trainer.coaching.loss_shades`, the app's scale), the
off-track hot spots, the sector table with the three worst sectors marked, and the findings in
sentences. It is a sheet of the printouts' kit (:class:`league.print_pdf.Sheet`: DejaVu Sans embedded,
so a model or racer named "Łucja" or "Zoë" prints as typed). The file is written to a temporary file
beside the target and renamed into place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from sim.library import load_track
from trainer.coaching import CoachingCard, loss_shades, shade_rgb

from .print_pdf import FONT, Sheet

MARGIN_MM = 15.0
MAP_H_MM = 105.0


def write_card_pdf(card: CoachingCard, target: str | Path) -> Path:
    """Write ``card`` to ``target`` (a PDF file) atomically; returns the path."""
    from fpdf.enums import XPos, YPos

    pdf = Sheet("Trackside coaching card")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM)
    pdf.add_page()
    next_line = dict(new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 10, "Coaching card", **next_line)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, card.source or card.track, **next_line)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 8, f"Lap {card.lap.lap}: {card.lap_time_s:.3f} s    racing line {card.line_lap_s:.3f} s    "
                   f"gap +{card.gap_s:.3f} s", **next_line)
    _draw_track(pdf, card, pdf.get_y() + 2)
    pdf.set_y(pdf.get_y() + MAP_H_MM + 6)
    _sector_table(pdf, card)
    pdf.ln(3)
    pdf.set_font(FONT, "", 10)
    for sentence in card.advice():
        pdf.multi_cell(0, 5, sentence, **next_line)
    return _write(pdf, Path(target))


def _draw_track(pdf, card: CoachingCard, top: float) -> None:
    track = load_track(card.track)
    x0, y0, x1, y1 = track.bounds
    width = pdf.w - 2 * MARGIN_MM
    scale = min(width / (x1 - x0 + 0.6), MAP_H_MM / (y1 - y0 + 0.6))
    left = MARGIN_MM + (width - scale * (x1 - x0)) / 2

    def page(xy):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return [(left + scale * (x - x0), top + 3 + scale * (y1 - y)) for x, y in xy]  # y up on the track

    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.4)
    for border in (track.inner, track.outer):
        pdf.polyline(page(border))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.8)
    pdf.polyline(page([track.inner[0], track.outer[0]]))
    from sim.racing_line import compute_racing_line

    line = compute_racing_line(track, max_speed=card.max_speed)
    pdf.set_draw_color(60, 110, 200)
    pdf.set_line_width(0.3)
    pdf.polyline(page(np.vstack([line.points, line.points[:1]])))
    pts = page(np.stack([card.lap.x, card.lap.y], axis=1))
    pdf.set_line_width(1.1)
    for (a, b), (r, g, bl) in zip(zip(pts[:-1], pts[1:]), shade_rgb(loss_shades(card))[1:]):
        pdf.set_draw_color(int(r), int(g), int(bl))
        pdf.line(a[0], a[1], b[0], b[1])
    pdf.set_draw_color(214, 40, 40)
    pdf.set_line_width(0.5)
    pdf.set_font(FONT, "B", 8)
    for k, spot in enumerate(card.hot_spots[:5], 1):
        (cx, cy), = page([(spot.x, spot.y)])
        pdf.circle(cx, cy, 2.5)
        pdf.text(cx + 3, cy - 2, f"off {k}")
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(110, 110, 110)
    for s in card.sectors:  # each sector's number at its middle, on the centre line
        (cx, cy), = page(track.point_at(np.array([(s.start_m + s.end_m) / 2])))
        pdf.text(cx - 1, cy + 1, str(s.number))
    pdf.set_font(FONT, "", 8)
    pdf.text(MARGIN_MM, top + MAP_H_MM + 4, "green: at the line's pace - amber - red: most time lost; "
                                            "blue: the racing line; circles: off-track hot spots; numbers: sectors")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)


def _sector_table(pdf, card: CoachingCard) -> None:
    from fpdf.enums import XPos, YPos

    widths = (20, 40, 35, 35, 35)
    worst = {s.number for s in card.worst()}
    pdf.set_font(FONT, "B", 10)
    for w, head in zip(widths, ("Sector", "From - to (m)", "Lap (s)", "Line (s)", "Lost (s)")):
        pdf.cell(w, 6, head, border="B", align="C")
    pdf.ln(6)
    for s in card.sectors:
        pdf.set_font(FONT, "B" if s.number in worst else "", 10)
        if s.number in worst:
            pdf.set_text_color(180, 30, 30)
        values = (str(s.number), f"{s.start_m:.1f} - {s.end_m:.1f}", f"{s.time_s:.3f}", f"{s.line_s:.3f}",
                  f"{s.lost_s:+.3f}")
        for w, text in zip(widths, values):
            pdf.cell(w, 5.5, text, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.cell(0, 5.5, "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _write(pdf, target: Path) -> Path:
    target = target.expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(pdf.output()))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

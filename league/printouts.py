"""Printouts of a race-day event or a league race as PDF: the podium, a certificate per racer and
the organiser's summary. One Qt-free entry point, :func:`write_printout`, behind ``trackside export
podium|certificates|summary`` and the race-day page's Print menu.

- ``podium``: one A4 page, the top three on their steps (2nd, 1st, 3rd) with big names and their
  times; racers who tie share a rank (conventions section 8) and stand side by side as ranked.
- ``certificates``: one page per racer on the board, best first: name, event, rank of how many,
  the result under the ranking, the best lap and laps driven, the best lap against the track's
  limit (:mod:`league.print_data`), and the track with its racing line and, where the drive can be
  replayed, the racer's best lap (:mod:`league.print_replay`); a physical car's certificate says
  so and shows the racing line alone.
- ``summary``: the settings, the board, every session (submission) with every lap, and the
  corrections the audit log holds about them, for the organiser's records.

Text is DejaVu Sans, embedded (:mod:`league.print_pdf`), so names with accents print as typed.
Files are written atomically (``league.exports.write_export``).
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlite_utils

from sim.library import load_track

from .db import LeagueError
from .exports import format_time, write_export
from .print_data import (Subject, best_laps, corrections, load_subject, racing_line_points, require_results, runs,
                         track_limit_s)
from .print_pdf import (ACCENT, CONTENT_W, LINE_BLUE, MARGIN, MUTED, PAGE_W, Box, Sheet, draw_track, legend,
                        printed_on)
from .print_replay import LapPath, session_lap_path, submission_lap_path

PRINTOUTS = ("podium", "certificates", "summary")
STEP_COLORS = {1: ACCENT, 2: (120, 132, 150), 3: (176, 120, 72)}
"""Podium steps: orange for the winner, slate for second, bronze for third."""
STEP_HEIGHTS = {1: 62.0, 2: 46.0, 3: 34.0}
"""mm."""


def write_printout(db: sqlite_utils.Database, what: str, name: str, path: str | os.PathLike, *,
                   race: bool = False, replay: bool = True) -> Path:
    """Write printout ``what`` (``podium``, ``certificates`` or ``summary``) of the race-day event ``name``
    (with ``race``: the league race) to the PDF ``path``, atomically; returns the path.

    ``replay``: certificates replay simulated best laps to draw them (a second or so each); False
    draws the racing line alone."""
    return write_export(path, render_printout(db, what, name, race=race, replay=replay))


def render_printout(db: sqlite_utils.Database, what: str, name: str, *, race: bool = False,
                    replay: bool = True) -> bytes:
    """The PDF of :func:`write_printout`, as bytes."""
    if what not in PRINTOUTS:
        raise LeagueError(f"printout: expected one of {', '.join(PRINTOUTS)}, got {what!r}")
    subject = load_subject(db, name, race)
    sheet = Sheet(f"Trackside \u00b7 {subject.heading.lower()} {subject.name} \u00b7 printed {printed_on()}")
    sheet.set_title(f"{subject.name}: {what}")
    if what == "podium":
        require_results(subject, "a podium")
        podium_page(sheet, subject)
    elif what == "certificates":
        require_results(subject, "certificates")
        certificate_pages(db, sheet, subject, replay)
    else:
        summary_pages(db, sheet, subject)
    return bytes(sheet.output())


# -- podium -----------------------------------------------------------------------------------------
def podium_page(sheet: Sheet, subject: Subject) -> None:
    """The top three on their steps (the winner in the middle), then the rest of the top ten."""
    sheet.add_page()
    _title(sheet, subject, "Podium")
    top = [r for r in subject.board[:3] if r["time_s"] is not None] or subject.board[:1]
    width, base = 58.0, 205.0
    places = {0: 1, 1: 0, 2: 2}  # board order -> column: 1st in the middle, 2nd left, 3rd right
    for i, row in enumerate(top):
        x = MARGIN + (CONTENT_W - 3 * width) / 2 + places[i] * width
        step = i + 1  # the step's height follows the place on the podium; the number shown is the rank
        h = STEP_HEIGHTS[step]
        sheet.set_fill_color(*STEP_COLORS[step])
        sheet.rect(x + 1, base - h, width - 2, h, style="F")
        sheet.fit_text(str(row["rank"]), x, base - h + 8, width, 40, color=(255, 255, 255))
        lines = name_lines(sheet, row["display_name"], width - 4, 24)
        size = min(sheet.fitting_size(text, width - 4, 24) for text in lines)  # both lines alike
        step_mm = size * 0.5  # line spacing of the name, mm
        y = base - h - 34 - step_mm * (len(lines) - 1)
        for text in lines:
            sheet.fit_text(text, x + 2, y, width - 4, size)
            y += step_mm
        y = max(y, base - h - 23)
        sheet.fit_text(format_time(row["time_s"]) if row["time_s"] is not None else row["status"], x, y + 3,
                       width, 17, bold=False)
        gap = "" if not row["gap_s"] else f"+{row['gap_s']:.3f}"
        sheet.fit_text(gap, x, y + 12, width, 10, bold=False, color=MUTED)
    sheet.set_xy(MARGIN, base + 6)
    sheet.text_line(f"Ranked by {subject.ranking} on {subject.track}. "
                    f"{len(subject.board)} racer{'s' if len(subject.board) != 1 else ''} on the board.",
                    10, color=MUTED, align="C")
    rest = subject.board[len(top):10]
    if rest:
        sheet.ln(4)
        sheet.grid(("Rank", "Racer", "Result", "Gap"),
                   [(r["rank"], r["display_name"], format_time(r["time_s"]) if r["time_s"] is not None else r["status"],
                     "" if not r["gap_s"] else f"+{r['gap_s']:.3f}") for r in rest],
                   (16, 70, 26, 22), ("CENTER", "LEFT", "RIGHT", "RIGHT"), size=10, centred=True)


def name_lines(sheet: Sheet, name: str, width: float, size: float, least: float = 18) -> list[str]:
    """``name`` on one line, or on two (split at the space nearest its middle) when one line would
    need a font smaller than ``least`` pt to fit ``width`` mm."""
    sheet.set_font("DejaVu", "B", least)
    if sheet.get_string_width(name) <= width or " " not in name.strip():
        return [name]
    spaces = [i for i, c in enumerate(name) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [name[:cut].strip(), name[cut:].strip()]


def _title(sheet: Sheet, subject: Subject, what: str) -> None:
    sheet.text_line(f"{subject.heading} \u00b7 {what}".upper(), 10, color=MUTED, align="C", height=6)
    sheet.set_x(MARGIN)
    sheet.fit_text(subject.name, MARGIN, sheet.get_y() + 2, CONTENT_W, 30)
    sheet.set_xy(MARGIN, sheet.get_y() + 16)
    sheet.text_line(f"{subject.track} \u00b7 {subject.ranking}", 11, color=MUTED, align="C", height=6)


# -- certificates -----------------------------------------------------------------------------------
def certificate_pages(db: sqlite_utils.Database, sheet: Sheet, subject: Subject, replay: bool) -> None:
    """One page per racer on the board."""
    bests = best_laps(db, subject)
    line = racing_line_points(subject.track)
    track = load_track(subject.track)
    ranked = sum(1 for r in subject.board if r["time_s"] is not None)
    for row in subject.board:
        best = bests.get(row["racer"])
        path = _best_lap_path(db, subject, best) if (best and replay) else LapPath(None, "racing line only")
        sheet.add_page()
        _frame(sheet)
        sheet.set_y(24)
        sheet.text_line("CERTIFICATE", 11, color=MUTED, align="C", height=6)
        sheet.text_line(f"{subject.heading} \u00b7 {subject.name}", 13, align="C", height=8)
        sheet.fit_text(row["display_name"], MARGIN + 5, 44, CONTENT_W - 10, 34)
        place = (f"Rank {row['rank']} of {ranked}" if row["time_s"] is not None
                 else f"Took part ({row['status']})")
        sheet.set_xy(MARGIN, 62)
        sheet.text_line(place, 18, bold=True, color=ACCENT, align="C", height=10)
        sheet.text_line(_result_words(subject, row), 11, color=MUTED, align="C", height=6)
        _stats(sheet, row, best, subject.track)
        draw_track(sheet, track, Box(MARGIN + 8, 128, CONTENT_W - 16, 118), racing_line=line, lap=path.points)
        items = [(LINE_BLUE, "racing line (the track's limit)")]
        if path.points is not None:
            items.append((ACCENT, f"{row['display_name']}'s best lap"))
        legend(sheet, MARGIN + 10, 250, items)
        sheet.set_xy(MARGIN, 256)
        sheet.text_line(path.note if path.points is None else "", 8.5, color=MUTED, align="C")


def _best_lap_path(db, subject: Subject, best) -> LapPath:
    if subject.kind == "event":
        return session_lap_path(subject.source, best.session, best.lap, best.raw_ms)
    return submission_lap_path(db, best.submission, best.lap, best.raw_ms)


def _result_words(subject: Subject, row: dict) -> str:
    if row["time_s"] is None:
        return f"on {subject.track}"
    return f"{format_time(row['time_s'])} s, {subject.ranking}, on {subject.track}"


def _stats(sheet: Sheet, row: dict, best, track: str) -> None:
    """Best lap, laps and pace against the limit, as three boxed figures."""
    limit = track_limit_s(track, best.standing_start) if best else None
    lap_s = best.time_ms / 1000 if best else None
    pace = f"{limit / lap_s * 100:.1f} %" if best else "\u2013"
    figures = [("Best lap", f"{format_time(lap_s)} s" if best else "\u2013",
                f"lap {best.lap}" if best else "no valid lap"),
               ("Laps", f"{row['laps']}", f"{row['valid_laps']} valid"),
               ("Of the track's limit", pace, f"limit {limit:.3f} s {'standing' if best.standing_start else 'flying'}"
                if best else "")]
    w = (CONTENT_W - 16) / 3
    for i, (label, value, small) in enumerate(figures):
        x = MARGIN + 8 + i * w
        sheet.set_draw_color(210, 214, 220)
        sheet.rect(x + 2, 86, w - 4, 34)
        sheet.fit_text(label, x + 2, 90, w - 4, 9, bold=False, color=MUTED)
        sheet.fit_text(value, x + 2, 98, w - 4, 20)
        sheet.fit_text(small, x + 2, 111, w - 4, 8.5, bold=False, color=MUTED)


def _frame(sheet: Sheet) -> None:
    sheet.set_draw_color(*ACCENT)
    sheet.set_line_width(1.2)
    sheet.rect(8, 8, PAGE_W - 16, 297 - 16)
    sheet.set_line_width(0.3)
    sheet.rect(10.5, 10.5, PAGE_W - 21, 297 - 21)
    sheet.set_line_width(0.2)


# -- summary ----------------------------------------------------------------------------------------
def summary_pages(db: sqlite_utils.Database, sheet: Sheet, subject: Subject) -> None:
    """Settings, board, every session (submission) and lap, and the corrections."""
    sheet.add_page()
    _title(sheet, subject, "Organiser's summary")
    sheet.ln(4)
    sheet.key_values(subject.settings)
    sheet.ln(3)
    _heading(sheet, "Board")
    sheet.grid(("Rank", "Racer", "Alias", "Result", "Gap", "Laps", "Valid", "Status"),
               [(r["rank"], r["display_name"], r["racer"], format_time(r["time_s"]),
                 "" if not r["gap_s"] else f"+{r['gap_s']:.3f}", r["laps"], r["valid_laps"], r["status"])
                for r in subject.board] or [("", "no results yet", "", "", "", "", "", "")],
               (12, 50, 34, 22, 18, 12, 12, 20), ("CENTER", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"))
    every = runs(db, subject)
    _heading(sheet, "Sessions" if subject.kind == "event" else "Submissions")
    if not every:
        sheet.text_line("none yet", 9, color=MUTED)
    for run in every:
        sheet.text_line(_run_words(subject, run), 9.5, bold=True, height=6)
        sheet.grid(("Lap", "Time", "Penalty", "Counts", "Resets", "Collisions", "Valid", "Note"),
                   [(lap["lap"], format_time(_s(lap["time_ms"])), f"{lap['penalty_ms'] / 1000:g} s" if lap["penalty_ms"]
                     else "", format_time(_s(None if lap["time_ms"] is None else lap["time_ms"] + lap["penalty_ms"])),
                     lap["resets"], lap.get("collisions", 0), "yes" if lap["valid"] else "no", lap["note"])
                    for lap in run["lap_rows"]] or [("", "no laps", "", "", "", "", "", "")],
                   (12, 22, 18, 22, 16, 20, 14, 56), ("CENTER", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER",
                                                      "LEFT"), size=8)
    _heading(sheet, "Corrections")
    fixes = corrections(db, subject, [r["id"] for r in every])
    if not fixes:
        sheet.text_line("none recorded", 9, color=MUTED)
        return
    sheet.grid(("When (UTC)", "Who", "What", "Change", "Reason"),
               [(e["at"][:16].replace("T", " "), e["who"], f"{e['action']} {e['entity_id']}", change_words(e),
                 e["reason"] or "") for e in fixes],
               (28, 24, 34, 62, 32), size=8)


def _heading(sheet: Sheet, text: str) -> None:
    sheet.ln(2)
    sheet.text_line(text, 13, bold=True, height=8)


def _run_words(subject: Subject, run: dict) -> str:
    if subject.kind == "event":
        who = "physical car" if run["driver"] == "car" else f"model {run['model']}"
        ended = (run["ended"] or "")[:16].replace("T", " ")
        return (f"Session {run['id']} \u00b7 {run['display_name']} ({run['racer']}) \u00b7 {who} \u00b7 {run['state']}"
                f"{' (' + run['end_reason'] + ')' if run.get('end_reason') else ''} \u00b7 {ended}")
    result = format_time(_s(run["score_ms"])) if run["score_ms"] is not None else "no valid result"
    return (f"Submission {run['id']} \u00b7 {run['display_name']} ({run['racer']}) \u00b7 model {run['model']} "
            f"\u00b7 {result} \u00b7 {run['submitted_at'][:16].replace('T', ' ')}")


def change_words(entry: dict) -> str:
    """An audit entry's change in words: ``time_ms: 10234 -> 10534`` for each field that changed,
    ``deleted`` or ``created``."""
    before, after = entry["before"], entry["after"]
    if before is None:
        return "created"
    if after is None:
        return "deleted"
    changed = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return "; ".join(f"{k}: {before.get(k)} \u2192 {after.get(k)}" for k in changed) or "no change"


def _s(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000

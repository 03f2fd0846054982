"""How ``trackside raceday`` prints a leaderboard: the columns of its CSV export and the table on the
terminal (a multi-track event's combined board adds the tracks a racer has and each track's result)."""

from __future__ import annotations

import click

BOARD_COLUMNS = ("rank", "racer", "display_name", "time_s", "gap_s", "laps", "valid_laps", "resets", "status")


def time_text(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f}"


def print_board(board: list[dict], tracks: tuple[str, ...] = ()) -> None:
    """``league.raceday.event_leaderboard`` rows as a table; ``tracks``: the combined board's tracks,
    each a column of the racer's result there."""
    if not board:
        click.echo("no sessions recorded yet")
        return
    widths = [max(9, len(t)) for t in tracks]
    per_track = "".join(f" {t:>{w}}" for t, w in zip(tracks, widths)) + (f" {'tracks':>6}" if tracks else "")
    click.echo(f"{'rank':>4}  {'racer':<24} {'time':>9} {'gap':>8} {'laps':>5} {'valid':>5} {'resets':>6}{per_track}")
    for r in board:
        gap = "" if r["gap_s"] is None else f"+{r['gap_s']:.3f}"
        if r.get("gap_laps"):  # most laps: fewer laps than the leader
            gap = f"-{r['gap_laps']} lap{'s' if r['gap_laps'] != 1 else ''}"
        time = time_text(r["time_s"]) if r["time_s"] is not None else r["status"]
        if r.get("result_laps") is not None:  # most laps: the laps are the result, the time breaks a tie
            time = f"{r['result_laps']} laps"
        extra = "".join(f" {track_result(r, t):>{w}}" for t, w in zip(tracks, widths)) if "by_track" in r else ""
        if tracks:
            extra += f" {str(r.get('tracks_done', 0)) + '/' + str(len(tracks)):>6}"
        click.echo(f"{r['rank']:>4}  {r['display_name'][:24]:<24} {time:>9} {gap:>8} {r['laps']:>5} "
                   f"{r['valid_laps']:>5} {r['resets']:>6}{extra}")


def track_result(row: dict, track: str) -> str:
    """A combined board row's result on ``track``: its time, or its laps under ``most_laps``."""
    laps = row.get("by_track_laps", {}).get(track)
    return f"{laps} laps" if laps is not None else time_text(row["by_track"].get(track))

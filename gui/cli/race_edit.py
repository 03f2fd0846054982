"""``trackside league race edit NAME ...``: change a league race's settings (``league.race_edits.update_race``).

Only the options given change; a change the race's submissions were evaluated under is refused
with the reason, and every change goes into the audit log (``--by``, ``--reason``). Registered on
the ``league race`` group by :mod:`gui.cli.league`.
"""

from __future__ import annotations

import click

from .common import UserError, friendly_errors
from .race_options import race_type_changes, race_type_options

NONE_WORDS = ("none", "no", "off", "unlimited")


@click.command("edit")
@click.argument("name")
@click.option("--name", "new_name", default=None, help="A new name.")
@click.option("--season", "season_name", default=None, help="Move it to a season ('none': out of any season).")
@click.option("--track", default=None, help="A competition track (refused once there are submissions).")
@click.option("--laps", type=int, default=None)
@click.option("--ranking", type=click.Choice(["best_lap", "best_average", "total_time"]), default=None,
              help="Fixed-lap formats only: most laps and first-to need a timed race-day session.")
@click.option("--average-of", type=int, default=None, help="Consecutive laps for best_average.")
@click.option("--penalty", default=None, help="Off-track penalty, s ('none': no resets).")
@click.option("--mode", type=click.Choice(["trials", "continuous"]), default=None)
@click.option("--max-submissions", default=None, help="Per racer ('none': no limit).")
@click.option("--opens", default=None, help="ISO date and time ('none': open from now).")
@click.option("--closes", default=None, help="ISO date and time ('none': no closing time).")
@race_type_options
@click.option("--by", "by", default=None, help="Who makes the change (default: $TRACKSIDE_USER or the login name).")
@click.option("--reason", default=None, help="Why, for the audit log.")
@click.pass_context
@friendly_errors
def race_edit(ctx, name, new_name, season_name, track, laps, ranking, average_of, penalty, mode, max_submissions,
              opens, closes, race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change,
              collision_penalty, by, reason):
    """Change a race's settings; refused (saying why) where its submissions were evaluated under them."""
    from league.audit import who_is_editing
    from league.db import open_db
    from league.race_edits import update_race

    changes = {k: v for k, v in {"name": new_name, "track": track, "laps": laps, "ranking": ranking,
                                 "average_of": average_of, "mode": mode,
                                 "collision_penalty_s": collision_penalty}.items() if v is not None}
    for key, text in (("season", season_name), ("opens_at", opens), ("closes_at", closes)):
        if text is not None:
            changes[key] = None if text.strip().lower() in NONE_WORDS else text
    if penalty is not None:
        changes["penalty_s"] = _number(penalty, "--penalty", float)
    if max_submissions is not None:
        changes["max_submissions"] = _number(max_submissions, "--max-submissions", int)
    changes.update(race_type_changes(ctx, race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change,
                                     collision_penalty))
    if not changes:
        raise UserError("race edit: nothing to change; give an option such as --closes 2026-06-01T18:00 (see --help)")
    r = update_race(open_db(), name, who_is_editing(by), reason=reason, **changes)
    click.echo(f"race {r.name} on {r.track}: {r.laps} lap{'s' if r.laps != 1 else ''}, {r.ranking}"
               + (f" of {r.average_of}" if r.ranking == "best_average" else "") + f", {r.status()}")


def _number(text: str, option: str, kind):
    if text.strip().lower() in NONE_WORDS:
        return None
    try:
        return kind(text)
    except ValueError:
        raise UserError(f"{option}: expected a number or 'none', got {text!r}") from None

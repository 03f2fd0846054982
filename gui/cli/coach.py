"""``trackside coach``: where a lap lost its time against the racing line (:mod:`league.coaching`)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import UserError, emit_json, friendly_errors, skip_pandas_in_sqlite_utils


@click.command()
@click.argument("model", required=False)
@click.option("--track", help="The track to evaluate MODEL on.")
@click.option("--laps", type=int, default=3, show_default=True, help="Trials MODEL drives (a standing start each).")
@click.option("--seed", type=int, default=None, help="Noise seed of the evaluation (replays an earlier one).")
@click.option("--checkpoint", default=None, help="Iteration, final, best or latest (default: final, else best).")
@click.option("--submission", type=int, default=None, help="Coach league submission N (replayed from its seed).")
@click.option("--session", type=int, default=None, help="Coach simulated race-day session N (replayed).")
@click.option("--lap", type=int, default=None, help="The lap to coach (default: the fastest completed).")
@click.option("--sectors", type=int, default=10, show_default=True, help="Equal sectors the lap is cut into.")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), help="Also write a printable card.")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
@friendly_errors
def coach(model, track, laps, seed, checkpoint, submission, session, lap, sectors, pdf, as_json):
    """A coaching card: a lap against the track's racing line, the sectors that lost most time, off-track spots.

    \b
    trackside coach MODEL --track T [--laps N]   an evaluation of MODEL
    trackside coach --submission N               a league submission
    trackside coach --session N                  a simulated race-day session
    """
    given = [name for name, value in (("MODEL", model), ("--submission", submission), ("--session", session))
             if value is not None]
    if len(given) != 1:
        raise UserError("give one of MODEL (with --track), --submission N or --session N")
    if model is not None and not track:
        raise UserError("--track: give the track to evaluate the model on, e.g. --track workshop_loop")
    if not 1 <= laps <= 20:
        raise UserError(f"--laps: expected 1..20, got {laps}")
    skip_pandas_in_sqlite_utils()
    from league import coaching

    if model is not None:
        run = coaching.coach_evaluation(model, track, laps=laps, seed=seed, checkpoint=checkpoint, lap=lap,
                                        n_sectors=sectors)
    else:
        from league.db import open_db

        db = open_db()
        run = (coaching.coach_submission(db, submission, lap=lap, n_sectors=sectors) if submission is not None
               else coaching.coach_session(db, session, lap=lap, n_sectors=sectors))
    if pdf is not None:
        from league.coaching_pdf import write_card_pdf

        write_card_pdf(run.card, pdf)
    if as_json:
        emit_json({**run.to_dict(), "pdf": str(pdf) if pdf else None})
        return
    _print(run)
    if pdf is not None:
        click.echo(f"card written to {pdf}")


def _print(run) -> None:
    card = run.card
    click.echo(card.source)
    if run.replay_matches is False:
        click.echo("note: the replay's laps differ from the recorded ones (the model changed since?)")
    for sentence in card.advice():
        click.echo(f"  {sentence}")
    worst = {s.number for s in card.worst()}
    click.echo(f"\n  {'sector':>6} {'from-to m':>12} {'lap s':>8} {'line s':>8} {'lost s':>8}")
    for s in card.sectors:
        mark = " <" if s.number in worst else ""
        click.echo(f"  {s.number:>6} {s.start_m:>5.1f}-{s.end_m:<6.1f} {s.time_s:>8.3f} {s.line_s:>8.3f} "
                   f"{s.lost_s:>+8.3f}{mark}")

"""``trackside evaluate``: timed laps of a model under any of DeepRacer's race types.

Race types as DeepRacer names them (``DR_RACE_TYPE``), in lower case; the race-type options are
the ones every command shares (:mod:`gui.cli.race_options`, read by :func:`trainer.race.objects_config`):
object avoidance without ``--obstacles`` puts DeepRacer-for-Cloud's 6 boxes on the track,
head-to-bot without ``--bots`` its 3 bot cars. ``--race-type head_to_model --opponent B`` races
the model against model B on the track at once (DeepRacer-for-Cloud's ``HEAD_TO_MODEL`` with
``DR_EVAL_OPP_S3_MODEL_PREFIX``; :mod:`league.head_to_model`). Conventions as everywhere
(``gui/cli/common.py``).
"""

from __future__ import annotations

import click

from .common import UserError, emit_json, friendly_errors, seconds_text
from .race_options import race_type_options, read_race_type


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _lap_text(lap, objects: bool) -> str:
    extra = f"  {lap.off_track} off-track" if lap.off_track else ""
    if objects:
        extra += f"  {_count(lap.collisions, 'collision')}"
    state = "" if lap.completed else f"  {lap.status} at {lap.progress:.1f}%"
    return f"{seconds_text(lap.time_s)}{extra}{state}"


@click.command()
@click.argument("model")
@click.option("--track", required=True, help="Track to drive (any track, competition tracks included).")
@click.option("--laps", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--checkpoint", default=None,
              help="Iteration number, final, best, latest or initial (default: final, else best).")
@click.option("--penalty", type=click.FloatRange(0, 60), default=2.0, show_default=True,
              help="Off-track penalty, s; the car is then put back where it left the road.")
@click.option("--no-resets", is_flag=True, help="No put-back: a lap ends when the car leaves the road.")
@click.option("--continuous", is_flag=True, help="Laps follow each other without stopping (default: trials).")
@click.option("--reverse", is_flag=True, help="Drive the track the other way round.")
@race_type_options(head_to_model=True)
@click.option("--opponent", default=None, help="head_to_model: the model to race against (its final, else best).")
@click.option("--no-trace", is_flag=True, help="Do not write the evaluation SIM_TRACE file.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Noise and object seed: the same seed drives the same laps again (default: a fresh one, printed).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly_errors
def evaluate(model, track, laps, checkpoint, penalty, no_resets, continuous, reverse, race_type, obstacles,
             randomize_obstacles, bots, bot_speed, lane_change, collision_penalty, opponent, no_trace, seed, as_json):
    """Drive MODEL's greedy policy for N timed laps on a track."""
    from trainer.driving import EvaluationRules
    from trainer.policy import use_one_torch_thread
    from trainer.race import objects_config

    race_type = race_type.lower()
    if race_type == "head_to_model":
        _refuse_object_options(obstacles, randomize_obstacles, bots, bot_speed, lane_change)
        if opponent is None:
            raise UserError("--race-type head_to_model needs --opponent MODEL")
        settings = {}
    else:
        if opponent is not None:
            raise UserError("--opponent needs --race-type head_to_model")
        race_type, settings = read_race_type(race_type, obstacles, randomize_obstacles, bots, bot_speed,
                                             lane_change, collision_penalty)
    objects = None if race_type == "head_to_model" else objects_config(race_type, settings)
    use_one_torch_thread()
    rules = EvaluationRules(laps=laps, mode="continuous" if continuous or race_type == "head_to_model" else "trials",
                            penalty_s=None if no_resets else penalty, reverse=reverse, seed=seed, objects=objects)
    if collision_penalty is not None:
        rules.collision_penalty_s = collision_penalty
    if race_type == "head_to_model":
        _head_to_model(model, opponent, track, rules, checkpoint, not no_trace, as_json)
    else:
        _single(model, track, rules, checkpoint, race_type, not no_trace, as_json)


def _refuse_object_options(obstacles, randomize_obstacles, bots, bot_speed, lane_change) -> None:
    given = {"--obstacles": obstacles is not None, "--randomize-obstacles": randomize_obstacles,
             "--bots": bots is not None, "--bot-speed": bot_speed is not None, "--lane-change": lane_change}
    for option, is_given in given.items():
        if is_given:
            raise UserError(f"{option} does not fit race type head_to_model (the other car is the only object)")


def _single(model, track, rules, checkpoint, race_type, simtrace, as_json) -> None:
    from league.evaluation import evaluate_model
    from trainer.model_store import ModelStore

    ev = evaluate_model(model, track, rules, checkpoint=checkpoint, simtrace=simtrace, models=ModelStore())
    if as_json:
        emit_json({**ev.to_dict(), "race_type": race_type})
        return
    objects = rules.objects is not None
    it = f"iteration {ev.iteration}" if ev.iteration is not None else "initial weights"
    o = rules.objects
    race = "" if not objects else (
        f", {race_type} ({o.n_obstacles} boxes" if race_type == "object_avoidance"
        else f", {race_type} ({o.n_bots} bots at {o.bot_car_speed:g} m/s") + f", {rules.collision_penalty_s:g} s per collision)"
    click.echo(f"{ev.model} ({ev.checkpoint}, {it}) on {ev.track}: {rules.mode}, "
               f"{'no resets' if rules.penalty_s is None else f'{rules.penalty_s:g} s penalty'}{race}, "
               f"seed {ev.rules.seed}")
    for lap in ev.laps:
        click.echo(f"  lap {lap.lap}: {_lap_text(lap, objects)}")
    s = ev.summary
    click.echo(f"{s['laps_completed']}/{s['laps']} laps, best {seconds_text(s['best_lap_s'])}, "
               f"mean {seconds_text(s['mean_lap_s'])}")
    if ev.simtrace:
        click.echo(f"trace: {ev.simtrace}")


def _head_to_model(model, opponent, track, rules, checkpoint, simtrace, as_json) -> None:
    from league.head_to_model import evaluate_head_to_model
    from trainer.model_store import ModelStore

    h = evaluate_head_to_model(model, opponent, track, rules, checkpoint_a=checkpoint, simtrace=simtrace,
                               models=ModelStore())
    if as_json:
        emit_json({**h.to_dict(), "race_type": "head_to_model"})
        return
    r = h.result
    click.echo(f"{h.model} ({h.checkpoints[0]}) vs {h.opponent} ({h.checkpoints[1]}) on {h.track}: head to model, "
               f"{'no resets' if rules.penalty_s is None else f'{rules.penalty_s:g} s penalty'}, "
               f"{rules.collision_penalty_s:g} s per collision (the car behind), seed {r.seed}")
    width = max(len(h.model), 24)
    click.echo(f"  {'lap':<5}{h.model:<{width}}  {h.opponent}")
    for k in range(max(len(r.laps_a), len(r.laps_b))):
        a = _lap_text(r.laps_a[k], True) if k < len(r.laps_a) else ""
        b = _lap_text(r.laps_b[k], True) if k < len(r.laps_b) else ""
        click.echo(f"  {k + 1:<5}{a:<{width}}  {b}")
    for name, laps, total in ((h.model, r.laps_a, r.race_s[0]), (h.opponent, r.laps_b, r.race_s[1])):
        done = sum(lap.completed for lap in laps)
        click.echo(f"{name}: {done}/{rules.laps} laps"
                   f"{'' if total is None else f' in {total:.3f}s'}, "
                   f"{_count(sum(lap.collisions for lap in laps), 'collision')}")
    side = {"a": "model", "b": "opponent"}.get(r.winner)
    click.echo(f"winner: {h.winner_name} (the {side})" if side else "winner: none (a tie)")
    if h.simtrace:
        click.echo(f"trace of {h.model}: {h.simtrace}")

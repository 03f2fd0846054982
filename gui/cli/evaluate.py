"""``trackside evaluate``: timed laps of a model under any of DeepRacer's race types.

Race types as DeepRacer names them (``DR_RACE_TYPE``: ``TIME_TRIAL``, ``OBJECT_AVOIDANCE``,
``HEAD_TO_BOT``), written in lower case here. Object avoidance puts ``--obstacles`` boxes on the
track (DeepRacer's ``NUMBER_OF_OBSTACLES``, ``RANDOMIZE_OBSTACLE_LOCATIONS``), head-to-bot
``--bots`` bot cars (``NUMBER_OF_BOT_CARS``, ``BOT_CAR_SPEED``, ``IS_LANE_CHANGE``); a collision
costs ``--collision-penalty`` seconds (DeepRacer-for-Cloud's ``DR_EVAL_COLLISION_PENALTY``).
Conventions as everywhere (``gui/cli/common.py``).
"""

from __future__ import annotations

import click

from .common import UserError, emit_json, friendly_errors

RACE_TYPES = ("time_trial", "object_avoidance", "head_to_bot")


def _lap_time(seconds) -> str:
    return "-" if seconds is None else f"{seconds:.3f}s"


def objects_for(race_type: str, obstacles, randomize_obstacles: bool, bots, bot_speed, lane_change: bool):
    """The :class:`sim.objects.ObjectsConfig` of a race type and its options (None for a time trial);
    a one-line :class:`UserError` for an option that does not fit the race type."""
    from sim.objects import ObjectsConfig

    box_opts = [n for n, v in (("--obstacles", obstacles is not None),
                               ("--randomize-obstacles", randomize_obstacles)) if v]
    bot_opts = [n for n, v in (("--bots", bots is not None), ("--bot-speed", bot_speed is not None),
                               ("--lane-change", lane_change)) if v]
    if race_type != "object_avoidance" and box_opts:
        raise UserError(f"{box_opts[0]} needs --race-type object_avoidance (got {race_type})")
    if race_type != "head_to_bot" and bot_opts:
        raise UserError(f"{bot_opts[0]} needs --race-type head_to_bot (got {race_type})")
    if race_type == "object_avoidance":
        if obstacles is None:
            raise UserError("--race-type object_avoidance needs --obstacles N (1..20)")
        return ObjectsConfig(number_of_obstacles=obstacles, randomize_obstacle_locations=randomize_obstacles)
    if race_type == "head_to_bot":
        if bots is None:
            raise UserError("--race-type head_to_bot needs --bots N (1..10)")
        speed = ObjectsConfig.bot_car_speed if bot_speed is None else bot_speed
        return ObjectsConfig(number_of_bot_cars=bots, bot_car_speed=speed, is_lane_change=lane_change)
    return None


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
@click.option("--race-type", type=click.Choice(RACE_TYPES, case_sensitive=False), default="time_trial",
              show_default=True, help="DeepRacer's race type: boxes or bot cars on the track.")
@click.option("--obstacles", type=click.IntRange(1, 20), default=None, help="Object avoidance: number of boxes.")
@click.option("--randomize-obstacles", is_flag=True, help="Object avoidance: boxes at random places every lap.")
@click.option("--bots", type=click.IntRange(1, 10), default=None, help="Head-to-bot: number of bot cars.")
@click.option("--bot-speed", type=click.FloatRange(0, 4, min_open=True), default=None,
              help="Head-to-bot: bot cars' speed, m/s (default 0.2, DeepRacer's).")
@click.option("--lane-change", is_flag=True, help="Head-to-bot: bot cars change lanes now and then.")
@click.option("--collision-penalty", type=click.FloatRange(0, 60), default=None,
              help="Seconds a car is held after hitting an object (default 5, DeepRacer-for-Cloud's).")
@click.option("--no-trace", is_flag=True, help="Do not write the evaluation SIM_TRACE file.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Noise and object seed: the same seed drives the same laps again (default: a fresh one, printed).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly_errors
def evaluate(model, track, laps, checkpoint, penalty, no_resets, continuous, reverse, race_type, obstacles,
             randomize_obstacles, bots, bot_speed, lane_change, collision_penalty, no_trace, seed, as_json):
    """Drive MODEL's greedy policy for N timed laps on a track."""
    from league.evaluation import evaluate_model
    from trainer.driving import EvaluationRules
    from trainer.model_store import ModelStore
    from trainer.policy import use_one_torch_thread

    race_type = race_type.lower()
    objects = objects_for(race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change)
    if objects is None and collision_penalty is not None:
        raise UserError("--collision-penalty needs objects: --race-type object_avoidance or head_to_bot")
    use_one_torch_thread()
    rules = EvaluationRules(laps=laps, mode="continuous" if continuous else "trials",
                            penalty_s=None if no_resets else penalty, reverse=reverse, seed=seed, objects=objects)
    if collision_penalty is not None:
        rules.collision_penalty_s = collision_penalty
    ev = evaluate_model(model, track, rules, checkpoint=checkpoint, simtrace=not no_trace, models=ModelStore())
    if as_json:
        emit_json({**ev.to_dict(), "race_type": race_type})
        return
    it = f"iteration {ev.iteration}" if ev.iteration is not None else "initial weights"
    race = "" if objects is None else (
        f", {race_type} ({objects.n_obstacles} boxes" if race_type == "object_avoidance"
        else f", {race_type} ({objects.n_bots} bots at {objects.bot_car_speed:g} m/s")
    race += "" if objects is None else f", {rules.collision_penalty_s:g} s per collision)"
    click.echo(f"{ev.model} ({ev.checkpoint}, {it}) on {ev.track}: {rules.mode}, "
               f"{'no resets' if rules.penalty_s is None else f'{rules.penalty_s:g} s penalty'}{race}, "
               f"seed {ev.rules.seed}")
    for lap in ev.laps:
        extra = f"  {lap.off_track} off-track" if lap.off_track else ""
        if objects is not None:
            extra += f"  {lap.collisions} collision{'' if lap.collisions == 1 else 's'}"
        state = "" if lap.completed else f"  {lap.status} at {lap.progress:.1f}%"
        click.echo(f"  lap {lap.lap}: {_lap_time(lap.time_s)}{extra}{state}")
    s = ev.summary
    click.echo(f"{s['laps_completed']}/{s['laps']} laps, best {_lap_time(s['best_lap_s'])}, "
               f"mean {_lap_time(s['mean_lap_s'])}")
    if ev.simtrace:
        click.echo(f"trace: {ev.simtrace}")

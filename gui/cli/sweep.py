"""``trackside sweep``: train variants of a model as Ray tasks, evaluate and rank them
(:func:`league.sweep.run_sweep`; this module only reads the options and prints the ranking)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from .common import friendly_errors
from .race_options import RACE_TYPE_CHOICES


def _split(values, what: str, convert=str) -> list:
    out = []
    for text in values:
        for raw in str(text).split(","):
            if raw.strip():
                try:
                    out.append(convert(raw.strip()))
                except ValueError:
                    raise click.BadParameter(f"{raw.strip()!r} is not a {what}") from None
    return out


def ranking_lines(results: dict) -> list[str]:
    """The ranking as text lines: rank, model, what it changes, laps, best and mean lap; failed ones with why."""
    from trainer.model_metrics import format_seconds

    lines = []
    for row in results["variants"]:
        label = row["variant"]["label"]
        if row["status"] == "done":
            ev = row["evaluation"]
            lines.append(f"{row['rank']:>2}. {row['name']} ({label}): {ev['laps_completed']}/{ev['laps']} laps, "
                         f"best {format_seconds(ev['best_lap_s'])}, mean {format_seconds(ev['mean_lap_s'])}, "
                         f"progress {ev['progress']:.1f}%")
        else:
            lines.append(f" -  {row['name']} ({label}): {row['status']}: {row.get('reason')}")
    return lines


@click.command("sweep")
@click.argument("base")
@click.option("--reward", "rewards", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A reward function to try (repeat for more).")
@click.option("--hp", "hps", multiple=True, help="Hyperparameter values to try, NAME=V1,V2 (e.g. lr=0.0003,0.001).")
@click.option("--speed", "speeds", multiple=True,
              help="Top speeds to try, m/s, e.g. 2,3 (same actions, speeds scaled).")
@click.option("--race-type", "race_types", multiple=True, type=click.Choice(RACE_TYPE_CHOICES, case_sensitive=False),
              help="Race types to train on (repeat for more).")
@click.option("--minutes", type=float, default=None, help="Training time per variant (default 5 unless --iterations).")
@click.option("--iterations", type=click.IntRange(1), default=None, help="Training iterations per variant.")
@click.option("--eval-track", required=True, help="Where every variant is evaluated (not a training track of theirs).")
@click.option("--eval-laps", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Noise seed of the evaluations (the same for every variant).")
@click.option("--name", "sweep_name", default=None, help="The sweep's name (default BASE-YYYYMMDD-HHMMSS).")
@click.option("--names", default=None, help="The variants' model names, comma-separated (default BASE-sweep-N).")
@click.option("--address", default=None, help="A Ray cluster: auto or HOST:6379 on one of its nodes, "
              "ray://HOST:10001 elsewhere (needs ray[client]); default: a local Ray.")
@click.option("--cpus", type=click.IntRange(1), default=None, help="Local Ray: CPUs to use (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (progress goes to stderr).")
@friendly_errors
def sweep(base, rewards, hps, speeds, race_types, minutes, iterations, eval_track, eval_laps, seed, sweep_name,
          names, address, cpus, as_json):
    """Train variants of BASE (rewards x hyperparameters x speeds x race types) as Ray tasks,
    evaluate each on --eval-track and rank them. Needs Ray: pip install -e '.[cluster]'."""
    from league.sweep import SweepSpec, require_ray, run_sweep
    from league.sweep_variants import RewardChoice, parse_hp_axis

    require_ray()  # before any model is created
    spec = SweepSpec(
        name=sweep_name or f"{base}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}", base=base,
        eval_track=eval_track, rewards=[RewardChoice(p.name, p.read_text()) for p in rewards],
        hyperparameters=dict(parse_hp_axis(text) for text in hps), speeds=_split(speeds, "speed in m/s", float),
        race_types=[r.lower() for r in race_types], minutes=5.0 if minutes is None and iterations is None else minutes,
        iterations=iterations, eval_laps=eval_laps, seed=seed, names=_split([names], "name") if names else None)
    seen = set()

    def progress(results):
        for row in results["variants"]:
            if row["status"] != "pending" and row["name"] not in seen:
                seen.add(row["name"])
                click.echo(f"{row['name']}: {row['status']}" + (f" ({row['reason']})" if row.get("reason") else ""),
                           err=as_json)

    results = run_sweep(spec, address=address, num_cpus=cpus, on_result=progress)
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    click.echo(f"sweep {spec.name}: {len(results['variants'])} variants of {base}, evaluated on {eval_track}")
    for line in ranking_lines(results):
        click.echo(line)
    click.echo(f"saved as sweeps/{spec.name}.json in the Trackside home")

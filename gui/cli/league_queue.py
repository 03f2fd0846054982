"""``trackside league queue ...`` and ``trackside league recheck``: a race's queued submissions
evaluated in bulk (``league.queue_eval``), on Ray with ``--ray``.

``trackside league submit RACE ... --queue`` (in :mod:`gui.cli.league`) fills the queue.
"""

from __future__ import annotations

import click

from .common import emit_json, friendly_errors, seconds_text

_ray_options = [
    click.option("--ray", "use_ray", is_flag=True,
                 help="As Ray tasks (local Ray by default; needs pip install -e '.[cluster]')."),
    click.option("--address", default=None, help="A Ray cluster to run on, e.g. ray://head:10001 (implies --ray)."),
    click.option("--cpus", type=click.IntRange(1, 4096), default=None,
                 help="CPUs of the local Ray instance (default: all)."),
]


def ray_options(fn):
    for option in reversed(_ray_options):
        fn = option(fn)
    return fn


def _db():
    from league.db import open_db

    return open_db()


@click.group("queue")
def queue_group():
    """Queued submissions: list a race's queue, evaluate what is pending."""


@queue_group.command("list")
@click.argument("race_name")
@click.option("--state", type=click.Choice(["pending", "done", "failed"]), default=None)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def queue_list(race_name, state, as_json):
    """A race's queue in the order it was filled."""
    from league.queue import list_queue

    rows = [e.to_dict() for e in list_queue(_db(), race_name, state)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("the queue is empty")
    for r in rows:
        detail = f"submission {r['submission']}" if r["submission"] else (r["error"] or "")
        click.echo(f"{r['queue_id']:>6}  {r['racer']:<20} {r['model']:<24} {r['state']:<8} {detail}")


@queue_group.command("run")
@click.argument("race_name")
@ray_options
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def queue_run(race_name, use_ray, address, cpus, as_json):
    """Evaluate every pending submission of a race; each result is recorded as it arrives."""
    from league.queue_eval import evaluate_pending

    def show(row):
        if not as_json:
            what = (f"submission {row['submission']}: {seconds_text(row['time_s'], 'no valid result')}" if "error" not in row
                    else f"FAILED: {row['error']}")
            click.echo(f"  {row['racer']:<20} {row['model']:<24} {what}")

    out = evaluate_pending(_db(), race_name, ray=use_ray or bool(address), address=address, num_cpus=cpus,
                           on_result=show)
    if as_json:
        emit_json(out)
        return
    click.echo(f"{race_name}: {len(out['evaluated'])} evaluated, {len(out['failed'])} failed")
    if out["failed"]:
        raise SystemExit(1)


@click.command("recheck")
@click.argument("race_name")
@ray_options
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def recheck_cmd(race_name, use_ray, address, cpus, as_json):
    """Drive every submission of a race again from its seed; exits 1 if any laps differ."""
    from league.queue_eval import recheck_race

    out = recheck_race(_db(), race_name, ray=use_ray or bool(address), address=address, num_cpus=cpus)
    if as_json:
        emit_json(out)
    else:
        for d in out["different"]:
            click.echo(f"  submission {d['submission']} ({d['racer']}): recorded {_laps(d['recorded_ms'])}, "
                       f"replayed {_laps(d['replayed_ms'])}")
        for s in out["skipped"] + out["failed"]:
            click.echo(f"  submission {s['submission']} ({s['racer']}) not checked: {s.get('reason') or s['error']}")
        click.echo(f"{race_name}: {out['checked']} re-driven, {out['identical']} identical, "
                   f"{len(out['different'])} DIFFERENT" if out["different"] else
                   f"{race_name}: {out['checked']} re-driven, all identical")
    if out["different"] or out["failed"]:
        raise SystemExit(1)


def _laps(ms: list) -> str:
    return " ".join("-" if t is None else f"{t / 1000:.3f}s" for t in ms)

"""``trackside model ...`` and ``trackside train``: models on disk and training from the command line."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import click

from .common import UserError, emit_json, friendly_errors
from .race_options import race_type_options, read_race_type


def _store():
    from trainer.model_store import ModelStore

    return ModelStore()


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the {what} ({exc})") from None


def _seconds(value) -> str:
    from trainer.model_metrics import format_seconds

    return format_seconds(value)


def model_summary(model, full: bool = False) -> dict:
    info = model.info()
    out = {"name": info.name, "status": info.status, "track": info.track, "sensor": info.sensor,
           "action_space_type": info.action_space_type, "n_actions": info.n_actions,
           "best_lap_s": info.best_lap_s, "created": info.created, "read_only": info.read_only}
    if info.problem:
        out["problem"] = info.problem
    if full and not info.problem:
        st = model.status()
        out.update(reason=st.reason, detail=st.detail,
                   metadata=model.metadata().to_dict(), hyperparameters=model.hyperparameters().to_dict(),
                   training_config=asdict(model.training_config()), checkpoints=model.list_checkpoints(),
                   path=str(model.path))
    return out


@click.group()
def model():
    """Create, list, clone, export and import models."""


@model.command("create")
@click.argument("name")
@click.option("--track", required=True, help="Training track (a trainable track).")
@click.option("--reward", "reward_file", type=click.Path(dir_okay=False, path_type=Path),
              help="reward_function.py (default: the centre-line example).")
@click.option("--metadata", "metadata_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A DeepRacer model_metadata.json giving the action space and sensor.")
@click.option("--hyperparameters", "hp_file", type=click.Path(dir_okay=False, path_type=Path),
              help="A DeepRacer hyperparameters.json.")
@click.option("--max-speed", type=float, default=3.0, show_default=True, help="m/s")
@click.option("--speed-levels", type=int, default=3, show_default=True)
@click.option("--max-steering", type=float, default=30.0, show_default=True, help="degrees")
@click.option("--steering-levels", type=int, default=5, show_default=True)
@click.option("--continuous", is_flag=True, help="Continuous action space: steering +-max-steering, speed 0.5..max-speed.")
@click.option("--algorithm", type=click.Choice(["clipped_ppo", "sac"]), default=None,
              help="Training algorithm, DeepRacer's names (default clipped_ppo, or what --metadata says); "
                   "sac needs --continuous.")
@click.option("--sensor", "sensors", multiple=True, default=("LIDAR",), show_default=True,
              type=click.Choice(["LIDAR", "SECTOR_LIDAR", "FRONT_FACING_CAMERA", "STEREO_CAMERAS"]),
              help="Give it twice for a camera plus a lidar (the network sees both).")
@click.option("--network", type=click.Choice(["DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", "DEEP_CONVOLUTIONAL_NETWORK",
                                              "DEEP_CONVOLUTIONAL_NETWORK_DEEP"]),
              default="DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", show_default=True,
              help="DeepRacer's camera network (a lidar alone uses a small MLP).")
@click.option("--stop-minutes", type=float, default=20.0, show_default=True, help="Training time limit.")
@click.option("--cars", type=int, default=32, show_default=True, help="Cars driving at once while training.")
@click.option("--reverse", is_flag=True, help="Train in the reversed direction.")
@click.option("--alternate-direction", is_flag=True, help="Every other episode drives the other way.")
@click.option("--seed", type=int, default=0, show_default=True)
@race_type_options(collision_penalty=False)
@friendly_errors
def model_create(name, track, reward_file, metadata_file, hp_file, max_speed, speed_levels, max_steering,
                 steering_levels, continuous, algorithm, sensors, network, stop_minutes, cars, reverse,
                 alternate_direction, seed, race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change):
    """Create a draft model NAME."""
    from dataclasses import replace

    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import TrainingConfig
    from trainer.race import describe

    race_type, race_settings = read_race_type(race_type, obstacles, randomize_obstacles, bots, bot_speed, lane_change)
    if metadata_file:
        meta = ModelMetadata.from_json(_read(metadata_file, "metadata"))
    else:
        space = (ActionSpace.continuous((-max_steering, max_steering), (0.5, max_speed)) if continuous
                 else ActionSpace.from_console(max_speed, speed_levels, max_steering, steering_levels))
        meta = ModelMetadata(action_space=space, sensor=list(sensors), neural_network=network)
    if algorithm is not None:  # ModelMetadata refuses sac with a discrete action space, as DeepRacer does
        meta = replace(meta, training_algorithm=algorithm)
    hp = Hyperparameters.from_json(_read(hp_file, "hyperparameters")) if hp_file else Hyperparameters()
    reward_source = _read(reward_file, "reward function") or (assets_dir() / "reward_functions" / "centre_line.py").read_text()
    config = TrainingConfig(track=track, reverse=reverse, alternate_direction=alternate_direction,
                            max_minutes=stop_minutes, seed=seed, n_cars=cars, race_type=race_type,
                            race_settings=race_settings)
    # The store checks the track and the reward function, for every front-end alike.
    m = _store().create(name, meta, hp, reward_source, config,
                        reward_filename=reward_file.name if reward_file else "reward_function.py")
    for note in meta.notes:
        click.echo(f"note: {note}")
    click.echo(f"created model {m.name} ({meta.action_space.n or 'continuous'} actions, {meta.sensor_label}, "
               f"{meta.neural_network}, {meta.training_algorithm}) "
               f"on {track}, {describe(race_type, race_settings)}; train it with: trackside train {m.name}")


@model.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def model_list(as_json):
    """All models, the read-only standard model included."""
    store = _store()
    rows = [model_summary(store.get(info.name)) for info in store.list()]
    if as_json:
        emit_json(rows)
        return
    click.echo(f"{'name':<24} {'status':<9} {'track':<20} {'sensor':<20} {'actions':>7} {'best lap':>9}")
    for r in rows:
        if r.get("problem"):  # one broken folder is one line; the others list as usual
            click.echo(f"{r['name']:<24} {r['status']:<9} problem: {r['problem']}")
            continue
        click.echo(f"{r['name']:<24} {r['status']:<9} {r['track'] or '-'!s:<20} {r['sensor'] or '-'!s:<20} "
                   f"{r['n_actions'] or 'cont.':>7} {_seconds(r['best_lap_s']):>9}")


@model.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def model_show(name, as_json):
    """One model with its action space, hyperparameters and checkpoints."""
    info = model_summary(_store().get(name), full=True)
    if as_json:
        emit_json(info)
        return
    for key in ("name", "status", "reason", "track", "sensor", "action_space_type", "n_actions", "best_lap_s", "path"):
        value = info.get(key)
        text = _seconds(value) if key == "best_lap_s" else ("-" if value is None else value)
        click.echo(f"{key:>18}: {text}")
    if "training_config" in info:
        from trainer.race import describe

        race = info["training_config"]
        click.echo(f"{'race_type':>18}: {describe(race['race_type'], race['race_settings'])}")
    if "metadata" in info:
        from trainer.hyperparameters import USED_BY

        algorithm = info["metadata"]["training_algorithm"]
        click.echo(f"{'training_algorithm':>18}: {algorithm}")
        hp = info["hyperparameters"]
        click.echo(f"{'hyperparameters':>18}: " + ", ".join(f"{k}={hp[k]}" for k in USED_BY.get(algorithm, hp)))
    for c in info.get("checkpoints", []):
        ev = c.get("eval") or {}
        click.echo(f"  iteration {c['iteration']:>4}: {ev.get('laps_completed', '-')}/{ev.get('laps', '-')} laps, "
                   f"standing-start lap {_seconds(ev.get('standing_start_s', ev.get('first_lap_s')))}, "
                   f"flying lap {_seconds(ev.get('best_lap_s'))}")


@model.command("clone")
@click.argument("source")
@click.argument("name")
@click.option("--reward", "reward_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--hyperparameters", "hp_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--track", default=None, help="A different training track.")
@click.option("--stop-minutes", type=float, default=None)
@friendly_errors
def model_clone(source, name, reward_file, hp_file, track, stop_minutes):
    """A new model NAME that continues from SOURCE's weights (same action space and sensor)."""
    from dataclasses import replace

    from trainer.hyperparameters import Hyperparameters

    store = _store()
    config = store.get(source).training_config()
    if track:
        config = replace(config, track=track)  # the store refuses a competition track
    if stop_minutes:
        config = replace(config, max_minutes=stop_minutes)
    hp = Hyperparameters.from_json(_read(hp_file, "hyperparameters")) if hp_file else None
    m = store.clone(source, name, reward_source=_read(reward_file, "reward function"), hyperparameters=hp,
                    training_config=config, reward_filename=reward_file.name if reward_file else "reward_function.py")
    click.echo(f"cloned {source} into {m.name}")


@model.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly_errors
def model_delete(name, yes):
    """Delete a model folder."""
    store = _store()
    store.get(name)
    if not yes:
        click.confirm(f"Delete model {name!r} and all its checkpoints?", abort=True)
    store.delete(name)
    click.echo(f"deleted {name}")


@model.command("rename")
@click.argument("old")
@click.argument("new")
@friendly_errors
def model_rename(old, new):
    """Rename a model."""
    _store().rename(old, new)
    click.echo(f"renamed {old} to {new}")


@model.command("final")
@click.argument("name")
@click.argument("iteration", type=int)
@friendly_errors
def model_final(name, iteration):
    """Choose which checkpoint is the model's final one (raced and exported)."""
    _store().get(name).set_final(iteration)
    click.echo(f"{name}: final checkpoint is iteration {iteration}")


@model.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Archive path (default NAME.tar.gz).")
@click.option("--onnx", is_flag=True, help="Write the policy as ONNX instead (needs the onnx package).")
@friendly_errors
def model_export(name, output, onnx):
    """Export to model.tar.gz (metadata, hyperparameters, reward function, weights), or the policy to ONNX."""
    store = _store()
    m = store.get(name)
    if onnx:
        from trainer.onnx_export import export_onnx

        path = export_onnx(m, output or Path(f"{name}.onnx"))  # without onnx: one line saying what to install
    else:
        from trainer.archive import export_model
        path = export_model(m, output or Path(f"{name}.tar.gz"))
    click.echo(f"wrote {path}")


@model.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--name", default=None, help="Name for the imported model.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@friendly_errors
def model_import(source, name, as_json):
    """Import a model.tar.gz (Trackside's or DeepRacer's) or a DeepRacer-for-Cloud model folder, and say
    what was kept, what was skipped, which track it trains on and what to do next."""
    from trainer.archive import import_with_report

    report = import_with_report(source, name, store=_store())
    if as_json:
        emit_json(report.to_dict())
        return
    for line in report.lines():
        click.echo(line)


@model.command("track")
@click.argument("name")
@click.argument("track")
@click.option("--reverse/--forward", default=None, help="Also set the driving direction.")
@friendly_errors
def model_track(name, track, reverse):
    """Train model NAME on TRACK from now on (a bundled or imported track; DeepRacer's names as they are)."""
    from dataclasses import replace

    from sim.library import load_track

    load_track(track)  # a track this home lacks is named with the ones it has
    m = _store().get(name)
    config = replace(m.training_config(), track=track)
    if reverse is not None:
        config = replace(config, reverse=reverse)
    m.write_training_config(config)  # the model refuses a competition track
    click.echo(f"{name} trains on {track}{' (reversed)' if config.reverse else ''}")


@model.command("accept-reward")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Accept without asking (you have read the code).")
@friendly_errors
def model_accept_reward(name, yes):
    """Show model NAME's reward function (from an archive or another home) and accept it so it may run."""
    from trainer import reward_trust

    m = _store().get(name)
    if reward_trust.is_trusted(m.path):
        click.echo(f"{name}: its reward function is already accepted")
        return
    text, digest = reward_trust.read_for_review(m.path)
    click.echo(f"--- {m.reward_path} (from {reward_trust.origin(m.path)}) ---")
    click.echo(text)
    click.echo("--- end ---")
    if not yes and not click.confirm("This code will run with your rights when you train or validate. Accept it?",
                                     default=False):
        raise UserError(f"{name}: reward function not accepted; nothing was run")
    reward_trust.accept(m.path, digest)
    click.echo(f"{name}: reward function accepted")


@click.command()
@click.argument("name")
@click.option("--minutes", type=float, default=None,
              help="Time limit in minutes (default: the model's max_minutes).")
@click.option("--iterations", type=int, default=None, help="Also stop after this many training iterations.")
@click.option("--quiet", is_flag=True, help="No per-iteration lines.")
@friendly_errors
def train(name, minutes, iterations, quiet):
    """Train model NAME until its time limit or another stop condition it has (Ctrl-C stops cleanly
    with a ready model). Prints the stop conditions first and the one that ended the training last."""
    from trainer.policy import use_one_torch_thread
    from trainer.training import stop_conditions, train_model

    use_one_torch_thread()
    m = _store().get(name)
    limit = minutes if minutes is not None else m.training_config().max_minutes
    click.echo(f"training {name}; stops at the first of: "
               + ", ".join(stop_conditions(m.hyperparameters(), m.training_config(), limit, iterations)))
    start = time.monotonic()

    def on_iteration(row):
        if quiet:
            return
        ev = row["eval"]
        frac = min(1.0, (time.monotonic() - start) / (limit * 60)) if limit else 0.0
        bar = "#" * int(frac * 20) + "." * (20 - int(frac * 20))
        click.echo(f"[{bar}] it {row['iteration']:>3}  episodes {row['episodes']:>5}  "
                   f"progress {row['mean_progress']:5.1f}%  eval {ev['laps_completed']}/{ev['laps']} laps, "
                   f"standing-start lap {_seconds(ev.get('standing_start_s'))}  "
                   f"{row['env_steps_per_s'] or 0:,.0f} steps/s")

    result = train_model(m, minutes=minutes, max_iterations=iterations, on_iteration=on_iteration)
    best = result.best or {}
    ev = best.get("eval") or {}
    click.echo(f"{result.status}: {result.reason}. {result.iterations} iterations, {result.episodes} episodes, "
               f"{result.elapsed_s:.0f} s; best checkpoint {best.get('iteration', '-')} "
               f"({ev.get('laps_completed', 0)}/{ev.get('laps', 0)} laps, standing-start lap "
               f"{_seconds(ev.get('standing_start_s'))})")
    if result.status == "failed":
        raise SystemExit(1)

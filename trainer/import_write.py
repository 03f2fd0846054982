"""Write an imported model's folder from the files :class:`trainer.archive.Stager` copied, and report it.

Every used file is parsed and checked first (metadata, hyperparameters, reward syntax,
``training_config.json``, ``training_params.yaml``, weights); the model's own files are then
written from the parsed values, never copied as they came. The original run's traces and metrics
go to ``imported/`` at DeepRacer's paths, with the original ``model/model_metadata.json`` and
``ip/hyperparameters.json`` beside them, so deepracer-utils' ``DeepRacerLog("NAME/imported")``
opens the original run as a DeepRacer-for-Cloud model folder.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace

from trainer import reward_trust
from trainer.checkpoints import load_weights
from trainer.dfc_import import ParamsError, choose_track, flag, read_training_params
from trainer.hyperparameters import Hyperparameters, TrainingConfig
from trainer.import_report import ArchiveError, ImportReport
from trainer.metadata import MetadataError, ModelMetadata
from trainer.model_files import (
    ModelStoreError,
    atomic_write,
    atomic_write_json,
    utc_now,
)
from trainer.model_folder import Model
from trainer.model_state import ModelState, Status
from trainer.race import RaceTypeError, describe, from_deepracer_params, setting_names

DESCRIPTION_FILE = "description.txt"
"""The note a person keeps with a model (the app's Create model page writes it)."""
DESCRIPTION_LIMIT = 2000
"""Characters of a description carried through an archive."""
IMPORTED_DIR = "imported"
"""The folder inside a model that keeps the original run's traces and metrics."""
MAX_PARAMS_BYTES = 2**20
"""Largest training_params.yaml read, bytes."""

DEFAULT_REWARD = '''\
# This model was imported without a reward function. This is the workshop's first
# example: reward staying close to the centre line.
def reward_function(params):
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]
    if distance_from_center <= 0.1 * track_width:
        reward = 1.0
    elif distance_from_center <= 0.25 * track_width:
        reward = 0.5
    elif distance_from_center <= 0.5 * track_width:
        reward = 0.1
    else:
        reward = 1e-3
    return float(reward)
'''


def _parsed(stager) -> tuple[ModelMetadata, Hyperparameters, str | None, TrainingConfig | None]:
    """The used files, parsed; :class:`ArchiveError` naming the file if one is broken."""
    used = stager.used
    try:
        meta = ModelMetadata.from_json(used["model_metadata.json"].read_bytes())
    except MetadataError as exc:  # its message names model_metadata.json; say where it was
        text = str(exc).removeprefix("model_metadata.json: ")
        raise ArchiveError(f"{stager.used_from['model_metadata.json']}: {text}") from None
    hp = Hyperparameters()
    if "hyperparameters.json" in used:
        try:
            hp = Hyperparameters.from_json(used["hyperparameters.json"].read_bytes())
        except ValueError as exc:
            raise ArchiveError(str(exc)) from None
    reward = None
    if "reward_function.py" in used:
        try:
            reward = used["reward_function.py"].read_bytes().decode("utf-8")
            compile(reward, "reward_function.py", "exec")  # syntax only; nothing runs
        except (UnicodeDecodeError, SyntaxError, ValueError) as exc:
            raise ArchiveError(f"reward_function.py: not valid Python ({exc})") from None
    config = None
    if "training_config.json" in used:
        try:
            config = TrainingConfig.from_dict(json.loads(used["training_config.json"].read_bytes()))
        except (ValueError, ModelStoreError) as exc:
            raise ArchiveError(f"training_config.json: {exc}") from None
    return meta, hp, reward, config


def _training_params(stager) -> tuple[str, dict[str, str]] | None:
    """The first ``training_params*.yaml`` (``training_params.yaml``, else worker 1's) and its settings."""
    files = sorted((rel for kind, rel, _ in stager.kept if kind.key == "training_params.yaml"),
                   key=lambda rel: (rel != "training_params.yaml", rel))
    if not files:
        return None
    path = next(out for _, rel, out in stager.kept if rel == files[0])
    if path.stat().st_size > MAX_PARAMS_BYTES:
        raise ArchiveError(f"{files[0]}: over {MAX_PARAMS_BYTES / 2**20:.0f} MB; not DeepRacer's settings file")
    try:
        return files[0], read_training_params(path.read_bytes().decode("utf-8"), files[0])
    except UnicodeDecodeError:
        raise ArchiveError(f"{files[0]}: not UTF-8 text") from None
    except ParamsError as exc:
        raise ArchiveError(str(exc)) from None


def _config(report: ImportReport, config: TrainingConfig | None, params) -> TrainingConfig:
    """The training settings: Trackside's from the archive, else DeepRacer's training_params.yaml, else
    defaults; the track as :func:`~trainer.dfc_import.choose_track` decides, reported."""
    default = TrainingConfig()
    if config is not None:
        wanted, where = config.track, "the archive's training_config.json"
    elif params is not None:
        wanted, where = params[1].get("WORLD_NAME"), f"{params[0]} (WORLD_NAME)"
    else:
        wanted, where = None, ""
    # Paths and origins recorded by another home mean nothing here.
    config = replace(config or default, init_from=None, cloned_from=None)
    choice = choose_track(wanted, where, default.track, report.model.name)
    config = replace(config, track=choice.track)
    report.track, report.track_how, report.track_change = choice.track, choice.how, choice.change
    if params is not None:
        rel, values = params
        for key, field, yes, no in (("REVERSE_DIR", "reverse", "reversed direction", "the track's own direction"),
                                    ("ALTERNATE_DRIVING_DIRECTION", "alternate_direction",
                                     "every other episode in the other direction", "one direction"),
                                    ("CHANGE_START_POSITION", "round_robin", "round-robin start positions",
                                     "every episode from the start line")):
            value = flag(values, key)
            if value is not None:
                config = replace(config, **{field: value})
                report.settings.append(f"{yes if value else no} (from {rel} {key})")
        if "RACE_TYPE" in values:
            try:
                race_type, settings = from_deepracer_params(values)
            except RaceTypeError as exc:
                report.settings.append(f"race type not carried over ({exc}): the model trains a time trial")
            else:
                config = replace(config, race_type=race_type, race_settings=settings)
                names = ", ".join(k for k in setting_names(race_type) if k in values)
                report.settings.append(f"{describe(race_type, settings)} (from {rel} RACE_TYPE"
                                       f"{', ' + names if names else ''})")
    return config


def _keep(report: ImportReport, stager, meta_bytes: bytes, hp_bytes: bytes | None) -> None:
    """Copy the kept files into ``imported/`` at their DeepRacer paths, with the original metadata and
    hyperparameters beside them when there are traces to analyse."""
    root = report.model.path / IMPORTED_DIR
    for kind, rel, out in stager.kept:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, root / rel)
        report.add(report.kept, f"{kind.meaning} (kept in {IMPORTED_DIR}/)", rel, out.stat().st_size)
    if any(kind.key.endswith("simtrace/") for kind, _, _ in stager.kept):
        atomic_write(root / "model" / "model_metadata.json", meta_bytes)
        if hp_bytes is not None:
            atomic_write(root / "ip" / "hyperparameters.json", hp_bytes)


def _meaning(meta: ModelMetadata) -> str:
    space = meta.action_space
    actions = f"{space.n} actions" if space.n else "a continuous action space"
    return (f"what the model is: {actions}, sensor {', '.join(meta.sensor)}, {meta.neural_network}, "
            f"{meta.training_algorithm}")


def write_model(report: ImportReport, stager, manifest: dict) -> None:
    """Validate every staged file, write the model folder at ``report.model.path`` from the parsed
    values, and fill in ``report``."""
    model, used = report.model, stager.used
    meta, hp, reward, config = _parsed(stager)
    config = _config(report, config, _training_params(stager))
    state = None
    if "weights.pt" in used:
        try:  # sizes bounded before torch reads it; a pickle that would run code is refused
            state = load_weights(used["weights.pt"], "weights.pt")
        except ModelStoreError as exc:
            raise ArchiveError(str(exc)) from None

    atomic_write(model.metadata_path, meta.to_json())
    atomic_write(model.hyperparameters_path, hp.to_json())
    atomic_write(model.reward_path, reward if reward is not None else DEFAULT_REWARD)
    origin = "an imported folder" if report.kind.endswith("folder") else "an imported archive"
    reward_trust.record_origin(model.path, None if reward is not None else "Trackside's default reward", origin)
    atomic_write_json(model.config_path, asdict(config))
    now = utc_now()
    status = Status(ModelState.DRAFT, None, now, now)
    if state is not None:
        it = manifest.get("iteration")
        it = it if isinstance(it, int) and not isinstance(it, bool) and 0 <= it < 10**6 else 0
        info = {"imported": True}
        if isinstance(manifest.get("eval"), dict):
            info["eval"] = manifest["eval"]
        model.write_checkpoint(it, state, info)  # re-saved from the loaded values: only data comes through
        model.set_final(it)
        model.set_best(it)
        status = Status(ModelState.READY, None, now, now)
    atomic_write_json(model.status_path, asdict(status))
    if isinstance(manifest.get("description"), str) and manifest["description"].strip():
        atomic_write(model.path / DESCRIPTION_FILE, manifest["description"][:DESCRIPTION_LIMIT])
    if state is not None:
        _check_drives(model)
    report.state = status.status.value
    _report_used(report, stager, meta, reward is not None, state is not None)
    hp_path = used.get("hyperparameters.json")
    _keep(report, stager, used["model_metadata.json"].read_bytes(), hp_path.read_bytes() if hp_path else None)
    for why, rel, size in stager.skipped:
        report.add(report.skipped, why, rel, size)
    _next_steps(report, reward is not None)


def _report_used(report: ImportReport, stager, meta: ModelMetadata, has_reward: bool, has_weights: bool) -> None:
    src = stager.used_from
    report.add(report.kept, _meaning(meta), src["model_metadata.json"])
    if "hyperparameters.json" in src:
        report.add(report.kept, "the training hyperparameters (batch size, learning rate, epochs ...)",
                   src["hyperparameters.json"])
    else:
        report.add(report.kept, "none came with it: Trackside's default hyperparameters", "hyperparameters.json")
    if has_reward:
        report.add(report.kept, "the reward function: someone else's code, it runs only once you accept it",
                   src["reward_function.py"])
    else:
        report.add(report.kept, "none came with it: the workshop's centre-line example", "reward_function.py")
    if "training_config.json" in src:
        report.add(report.kept, "Trackside's training settings (track, direction, time limit, cars)",
                   src["training_config.json"])
    if has_weights:
        report.add(report.kept, "Trackside's network weights: the model races as it was exported", src["weights.pt"])
    if "trackside.json" in src:
        report.add(report.kept, "the export's name, iteration, evaluation and note", src["trackside.json"])


def _next_steps(report: ImportReport, foreign_reward: bool) -> None:
    name = report.model.name
    if foreign_reward:
        report.next_steps.append(f"trackside model accept-reward {name}  (read the reward function that came "
                                 "with it and accept it: nothing from an import runs before)")
    if report.state == "ready":
        report.next_steps.append(f"trackside evaluate {name}  (race it; or clone it to train it further)")
    else:
        report.next_steps.append(f"trackside train {name}  (it starts untrained)")


def _check_drives(model: Model) -> None:
    """Load the imported weights once as the policy races will: weights that do not fit the
    metadata's action space and sensor are refused now, not in the middle of a race day."""
    from trainer.policy import PolicyError, load_policy

    try:
        load_policy(model)
    except PolicyError as exc:
        raise ArchiveError(f"weights.pt: refused, it does not fit model_metadata.json: {exc}") from None

"""What each file of a DeepRacer model folder or archive is, and what an import does with it.

Three layouts arrive here (read by :mod:`trainer.archive`, which refuses anything hostile first):

- **A DeepRacer-for-Cloud model folder** as its training writes it to S3 and its
  ``scripts/upload/upload-model.sh`` uploads it (aws-deepracer-community/deepracer-for-cloud;
  ``scripts/training/prepare-config.py`` writes ``training_params.yaml``)::

      model/model_metadata.json  model/model_N.pb  model/N_Step-S.ckpt.{index,meta,data-...}
      model/checkpoint  model/deepracer_checkpoints.json  model/.coach_checkpoint  model/.ready
      ip/hyperparameters.json  ip/done  reward_function.py  training_params.yaml (training_params_N.yaml)
      metrics/TrainingMetrics.json  training-simtrace/N-iteration.csv  evaluation-*/evaluation-simtrace/...

- **A DeepRacer console archive** (a "virtual model" export: ``model_metadata.json``,
  ``reward_function.py``, ``training_params.yaml``, ``hyperparameters.json`` at the root,
  TensorFlow checkpoints under ``model/``, ``metrics/training/training-*.json``, as listed in
  aws-solutions/deepracer-on-aws ``source/docs/import/README.md``; or a "physical model":
  ``agent/model.pb`` beside ``model_metadata.json``).
- **A Trackside export** (``trackside.json``, ``weights.pt``, ``training_config.json`` ...).

:func:`classify` sorts every file into *used* (read into the new model), *kept* (copied unchanged
into the model's ``imported/`` folder at the path DeepRacer gave it, so deepracer-utils'
``DeepRacerLog`` opens ``imported/`` as the original run) or *skipped* (with the reason). The
original run's traces are kept apart from Trackside's own ``training-simtrace/`` and ``metrics/``:
Trackside's training numbers its iterations from 0 again and would mix two runs in one analysis.
:func:`read_training_params` reads the simple ``key: value`` YAML DeepRacer writes, without a
YAML library and without running anything; :func:`choose_track` says which track the model will
train on and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.library import list_tracks, valid_name

TF_WEIGHTS = ("TensorFlow weights (model/model_*.pb, checkpoint files): Trackside trains its own PyTorch "
              "network; the model starts untrained")
SAGEMAKER_FILES = "SageMaker's hand-shake files between its trainer and its simulator: nothing in them to use"
UNKNOWN = "not a file DeepRacer or Trackside writes in a model: left out"
TRACKSIDE_STATE = ("a Trackside model folder's own state (checkpoints, status, logs): to carry a Trackside model "
                   "with its weights, export it (trackside model export NAME) and import the archive")

USED = {
    "model_metadata.json": "model_metadata.json", "model/model_metadata.json": "model_metadata.json",
    "hyperparameters.json": "hyperparameters.json", "ip/hyperparameters.json": "hyperparameters.json",
    "reward_function.py": "reward_function.py", "training_config.json": "training_config.json",
    "weights.pt": "weights.pt", "trackside.json": "trackside.json",
}
"""Files read into the new model: the path in the archive or folder -> the name it is staged under."""

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"  # one path part that starts with no dot: never '..'
_KEPT = (
    (re.compile(r"training_params(_\d{1,3})?\.yaml"), "training_params.yaml",
     "the original training's settings (track, direction, race type) as DeepRacer wrote them"),
    (re.compile(r"eval_params(_\d{1,3})?\.yaml"), "eval_params.yaml",
     "the original evaluation's settings as DeepRacer wrote them"),
    (re.compile(rf"training-simtrace/(\d{{1,3}}/)?{_NAME}\.csv"), "training-simtrace/",
     "the original run's per-step training traces (SIM_TRACE_LOG), for deepracer-utils"),
    (re.compile(rf"evaluation-{_NAME}/evaluation-simtrace/{_NAME}\.csv|evaluation-simtrace/{_NAME}\.csv"),
     "evaluation-simtrace/", "the original run's per-step evaluation traces (SIM_TRACE_LOG)"),
    (re.compile(rf"metrics/({_NAME}/)?{_NAME}\.json"), "metrics/",
     ("the original run's per-episode metrics (TrainingMetrics.json: reward, progress, completion), for "
      "deepracer-utils' TrainingMetrics")),
)
_SKIPPED = (
    (re.compile(r"((agent|model)/)?(model(_\d+)?\.pb|checkpoint|deepracer_checkpoints\.json|\.coach_checkpoint|"
                r"[^/]*\.ckpt(\.[^/]+)?|[^/]*\.ready|[^/]*\.lock)"), TF_WEIGHTS),
    (re.compile(r"ip/(done|ip\.json)"), SAGEMAKER_FILES),
    (re.compile(r"(checkpoints|logs|imported)/.*|metrics/[^/]*\.jsonl|status\.json|reward_trust\.json|"
                r"description\.txt|stop_request|telemetry\.jsonl"), TRACKSIDE_STATE),
)


@dataclass(frozen=True)
class Kind:
    """What an import does with one file: ``action`` is ``use``, ``keep`` or ``skip``; ``key`` the staged
    name (use), the group it is reported under (keep) or the reason (skip); ``meaning`` what it holds."""

    action: str
    key: str
    meaning: str = ""


def classify(rel: str) -> Kind:
    """What to do with the file at ``rel`` (a relative POSIX path inside the folder or archive)."""
    if rel in USED:
        return Kind("use", USED[rel])
    for rule, group, meaning in _KEPT:
        if rule.fullmatch(rel):
            return Kind("keep", group, meaning)
    for rule, reason in _SKIPPED:
        if rule.fullmatch(rel):
            return Kind("skip", reason)
    return Kind("skip", UNKNOWN)


class ParamsError(ValueError):
    """A training_params.yaml line that is not the simple ``key: value`` DeepRacer writes."""


def read_training_params(text: str, filename: str = "training_params.yaml") -> dict[str, str]:
    """The ``KEY: value`` pairs of a DeepRacer ``training_params.yaml`` as strings.

    DeepRacer-for-Cloud writes it with ``yaml.dump(..., default_style="'")``: every key and value
    single-quoted (``'WORLD_NAME': 'reInvent2019_track'``, a quote inside doubled), lists as
    ``- 'item'`` lines under their key, ``---`` first. Plain and double-quoted values are read too.
    A list's ``- 'item'`` lines are joined with ``;`` as its key's value (``OBJECT_POSITIONS``:
    ``0.23,-1;0.6,1``, as DeepRacer-for-Cloud's run.env writes it); an empty list ``[]`` is empty
    text. Comments and blank lines are passed over; anything else (flow maps, anchors, multi-line
    values) is refused with the line number. Nothing is evaluated.
    """
    out: dict[str, str] = {}
    key = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("- ") and key is not None:
            item = _scalar(line[2:].strip())
            if item is None:
                raise ParamsError(f"{filename}: line {n}: only plain or quoted text list items are read")
            out[key] = f"{out[key]};{item}" if out[key] else item
            continue
        if not line or line.startswith(("#", "- ")) or line in ("---", "..."):
            continue
        m = re.fullmatch(r"('(?:[^']|'')*'|\"[^\"\\]*\"|[A-Za-z0-9_.-]+)\s*:(?:\s+(.*))?", line)
        if m is None:
            raise ParamsError(f"{filename}: line {n} is not a 'KEY: value' line")
        key, rest = _scalar(m.group(1)), (m.group(2) or "").strip()
        value = "" if rest == "[]" else _scalar(rest)
        if value is None or key is None:
            raise ParamsError(f"{filename}: line {n}: only plain or quoted text values are read")
        out[key] = value
    return out


def _scalar(text: str) -> str | None:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if text[:1] in ("{", "[", "&", "*", "!", "|", ">", "'", '"'):
        return None
    return text


def flag(params: dict[str, str], key: str) -> bool | None:
    """A ``'true'``/``'false'`` setting (any case) as a bool; None when absent or something else."""
    value = params.get(key, "").strip().lower()
    return {"true": True, "false": False}.get(value)


@dataclass(frozen=True)
class TrackChoice:
    """The track an imported model trains on, and how that was decided (one sentence each)."""

    track: str
    how: str
    change: str = ""
    """How to train on another track, when the choice was a default."""


def choose_track(wanted: str | None, where: str, default: str, model_name: str) -> TrackChoice:
    """Train on ``wanted`` (the track named in the archive, ``where`` says in which file and key) when
    this home has it and it is trainable; else on ``default``, saying why and how to change it."""
    change = f"change it with: trackside model track {model_name} TRACK (trackside tracks list shows the tracks)"
    if wanted is None:
        return TrackChoice(default, f"{default}, Trackside's default: the import names no track", change)
    if not valid_name(wanted):
        return TrackChoice(default, f"{default}, Trackside's default: {where} names {wanted!r}, which is not a "
                                    "track name (letters, digits, '_' and '-')", change)
    info = next((t for t in list_tracks() if t.name == wanted), None)
    if info is None:
        return TrackChoice(default, f"{default}, Trackside's default: {where} names {wanted}, which this home "
                                    "does not have",
                           f"import DeepRacer's file for it with: trackside tracks import {wanted}.npy; then "
                           f"trackside model track {model_name} {wanted}")
    if not info.trainable:
        return TrackChoice(default, f"{default}, Trackside's default: {where} names {wanted}, a competition "
                                    "track nobody trains on", change)
    return TrackChoice(wanted, f"{wanted}, from {where}")

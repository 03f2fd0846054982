"""Export a model to a ``.tar.gz`` and import one, refusing anything hostile.

An exported archive holds, at its root (as DeepRacer's model archives do)::

    model_metadata.json     DeepRacer format
    hyperparameters.json    DeepRacer format
    reward_function.py
    training_config.json    Trackside's own
    weights.pt              the final (else best, else latest) checkpoint, a torch.save'd dict
    trackside.json          {"format": "trackside-model", "version": 1, "name", "iteration", "exported", "eval",
                             "description" (the model's note, if it has one)}

Import also takes a DeepRacer-style archive: ``model_metadata.json`` (or
``model/model_metadata.json``) at the root, with DeepRacer's TensorFlow files
(``model.pb``, ``*.ckpt*``, ``checkpoint`` ...) skipped, since Trackside cannot run them: the
model arrives as a draft with that action space and sensor, ready to train.

Import is defensive because archives come from other people: links, devices, absolute
paths, ``..``, unexpected names, oversized members and too many members are refused; only
known members are copied, each to a path Trackside chooses (never a path from the archive),
into a hidden folder inside ``models/`` that is renamed into place at the end; weights are
read with ``torch.load(weights_only=True)``, which refuses pickles that would run code, after
the unpacked sizes of the weights' own zip entries are checked, and then loaded once as a
policy, so weights that do not fit the metadata never import. Sizes are counted as members
unpack, never taken from headers alone.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import time
from dataclasses import asdict, replace
from pathlib import Path, PurePosixPath

from sim.errors import TracksideError
from trainer import reward_trust
from trainer.checkpoints import check_eval, load_weights
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import MetadataError, ModelMetadata
from trainer.model_store import (
    Model,
    ModelState,
    ModelStore,
    ModelStoreError,
    Status,
    TrainingConfig,
    atomic_write,
    atomic_write_json,
    utc_now,
)

MAX_MEMBER_BYTES = 200 * 2**20
"""Largest single file an import accepts, bytes."""
MAX_TOTAL_BYTES = 500 * 2**20
"""Largest total of all files an import accepts, bytes."""
MAX_MEMBERS = 64
"""Most entries (files and folders) an import accepts."""
MAX_TEXT_BYTES = 2**20
"""Largest JSON file or reward function an import accepts, bytes (a 1,000-action metadata file is
about 60 KB): parsing JSON takes many times its size in memory."""

DESCRIPTION_FILE = "description.txt"
"""The note a person keeps with a model (the app's Create model page writes it)."""
DESCRIPTION_LIMIT = 2000
"""Characters of a description carried through an archive."""
KNOWN = ("model_metadata.json", "hyperparameters.json", "reward_function.py", "training_config.json",
         "weights.pt", "trackside.json")
_ALIASES = {"model/model_metadata.json": "model_metadata.json", "ip/hyperparameters.json": "hyperparameters.json"}
# DeepRacer's own files (TensorFlow graphs and checkpoints, coach state): recognised, not imported.
_DEEPRACER_SKIPPED = re.compile(r"^(agent/|model/)?(model(_\d+)?\.pb|checkpoint|deepracer_checkpoints\.json|"
                                r"\.coach_checkpoint|.*\.ckpt(\..+)?|.*\.ready|.*\.lock)$")

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


class ArchiveError(TracksideError):
    """An archive that cannot be imported or a model that cannot be exported; the message says why."""


def export_model(model: Model, dest: str | os.PathLike, which: int | str | None = None) -> Path:
    """Write ``model`` to ``dest`` (a ``.tar.gz``), with checkpoint ``which`` (default: final, else best,
    else latest) as ``weights.pt``. A model without checkpoints exports without weights."""
    dest = Path(dest)
    which = which if which is not None else model.pick_checkpoint()
    weights = model.resolve_checkpoint(which) if which is not None else None
    iteration = None
    if weights is not None and weights.name.startswith("iteration-"):
        iteration = int(weights.stem.split("-")[1])
    entry = next((c for c in model.list_checkpoints() if c["iteration"] == iteration), {})
    manifest = {"format": "trackside-model", "version": 1, "name": model.name, "iteration": iteration,
                "exported": utc_now(), "eval": entry.get("eval")}
    note = model.path / DESCRIPTION_FILE
    if note.is_file():
        manifest["description"] = note.read_text(encoding="utf-8", errors="replace")[:DESCRIPTION_LIMIT]
    files = [("model_metadata.json", model.metadata_path), ("hyperparameters.json", model.hyperparameters_path),
             ("reward_function.py", model.reward_path), ("training_config.json", model.config_path)]
    if weights is not None:
        files.append(("weights.pt", weights))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for name, path in files:
                with open(path, "rb") as fh:
                    tar.addfile(_tarinfo(name, path.stat().st_size), fh)
            data = json.dumps(manifest, indent=2).encode()
            tar.addfile(_tarinfo("trackside.json", len(data)), io.BytesIO(data))
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    # Plain, owner-less entries: nothing of the exporting machine leaks into the file.
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(time.time())
    return info


def import_model(archive: str | os.PathLike, name: str | None = None, *, store: ModelStore | None = None) -> Model:
    """Import an archive as a new model and return it.

    ``name`` defaults to the name in the archive's manifest, else the file name. A model
    with weights arrives ``ready`` (final and best = the imported checkpoint); one without
    arrives as a ``draft``. Raises :class:`ArchiveError` naming the offending member.
    """
    store = store or ModelStore()
    archive = Path(archive)
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise ArchiveError(f"{archive.name}: not a readable .tar.gz archive ({exc})") from None
    with tar, store.building() as tmp:
        staged = _extract_known(tar, tmp / ".staging")
        manifest = _manifest(staged)
        if name is None:
            base = manifest.get("name") or re.sub(r"\.(tar\.gz|tgz|tar)$", "", archive.name)
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", str(base)).strip("-")[:64] or "imported"
        store.check_new_name(name)
        model = Model(tmp, name=name)
        _write_model(model, staged, manifest)
        for f in (tmp / ".staging").iterdir():
            f.unlink()
        (tmp / ".staging").rmdir()
        store.finish(tmp, name)
    return store.get(name)


def _extract_known(tar: tarfile.TarFile, staging: Path) -> dict[str, Path]:
    """Copy the known members into ``staging``; refuse the archive on anything hostile or unknown."""
    staging.mkdir()
    staged: dict[str, Path] = {}
    count = total = 0
    for m in tar:
        count += 1
        if count > MAX_MEMBERS:
            raise ArchiveError(f"archive: more than {MAX_MEMBERS} entries; this is not a model archive")
        raw = m.name
        if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw) or "\\" in raw:
            raise ArchiveError(f"{raw}: absolute or Windows-style path refused")
        parts = [p for p in PurePosixPath(raw).parts if p != "."]
        if ".." in parts:
            raise ArchiveError(f"{raw}: a path with '..' refused")
        if m.issym() or m.islnk():
            raise ArchiveError(f"{raw}: links are refused")
        if m.isdir():
            continue
        if not m.isfile():
            raise ArchiveError(f"{raw}: devices, pipes and other special files are refused")
        if m.size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"{raw}: {m.size / 2**20:.1f} MB is over the {MAX_MEMBER_BYTES / 2**20:.0f} MB limit")
        total += m.size
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"archive: more than {MAX_TOTAL_BYTES / 2**20:.0f} MB in all")
        rel = "/".join(parts)
        key = _ALIASES.get(rel, rel)
        if key not in KNOWN:
            if _DEEPRACER_SKIPPED.match(rel):
                continue
            raise ArchiveError(f"{raw}: unexpected file in a model archive (expected {', '.join(KNOWN)})")
        if key in staged:
            raise ArchiveError(f"{raw}: {key} appears twice")
        limit = MAX_MEMBER_BYTES if key == "weights.pt" else MAX_TEXT_BYTES
        if m.size > limit:
            raise ArchiveError(f"{raw}: {m.size / 2**20:.1f} MB is over the {limit / 2**20:.0f} MB limit for {key}")
        staged[key] = _copy_bounded(tar, m, staging / key, limit)  # our name, never the archive's path
        total += staged[key].stat().st_size - m.size  # what was unpacked, not what the header said
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"archive: more than {MAX_TOTAL_BYTES / 2**20:.0f} MB in all")
    if "model_metadata.json" not in staged:
        raise ArchiveError("model_metadata.json: missing from the archive; it is not a model archive")
    return staged


def _copy_bounded(tar: tarfile.TarFile, m: tarfile.TarInfo, out: Path, limit: int) -> Path:
    """Copy member ``m`` to ``out`` counting the bytes as they unpack: never more than ``limit``,
    whatever its header says."""
    src = tar.extractfile(m)
    written = 0
    with open(out, "wb") as fh:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise ArchiveError(f"{m.name}: unpacks to more than {limit / 2**20:.0f} MB, the limit for this file")
            fh.write(chunk)
    return out


def _manifest(staged: dict[str, Path]) -> dict:
    if "trackside.json" not in staged:
        return {}
    try:
        d = json.loads(staged["trackside.json"].read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ArchiveError("trackside.json: not valid JSON") from None
    if not isinstance(d, dict):
        raise ArchiveError("trackside.json: expected a JSON object")
    if d.get("eval") is not None:
        try:
            d["eval"] = check_eval(d["eval"])
        except ModelStoreError as exc:
            raise ArchiveError(f"trackside.json: {exc}; remove it or export the model again") from None
    return d


def _write_model(model: Model, staged: dict[str, Path], manifest: dict) -> None:
    """Validate every staged file and write the model folder from the parsed values."""
    try:
        meta = ModelMetadata.from_json(staged["model_metadata.json"].read_bytes())
    except MetadataError as exc:
        raise ArchiveError(str(exc)) from None
    hp = Hyperparameters()
    if "hyperparameters.json" in staged:
        try:
            hp = Hyperparameters.from_json(staged["hyperparameters.json"].read_bytes())
        except ValueError as exc:
            raise ArchiveError(str(exc)) from None
    reward = DEFAULT_REWARD
    if "reward_function.py" in staged:
        try:
            reward = staged["reward_function.py"].read_bytes().decode("utf-8")
            compile(reward, "reward_function.py", "exec")  # syntax only; nothing runs
        except (UnicodeDecodeError, SyntaxError, ValueError) as exc:
            raise ArchiveError(f"reward_function.py: not valid Python ({exc})") from None
    config = TrainingConfig()
    if "training_config.json" in staged:
        try:
            config = TrainingConfig.from_dict(json.loads(staged["training_config.json"].read_bytes()))
        except (ValueError, ModelStoreError) as exc:
            raise ArchiveError(f"training_config.json: {exc}") from None
    # Paths and origins recorded by another home mean nothing here.
    config = replace(config, init_from=None, cloned_from=None)
    state = None
    if "weights.pt" in staged:
        try:  # sizes bounded before torch reads it; a pickle that would run code is refused
            state = load_weights(staged["weights.pt"], "weights.pt")
        except ModelStoreError as exc:
            raise ArchiveError(str(exc)) from None

    atomic_write(model.metadata_path, meta.to_json())
    atomic_write(model.hyperparameters_path, hp.to_json())
    atomic_write(model.reward_path, reward)
    reward_trust.record_origin(model.path, None if "reward_function.py" in staged else "Trackside's default reward",
                               "an imported archive")
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


def _check_drives(model: Model) -> None:
    """Load the imported weights once as the policy races will: weights that do not fit the
    metadata's action space and sensor are refused now, not in the middle of a race day."""
    from trainer.policy import PolicyError, load_policy

    try:
        load_policy(model)
    except PolicyError as exc:
        raise ArchiveError(f"weights.pt: refused, it does not fit model_metadata.json: {exc}") from None

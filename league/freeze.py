"""Frozen model copies: what a submission was evaluated with, kept so later training changes nothing.

A submission copies the model's ``model_metadata.json`` and the chosen checkpoint file
into ``home()/league/frozen/<sha256>/``, laid out as a tiny model folder::

    <sha256>/model/model_metadata.json
    <sha256>/checkpoints/initial.pt

so :func:`trainer.policy.load_policy` reads it as the ``initial`` weights of a read-only
model. The folder name is the SHA-256 of both files' bytes, so the same weights submitted
twice share one copy, and a copy can be checked against its name at any time. A copy is
built in a temp folder and renamed into place: a crash leaves a whole copy or none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sim.paths import home
from trainer.model_store import Model, ModelStoreError
from trainer.policy import resolve_checkpoint

from .db import LeagueError

_HASH_LEN = 64


@dataclass(frozen=True)
class FrozenModel:
    """A content-addressed copy of one model checkpoint."""

    hash: str
    """SHA-256 (hex) of the metadata and weights bytes."""
    model: str
    """The model's name when it was frozen."""
    checkpoint: str
    """What was asked for: ``final``, ``best``, ``latest``, ``initial`` or an iteration number."""
    iteration: int | None
    """The training iteration of the weights (None for initial weights)."""

    @property
    def path(self) -> Path:
        return frozen_dir() / self.hash

    def as_model(self) -> Model:
        """The copy as a read-only model whose ``initial`` checkpoint is the frozen weights."""
        return open_frozen(self.hash, self.model)


def frozen_dir() -> Path:
    path = home() / "league" / "frozen"
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_hash(metadata: bytes, weights: bytes) -> str:
    h = hashlib.sha256()
    # Lengths first, so no split of the same bytes between the two files hashes alike.
    for part in (metadata, weights):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def resolve_model(model: str | Model, models=None) -> Model:
    """``model`` itself, or the model of that name in ``models`` (a ``trainer.model_store.ModelStore``).

    The front-end that takes the request passes its store (the app its own, the CLI the
    store of ``TRACKSIDE_HOME``); only when none is given is the ``TRACKSIDE_HOME`` store
    opened here, the one place in ``league`` that does so.
    """
    if isinstance(model, Model):
        return model
    if models is None:
        from trainer.model_store import ModelStore

        models = ModelStore()
    try:
        return models.get(model)
    except ModelStoreError as exc:
        raise LeagueError(str(exc)) from None


def freeze(model: str | Model, checkpoint: str | int | None = None, *, models=None) -> FrozenModel:
    """Copy ``model``'s metadata and checkpoint (default: final, else best, latest, initial) into the store.

    ``model``: a ``Model``, or a name looked up in ``models`` (see :func:`resolve_model`).
    """
    model = resolve_model(model, models)
    which, path, iteration = resolve_checkpoint(model, checkpoint)
    label = str(which)
    try:
        # Checkpoints are replaced atomically by training, so each read sees one whole file.
        metadata = model.metadata_path.read_bytes()
        weights = path.read_bytes()
    except OSError as exc:
        raise LeagueError(f"model {model.name!r}: cannot read checkpoint {label} ({exc})") from None
    digest = content_hash(metadata, weights)
    target = frozen_dir() / digest
    _sweep(target.parent)
    if not _complete(target):
        _write_copy(target, metadata, weights)
    return FrozenModel(digest, model.name, label, iteration)


def open_frozen(digest: str, name: str = "frozen") -> Model:
    """The frozen copy ``digest`` as a read-only model; refuses a missing or altered copy."""
    if len(digest) != _HASH_LEN or any(c not in "0123456789abcdef" for c in digest):
        raise LeagueError(f"frozen model: {digest!r} is not a SHA-256 hash")
    folder = frozen_dir() / digest
    model = Model(folder, read_only=True, name=name)
    try:
        actual = content_hash(model.metadata_path.read_bytes(), model.initial_path.read_bytes())
    except OSError:
        raise LeagueError(f"frozen model {digest[:12]} is missing from {frozen_dir()}") from None
    if actual != digest:
        raise LeagueError(f"frozen model {digest[:12]} has been altered on disk (its content no longer matches)")
    return model


def _complete(folder: Path) -> bool:
    return (folder / "model" / "model_metadata.json").is_file() and (folder / "checkpoints" / "initial.pt").is_file()


def _sweep(folder: Path) -> None:
    # Temp folders a crash left behind; an hour old, so none is still being written.
    for p in folder.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if time.time() - p.stat().st_mtime > 3600:
                shutil.rmtree(p, ignore_errors=True)


def _write_copy(target: Path, metadata: bytes, weights: bytes) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        for rel, data in (("model/model_metadata.json", metadata), ("checkpoints/initial.pt", weights)):
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            with open(p, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        try:
            os.rename(tmp, target)
        except OSError:
            # Another process froze the same weights first (the target exists, non-empty): same bytes.
            if not _complete(target):
                raise
    finally:
        with contextlib.suppress(OSError):
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

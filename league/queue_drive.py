"""Drive many frozen submissions, one by one in this process or as Ray tasks, with the same code.

Each drive is a :class:`Drive`: a frozen copy (by hash) and a noise seed. The task gets what
decides the laps as values, not paths: the frozen copy's two files (bytes), the track and the
race's rules. So a worker on another machine of a Ray cluster needs no access to this
machine's ``TRACKSIDE_HOME``; it unpacks the copy into its own temp folder (checked against
its hash) and drives :func:`league.evaluation.run_laps`, the code a direct submission runs.

Results come back in the order of the drives, whichever task finishes first: the one writer
records them in queue order, so submission ids (which break ties in the standings) are the
same on both paths. Ray is optional (``pip install -e '.[cluster]'``): it is imported only
when asked for, and its absence is one line saying how to get it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from sim.track import Track
from trainer.driving import EvaluationRules, LapResult
from trainer.model_store import Model

from .db import LeagueError
from .freeze import content_hash, open_frozen
from .ray_setup import start_ray

RAY_MISSING = "Ray is not installed: pip install -e '.[cluster]' (or pip install 'ray>=2.9'), then run this again"


@dataclass(frozen=True)
class Drive:
    """One submission's laps to drive."""

    key: int
    """What the result belongs to: a queue entry's or a submission's id."""
    frozen_hash: str
    """The frozen copy (:mod:`league.freeze`) to drive."""
    model: str
    """The model's name when frozen."""
    seed: int
    """The noise seed of the laps (:mod:`sim.noise`)."""


FrozenBytes = tuple[bytes, bytes]
"""A frozen copy's ``model_metadata.json`` and ``initial.pt``, as bytes."""


def read_frozen(digest: str) -> FrozenBytes:
    """The bytes of frozen copy ``digest`` (checked against its hash)."""
    model = open_frozen(digest)
    return model.metadata_path.read_bytes(), model.initial_path.read_bytes()


def drive_frozen(drive: Drive, copy: FrozenBytes, track: Track, rules: EvaluationRules) -> list[LapResult]:
    """The laps of ``drive``: its frozen copy on ``track`` under ``rules`` with its seed. Runs in a
    Ray worker or in this process alike."""
    from .evaluation import run_laps

    model = _unpack(drive, copy)
    return run_laps(model, "initial", track, replace(rules, seed=int(drive.seed)))


def drive_all(drives: list[Drive], track: Track, rules: EvaluationRules, *, ray: bool = False,
              address: str | None = None, num_cpus: int | None = None
              ) -> Iterator[tuple[Drive, list[LapResult] | None, str | None]]:
    """``(drive, laps, None)`` or ``(drive, None, why it failed)`` for each drive, in order.

    ``ray``: as Ray tasks (one CPU each) on the running Ray instance, else on a new one: the
    cluster at ``address`` or a local one with ``num_cpus`` CPUs (default: all). Without
    ``ray``, one by one in this process. A drive that fails (a missing frozen copy, weights
    that cannot run) is reported and the others go on.
    """
    copies: dict[str, FrozenBytes | str] = {}
    for d in drives:
        if d.frozen_hash not in copies:
            try:
                copies[d.frozen_hash] = read_frozen(d.frozen_hash)
            except LeagueError as exc:
                copies[d.frozen_hash] = str(exc)
    if not ray:
        for d in drives:
            yield (d, *_drive_here(d, copies[d.frozen_hash], track, rules))
        return
    with ray_session(address, num_cpus) as ray_mod:
        yield from _drive_on_ray(ray_mod, drives, copies, track, rules)


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None):
    """The ``ray`` module with an instance running: the one already started in this process, else a
    new one (the cluster at ``address``, or local with ``num_cpus``), shut down afterwards. A
    cluster's nodes need Trackside installed (the tasks import :mod:`league.queue_drive`)."""
    try:
        import ray
    except ImportError:
        raise LeagueError(RAY_MISSING) from None
    started = not ray.is_initialized()
    if started:
        start_ray(ray, address, num_cpus, LeagueError)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def _drive_on_ray(ray, drives, copies, track, rules):
    task = ray.remote(num_cpus=1)(_ray_task)
    track_key = hashlib.sha256(pickle.dumps(track)).hexdigest()
    track_ref, refs = ray.put(track), {}
    copy_refs = {h: ray.put(c) for h, c in copies.items() if not isinstance(c, str)}
    for d in drives:
        if d.frozen_hash in copy_refs:
            refs[d.key] = task.remote(d, copy_refs[d.frozen_hash], track_key, track_ref, rules)
    for d in drives:
        if d.key not in refs:
            yield d, None, copies[d.frozen_hash]
            continue
        try:
            yield d, ray.get(refs.pop(d.key)), None
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None) or exc
            yield d, None, f"{type(cause).__name__}: {cause}"
        except ray.exceptions.RayError as exc:  # a worker died, the cluster went away
            yield d, None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


_WARM_TRACKS: dict[str, Track] = {}
"""Tracks a worker process has driven, by content hash: a track fills its lookup caches on its
first laps (about 0.4 s for a cup track), which a fresh copy per task would pay every time."""


def _ray_task(drive: Drive, copy: FrozenBytes, track_key: str, track: Track, rules: EvaluationRules
              ) -> list[LapResult]:
    import torch

    torch.set_num_threads(1)  # one CPU per task: more threads only fight each other
    if track_key not in _WARM_TRACKS:
        if len(_WARM_TRACKS) >= 4:
            _WARM_TRACKS.clear()
        _WARM_TRACKS[track_key] = track
    return drive_frozen(drive, copy, _WARM_TRACKS[track_key], rules)


def _drive_here(drive, copy, track, rules):
    if isinstance(copy, str):
        return None, copy
    try:
        return drive_frozen(drive, copy, track, rules), None
    except Exception as exc:  # noqa: BLE001 - one bad submission must not stop the queue; the reason is kept
        return None, f"{type(exc).__name__}: {exc}"


def _unpack(drive: Drive, copy: FrozenBytes) -> Model:
    """The copy as a read-only model in this process's temp folder (kept per hash: drives share it)."""
    metadata, weights = copy
    if content_hash(metadata, weights) != drive.frozen_hash:
        raise LeagueError(f"frozen model {drive.frozen_hash[:12]}: the bytes received do not match its hash")
    root = Path(tempfile.gettempdir()) / "trackside-drives"
    folder = root / drive.frozen_hash
    if not (folder / "checkpoints" / "initial.pt").is_file():
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        (tmp / "model").mkdir()
        (tmp / "checkpoints").mkdir()
        (tmp / "model" / "model_metadata.json").write_bytes(metadata)
        (tmp / "checkpoints" / "initial.pt").write_bytes(weights)
        try:
            os.rename(tmp, folder)
        except OSError:  # another worker unpacked the same copy first: same bytes
            shutil.rmtree(tmp, ignore_errors=True)
    return Model(folder, read_only=True, name=drive.model)

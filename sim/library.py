"""Finding tracks: the bundled ones in ``tracks/`` and those the user imported.

A track is a pair of files with the same stem: ``NAME.npy`` (the DeepRacer array,
see :mod:`sim.track`) and ``NAME.json`` (the :class:`~sim.track.TrackInfo` fields
``name, display_name, description, trainable, resembles``). The ``.npy`` is the
track; a missing or unreadable ``.json`` only costs the friendly texts, so the
track still loads with its stem as its name.

Bundled tracks live in :func:`sim.paths.bundled_tracks_dir`, imported ones in
:func:`sim.paths.user_tracks_dir`. An imported track can never take a bundled
track's name, so a name always means one road.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import threading
from pathlib import Path

import numpy as np

from .paths import bundled_tracks_dir, user_tracks_dir
from .track import Track, TrackError, TrackInfo

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Track names: letters (either case, as DeepRacer's ``reInvent2019_track`` or ``Tokyo_Training_track``),
digits, ``_`` and ``-``, at most 64 characters: no dots, slashes or spaces, so a name is always one
file inside its folder."""
_DEVICE_NAMES = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])", re.IGNORECASE)
"""Names Windows reserves for devices whatever the folder: a file called ``NUL.npy`` is no file."""

_cache: dict[Path, tuple[tuple, Track]] = {}
_cache_lock = threading.Lock()


def _dirs() -> list[tuple[str, Path]]:
    return [("bundled", bundled_tracks_dir()), ("imported", user_tracks_dir())]


def _read_info(npy: Path, source: str) -> TrackInfo:
    """The sidecar JSON for ``npy``, or defaults when it is missing or corrupt."""
    name = npy.stem
    default = TrackInfo(name=name, display_name=_title(name), source=source)
    try:
        meta = json.loads(npy.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default
    if not isinstance(meta, dict):
        return default
    resembles = meta.get("resembles")
    # The file stem is the name, whatever the JSON says: it is what load_track looks up.
    return TrackInfo(
        name=name,
        display_name=str(meta.get("display_name") or default.display_name),
        description=str(meta.get("description") or ""),
        trainable=bool(meta.get("trainable", True)),
        resembles=str(resembles) if resembles else None,
        source=source,
    )


def _title(name: str) -> str:
    return name.replace("_", " ").replace("-", " ").title()


def valid_name(name: object) -> bool:
    """Whether ``name`` can be a track's name: :data:`NAME_PATTERN`, and not a Windows device name."""
    return isinstance(name, str) and bool(NAME_PATTERN.fullmatch(name)) and not _DEVICE_NAMES.fullmatch(name)


def _find(name: str) -> tuple[Path, str] | None:
    """Path and source of the track called ``name`` (exactly: case counts, also on macOS and Windows,
    whose file systems would open ``WORKSHOP_LOOP.npy`` as ``workshop_loop.npy``); bundled names win."""
    if not valid_name(name):
        return None
    for source, folder in _dirs():
        path = folder / f"{name}.npy"
        if path.is_file() and path.name in os.listdir(folder):
            return path, source
    return None


def _same_name_ignoring_case(folder: Path, name: str) -> str | None:
    """The stem of a track in ``folder`` called ``name`` up to case (which macOS and Windows would
    treat as the same file), or None."""
    if not folder.is_dir():
        return None
    return next((p.stem for p in folder.glob("*.npy") if p.stem.lower() == name.lower()), None)


def list_tracks() -> list[TrackInfo]:
    """Every track there is: bundled ones first, then imported ones, each sorted by name.

    Only reads the small JSON sidecars, so it is cheap enough to call for every menu.
    An imported file that shares a bundled track's name is hidden (bundled wins).
    """
    seen: set[str] = set()
    out: list[TrackInfo] = []
    for source, folder in _dirs():
        for npy in sorted(folder.glob("*.npy")):
            if npy.stem in seen or not valid_name(npy.stem):
                continue
            seen.add(npy.stem)
            out.append(_read_info(npy, source))
    return out


def load_track(name: str) -> Track:
    """The track called ``name`` (a file stem such as ``workshop_loop``), validated.

    Loaded tracks are cached; the cache entry is dropped when the ``.npy`` or its
    ``.json`` changes on disk. Raises :class:`TrackError` listing the available
    names when there is no such track, or naming the file when it is broken.
    """
    found = _find(name)
    if found is None:
        names = ", ".join(info.name for info in list_tracks()) or "none"
        raise TrackError(f"no track named {name!r}; available tracks: {names}")
    path, source = found
    stamp = (_stamp(path), _stamp(path.with_suffix(".json")), source)
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    track = Track.load(path, _read_info(path, source))
    with _cache_lock:
        _cache[path] = (stamp, track)
    return track


def _stamp(path: Path) -> tuple | None:
    # mtime alone can repeat within a clock tick; os.replace gives a new inode and size may differ.
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def import_track(
    path: str | Path,
    name: str,
    *,
    display_name: str | None = None,
    description: str = "",
    overwrite: bool = False,
) -> Track:
    """Copy a DeepRacer ``.npy`` track into the user's tracks folder under ``name``.

    The file is validated first (:class:`TrackError` names it if it is broken).
    ``name`` must match ``[A-Za-z0-9_-]``, at most 64 characters (DeepRacer's own names such as
    ``reInvent2019_track`` are taken as they are), must not be a bundled track's name (in any case),
    and must not be an imported track's name unless ``overwrite`` (then exactly that name: two names
    differing only in case would be one file on macOS and Windows). Imported tracks are trainable. Both files are written to a
    temporary name and moved into place, so a crash never leaves half a file.
    """
    if not valid_name(name):
        raise TrackError(
            f"{name!r} is not a valid track name: use letters, digits, '_' and '-', at most 64 characters "
            "(no dots, slashes or spaces, and not a Windows device name such as NUL)"
        )
    bundled = _same_name_ignoring_case(bundled_tracks_dir(), name)
    if bundled is not None:
        raise TrackError(f"{name!r} is the name of a bundled track ({bundled!r}); choose another name")
    folder = user_tracks_dir()
    target = folder / f"{name}.npy"
    taken = _same_name_ignoring_case(folder, name)
    if taken is not None and taken != name:
        raise TrackError(f"an imported track named {taken!r} already exists (names differing only in case would "
                         "be one file on macOS and Windows); choose another name")
    if taken is not None and not overwrite:
        raise TrackError(f"an imported track named {name!r} already exists; pass overwrite=True to replace it")

    source = Path(path)
    track = Track.load(source)  # raises TrackError naming the file
    info = TrackInfo(
        name=name,
        display_name=display_name or _title(name),
        description=description,
        trainable=True,
        resembles=None,
        source="imported",
    )
    meta = {k: getattr(info, k) for k in ("name", "display_name", "description", "trainable", "resembles")}
    # JSON first: the .npy is what makes a track appear, and by then its texts are in place.
    _atomic_write(target.with_suffix(".json"), (json.dumps(meta, indent=2) + "\n").encode("utf-8"))
    _atomic_write(target, _npy_bytes(track.waypoints))
    return load_track(name)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float64), allow_pickle=False)
    return buf.getvalue()


def _atomic_write(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def track_summaries() -> list[dict]:
    """:func:`track_summary` of every track; a broken file is a row with its ``problem`` instead,
    so one bad file in the home never hides the other tracks (its checks refuse it quickly)."""
    rows = []
    for info in list_tracks():
        try:
            rows.append(track_summary(load_track(info.name)))
        except TrackError as exc:
            rows.append({"name": info.name, "display_name": info.display_name, "source": info.source,
                         "problem": str(exc)})
    return rows


def track_summary(track: Track) -> dict:
    """Plain facts about a track for tables and the command line (lengths and widths in m)."""
    info = track.info
    return {
        "name": info.name,
        "display_name": info.display_name or _title(info.name),
        "description": info.description,
        "length_m": float(track.length),
        "width_m": float(track.width),
        "min_width_m": float(np.min(track.widths)),
        "max_width_m": float(np.max(track.widths)),
        "closed": bool(track.closed),
        "trainable": bool(info.trainable),
        "resembles": info.resembles,
        "source": info.source,
        "waypoints": len(track.center),
    }

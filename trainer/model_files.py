"""Files of a model folder written so a crash never leaves half of one, and the errors of the model store.

Every JSON write is atomic (temp file in the same folder, fsync, ``os.replace``); JSON-lines
files are appended, and a half line left by a crash is skipped when read.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sim.errors import TracksideError


class ModelStoreError(TracksideError):
    """A model operation that cannot be done; the message says why in plain words."""


class ReadOnlyModelError(ModelStoreError):
    """A change to the read-only standard model."""


READ_ONLY_MESSAGE = "the standard model is read-only; clone it to train your own"


def utc_now() -> str:
    """The time now as ISO text (UTC, whole seconds), as status.json and the logs write it."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` so readers (and a crash) see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        for attempt in range(20):
            try:
                os.replace(tmp, path)
                break
            except PermissionError:
                # Windows refuses to replace a file another process has open for reading
                # (the GUI polling status.json); it is free again within milliseconds.
                if os.name != "nt" or attempt == 19:
                    raise
                time.sleep(0.05)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":  # make the rename itself survive a power cut
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=2) + "\n")


def read_json(path: Path):
    """The JSON in ``path``; a missing or broken file is a :class:`ModelStoreError` naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelStoreError(f"{path.name}: missing from {path.parent}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelStoreError(f"{path.name}: not valid JSON ({exc})") from None


def append_jsonl(path: Path, rows: list[dict]) -> None:
    """Append one JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
    with open(path, "a+b") as fh:
        # A crash may have left a half line; start on a fresh one so only that line is lost.
        if fh.tell() > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                text = "\n" + text
        fh.write(text.encode("utf-8"))


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a JSON-lines file ([] if it does not exist); half lines are skipped."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a half line left by a crash
            if line.strip():
                out.append(json.loads(line))
    return out

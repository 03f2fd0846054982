"""A watched folder of model archives (DeepRacer summit style: a USB stick's ``models/`` folder).

Each new ``*.tar.gz`` (or ``*.tgz``) in the folder goes through :func:`league.handin.hand_in`.
The racer's alias: the first line of an ``alias.txt`` in the folder when there is one (a stick that
belongs to one racer), else the archive's file name without its suffix (``ada.tar.gz``: ``ada``).
A file is handed in once its size and modification time stay the same between two looks (or it is
older than :data:`SETTLE_S`): a copy still being written is left for the next look. Files already in
the inbox (the same bytes, by SHA-256, accepted or refused) are skipped, so a folder can be watched
again, or by two commands, without handing anything in twice. Only plain files are read: links and
sub-folders are passed over (a link on a stick could point anywhere on this machine).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .db import open_db
from .handin import already_handed_in, archive_digest, hand_in, parse_target

SUFFIXES = (".tar.gz", ".tgz")
ALIAS_FILE = "alias.txt"
SETTLE_S = 2.0
"""A file unchanged for this long is complete, s."""
INTERVAL_S = 2.0
"""Time between two looks at the folder, s."""


def alias_for(folder: Path, archive_name: str) -> str:
    """The racer's alias for an archive in ``folder`` (see the module's docstring)."""
    path = folder / ALIAS_FILE
    try:
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                first = fh.read(256).decode("utf-8", "replace").splitlines()
            if first and first[0].strip():
                return first[0].strip()[:64]
    except OSError:
        pass
    for suffix in SUFFIXES:
        if archive_name.lower().endswith(suffix):
            return archive_name[: -len(suffix)][:64]
    return archive_name[:64]


@dataclass
class FolderWatch:
    """What one watcher remembers between looks at ``folder``."""

    folder: Path
    target: str
    """``raceday:<event>`` or ``race:<race>``."""
    settle_s: float = SETTLE_S
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    """File name -> (size, mtime ns) at the last look."""
    _digests: dict[tuple[str, int, int], str] = field(default_factory=dict)
    """(name, size, mtime ns) -> SHA-256, so an unchanged file is hashed once."""

    def ready(self) -> list[os.DirEntry]:
        """The folder's archives that are plain files and have stopped changing."""
        now = time.time()
        out, seen = [], {}
        for entry in sorted(os.scandir(self.folder), key=lambda e: e.name):
            if not entry.name.lower().endswith(SUFFIXES) or entry.name.startswith("."):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            key = (st.st_size, st.st_mtime_ns)
            seen[entry.name] = key
            if self._seen.get(entry.name) == key or now - st.st_mtime >= self.settle_s:
                out.append(entry)
        self._seen = seen
        return out

    def scan(self, db, models=None) -> list[dict]:
        """One look: hand in every new, settled archive; returns their receipts."""
        receipts = []
        for entry in self.ready():
            st = entry.stat(follow_symlinks=False)
            key = (entry.name, st.st_size, st.st_mtime_ns)
            if key not in self._digests:
                self._digests[key] = archive_digest(entry.path)[0]
            if already_handed_in(db, self._digests[key]):
                continue
            receipts.append(hand_in(db, entry.path, alias_for(self.folder, entry.name), self.target,
                                    source=f"folder {self.folder}", archive_name=entry.name, models=models))
        return receipts


def watch(folder: str | Path, target: str, stop: threading.Event, on_receipt: Callable[[dict], None], *,
          interval_s: float = INTERVAL_S, models=None, db_factory=open_db) -> None:
    """Look at ``folder`` every ``interval_s`` until ``stop`` is set, handing in what arrives; each
    receipt goes to ``on_receipt``. Opens its own database connection (run it on any thread)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    db = db_factory()
    try:
        watcher = FolderWatch(folder, parse_target(db, target).label)
        while not stop.is_set():
            try:
                receipts = watcher.scan(db, models)
            except OSError:  # the stick was pulled out mid-look: look again later
                receipts = []
            for r in receipts:
                on_receipt(r)
            stop.wait(interval_s)
    finally:
        db.conn.close()

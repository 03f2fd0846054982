"""Log files that cannot fill a disk: each is rotated at :data:`MAX_LOG_BYTES`, keeping one old file.

A model's ``logs/training.log`` (:func:`append_line`) and ``logs/process.log`` (the output of a
training process the app started) grow with what a run prints, and a reward function that
prints its params writes megabytes a second. Here a file that would pass the cap is renamed to
``NAME.1`` (replacing the previous one) and a new one is started, so a log costs at most twice
the cap and its newest lines are always in ``NAME``. Readers that follow a file by its inode
(``gui.telemetry.FileTail``) start again at the new file.

``python -m trainer.log_cap FILE`` copies its standard input into ``FILE`` with that rotation:
:func:`trainer.training_process.start_training` pipes the trainer's output through it, so the
cap holds however the trainer or the code it runs writes (print, C extensions, tracebacks).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MAX_LOG_BYTES = 5 * 2**20
"""A log file is rotated when it would grow past this, bytes."""
MAX_LINE_BYTES = 64 * 2**10
"""Longest single message :func:`append_line` writes, bytes (the rest is cut, and says so)."""


def rotate_if_full(path: Path, incoming: int, max_bytes: int = MAX_LOG_BYTES) -> None:
    """Move ``path`` to ``path.1`` when ``incoming`` more bytes would take it past ``max_bytes``."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size and size + incoming > max_bytes:
        os.replace(path, old_path(path))


def old_path(path: Path) -> Path:
    """Where the previous part of a rotated log is kept."""
    return path.with_name(path.name + ".1")


def append_line(path: Path, text: str, max_bytes: int = MAX_LOG_BYTES) -> None:
    """Append one line to a capped log (a very long message is cut to :data:`MAX_LINE_BYTES`)."""
    data = text.encode("utf-8", errors="replace")
    if len(data) > MAX_LINE_BYTES:
        data = data[:MAX_LINE_BYTES] + f" ... [{len(data) - MAX_LINE_BYTES} more bytes cut]".encode()
    data = data.replace(b"\r", b"") + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    rotate_if_full(path, len(data), max_bytes)
    with open(path, "ab") as fh:
        fh.write(data)


class CappedWriter:
    """Appends bytes to ``path``, rotating it at ``max_bytes`` (keeping one old file)."""

    def __init__(self, path: str | os.PathLike, max_bytes: int = MAX_LOG_BYTES):
        self.path = Path(path)
        self.max_bytes = max(1024, int(max_bytes))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")
        self._size = self._fh.tell()

    def write(self, data: bytes) -> None:
        if len(data) >= self.max_bytes:  # only the newest part of a huge write can be kept anyway
            data = data[-(self.max_bytes // 2):]
        if self._size and self._size + len(data) > self.max_bytes:
            self._fh.close()
            os.replace(self.path, old_path(self.path))
            self._fh = open(self.path, "ab")
            self._size = 0
        self._fh.write(data)
        self._fh.flush()  # the app's log view and last_words read the file while it grows
        self._size += len(data)

    def close(self) -> None:
        self._fh.close()


def copy_stream(fd: int, path: str | os.PathLike, max_bytes: int = MAX_LOG_BYTES) -> None:
    """Copy everything read from ``fd`` into a :class:`CappedWriter` until end of file."""
    out = CappedWriter(path, max_bytes)
    try:
        while chunk := os.read(fd, 1 << 16):
            out.write(chunk)
    finally:
        out.close()


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m trainer.log_cap FILE [MAX_BYTES]", file=sys.stderr)
        return 2
    copy_stream(sys.stdin.fileno(), argv[0], int(argv[1]) if len(argv) == 2 else MAX_LOG_BYTES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

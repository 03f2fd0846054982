"""Who owns a model's training: an OS file lock in the model folder, and process identities
that survive pid reuse.

A training process holds ``training.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows) from before it writes ``training`` into ``status.json`` until after it writes how it
ended. The OS drops the lock when the process dies however it dies, so "the lock is held" is
the truth about whether a trainer runs, where a stored pid may meanwhile belong to another
program. Two trainers started at once cannot both take it.

A pid is only trusted together with the process's start time (``/proc/<pid>/stat`` field 22
on Linux), recorded beside it: a reused pid has another start time.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

LOCK_NAME = "training.lock"

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:  # POSIX
    msvcrt = None


def pid_alive(pid: int | None) -> bool:
    """A process with this id runs now (a zombie counts as running until its parent reaps it)."""
    if not pid:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes
        k32 = ctypes.windll.kernel32
        handle = k32.OpenProcess(0x1000, False, int(pid))
        if not handle:
            return False
        code = ctypes.c_ulong()
        k32.GetExitCodeProcess(handle, ctypes.byref(code))
        k32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start_time(pid: int | None) -> int | None:
    """When process ``pid`` started (clock ticks since boot on Linux), or None where unknown."""
    if not pid:
        return None
    try:
        text = Path(f"/proc/{int(pid)}/stat").read_text(encoding="ascii", errors="replace")
        return int(text.rsplit(")", 1)[1].split()[19])  # field 22; the name in () may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def same_process(pid: int | None, started: int | None) -> bool:
    """``pid`` is alive and is the process that started at ``started``. Where the system tells
    no start times (no ``/proc``) a live pid is all there is to go on; where it does, a pid
    recorded without one is not trusted."""
    if not pid or not pid_alive(pid):
        return False
    now = process_start_time(pid)
    return now is None or (started is not None and now == started)


def _try_lock(fd: int, exclusive: bool) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            return True
        except OSError:
            return False
    if msvcrt is not None:  # one byte, exclusive either way; a probe unlocks at once
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    return True  # no locking on this system: the pid and its start time decide


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        elif msvcrt is not None:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def locking_supported() -> bool:
    return fcntl is not None or msvcrt is not None


class TrainingLock:
    """The lock a training process holds on its model folder; :meth:`release` (or process exit) frees it."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self, wait_s: float = 2.0) -> bool:
        """Take the lock; False when another process holds it. Waits ``wait_s`` at most, so a
        reader's momentary probe (:func:`lock_held`) never turns a start away."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_s
        while not _try_lock(fd, exclusive=True):
            if time.monotonic() >= deadline:
                os.close(fd)
                return False
            time.sleep(0.05)
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            _unlock(self.fd)
            os.close(self.fd)
            self.fd = None


def lock_held(folder: Path) -> bool:
    """Some process holds ``folder``'s training lock now (its own holder included)."""
    try:
        fd = os.open(Path(folder) / LOCK_NAME, os.O_RDONLY if fcntl is not None else os.O_RDWR)
    except OSError:
        return False  # never trained since locks came in, or a folder we may not read
    try:
        if _try_lock(fd, exclusive=False):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)

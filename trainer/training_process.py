"""Training in a background process that outlives the front-end that started it (Qt-free;
the app's Training page and any other front-end call these).

:func:`start_training` runs the front-end's train command (the app: ``python -m gui.cli train NAME
--quiet``; the trainer layer does not know its front-ends) in a new session
(closing the app, or a Ctrl-C in its terminal, does not reach it), with its output in the
model's ``logs/process.log`` (rotated at 5 MB: :mod:`trainer.log_cap`). Whether a model is
training is read from its ``status.json`` (the pid the trainer wrote, and whether that process
lives), so an app opened later finds a run started by an earlier one, or by ``trackside train``
in a terminal.

:func:`stop_training` asks the trainer to stop after its current step (the ``stop_request``
file), which leaves the model ``ready`` with its checkpoints; :func:`kill_training` ends
the process at once for when that does not come. :func:`check` turns a run whose process
died without saying so into ``failed``, with the reason the process left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from .log_cap import append_line
from .model_files import READ_ONLY_MESSAGE, ModelStoreError
from .model_folder import Model
from .model_state import BUSY, AlreadyTrainingError, ModelState, Status
from .ownership import lock_held, same_process

_children: dict[str, subprocess.Popen] = {}
"""Processes this app started, by model folder; polled so none is left a zombie
(a zombie's pid still answers, so the model would look busy forever)."""
_log_writers: dict[str, subprocess.Popen] = {}
"""The capped log writers this app started (polled so none is left a zombie)."""
_launch_status: dict[str, tuple] = {}
"""Each model's (status, updated) when this app launched its process: until that changes, it is starting."""


def stop_request_path(model: Model) -> Path:
    return model.path / "stop_request"


def request_stop(model: Model) -> None:
    """Ask a training process to stop after its current step (works from any process)."""
    stop_request_path(model).write_text(str(time.time()))


class TrainingProcessError(ModelStoreError):
    """Training cannot start or stop; the message says why in plain words."""


def start_training(model: Model, command: Sequence[str], *, minutes: float | None = None,
                   iterations: int | None = None) -> subprocess.Popen:
    """Start training ``model`` in a new process that lives on after the app closes
    (until its stop condition, or ``minutes`` / ``iterations`` more if given).

    ``command``: the argv that trains a model named by the next argument and takes
    ``--quiet``, ``--minutes`` and ``--iterations`` (``gui.cli.TRAIN_COMMAND``).
    """
    if model.read_only:
        raise TrainingProcessError(READ_ONLY_MESSAGE)
    proc = _children.get(str(model.path))
    if proc is not None and proc.poll() is None:
        raise AlreadyTrainingError(f"model {model.name!r} is already training (pid {proc.pid})")
    model.check_not_training()
    status = model.status().status
    if status not in (ModelState.DRAFT, ModelState.READY, ModelState.FAILED):
        raise TrainingProcessError(f"model {model.name!r} cannot start training while {status}")
    cmd = [*command, model.name, "--quiet"]
    if minutes is not None:
        cmd += ["--minutes", f"{minutes:g}"]
    if iterations is not None:
        cmd += ["--iterations", str(int(iterations))]
    log = model.process_log_path
    append_line(log, f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd[1:])}")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    before = _stamp(model)
    kwargs = {"start_new_session": True} if os.name == "posix" else \
        {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}
    cwd = str(Path(__file__).resolve().parents[1])
    # The output goes through a capped writer (trainer.log_cap), which outlives the app as the
    # trainer does: however much a reward prints, process.log stays under its cap.
    writer = subprocess.Popen([sys.executable, "-m", "trainer.log_cap", str(log)], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env, **kwargs)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=writer.stdin, stderr=subprocess.STDOUT,
                                cwd=cwd, env=env, **kwargs)
    finally:
        writer.stdin.close()  # the trainer holds the only write end: the writer ends when it does
    for key, old in list(_log_writers.items()):
        if old.poll() is not None:
            del _log_writers[key]
    _log_writers[str(model.path)] = writer
    _children[str(model.path)] = proc
    _launch_status[str(model.path)] = before
    return proc


def is_running(model: Model) -> bool:
    """A training process for ``model`` runs now (started here or anywhere else)."""
    proc = _children.get(str(model.path))
    if proc is not None and proc.poll() is None:
        return True
    try:
        return model.is_busy()
    except ModelStoreError:
        return False


def is_starting(model: Model) -> bool:
    """Started by this app, and the trainer has not yet written its status."""
    proc = _children.get(str(model.path))
    if proc is None or proc.poll() is not None:
        return False
    with contextlib.suppress(ModelStoreError):
        return _stamp(model) == _launch_status.get(str(model.path))
    return True


def _stamp(model: Model) -> tuple:
    st = model.status()
    return st.status, st.updated


def check(model: Model) -> Status | None:
    """The model's status after reaping its process. A run whose process is gone while the
    status still says training is recovered by reading it (``failed``, with what the process
    said last): see :meth:`trainer.model_state.ModelStateMixin.status`."""
    proc = _children.get(str(model.path))
    if proc is not None and proc.poll() is not None:
        _children.pop(str(model.path), None)
    try:
        return model.status()
    except ModelStoreError:
        return None


def start_failure(model: Model) -> str | None:
    """Why a process this app started ended before training began (None if it did not)."""
    proc = _children.get(str(model.path))
    if proc is None or proc.poll() is None:
        return None
    with contextlib.suppress(ModelStoreError):
        if _stamp(model) == _launch_status.get(str(model.path)) and proc.returncode:
            _children.pop(str(model.path), None)
            _flush_log(model)
            return model.last_words() or f"the training process ended with exit code {proc.returncode}"
    return None


def _flush_log(model: Model, timeout_s: float = 5.0) -> None:
    """Wait for the log writer of ``model``'s ended trainer to copy its last lines (it ends right after)."""
    writer = _log_writers.get(str(model.path))
    if writer is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            writer.wait(timeout_s)


def stop_training(model: Model) -> None:
    """Ask the training to stop after its current step; it then saves and ends ``ready``."""
    if not is_running(model):
        raise TrainingProcessError(f"model {model.name!r} is not training")
    request_stop(model)


def kill_training(model: Model, *, grace_s: float = 3.0) -> Status | None:
    """End the training process now (SIGTERM, then SIGKILL after ``grace_s``). The model keeps
    its checkpoints; one left ``training`` by the killed process becomes ``failed``."""
    pid = None
    proc = _children.get(str(model.path))
    if proc is not None and proc.poll() is None:
        pid = proc.pid
    else:
        pid = verified_owner(model)
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and _alive(pid, proc):
            time.sleep(0.05)
        if _alive(pid, proc):
            with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(2.0)
    return check(model)


def verified_owner(model: Model) -> int | None:
    """The pid of the process training ``model``, only when it is that process for sure: the
    model's training lock is held and the recorded pid still names the process that wrote it
    (same start time). A pid the system has since given to another program is never returned,
    so Kill cannot signal it."""
    with contextlib.suppress(ModelStoreError):
        st = model.status()  # a state whose owner is gone is recovered here
        if st.status in BUSY and st.pid and lock_held(model.path) and same_process(st.pid, st.pid_started):
            return st.pid
    return None


def _alive(pid: int, proc: subprocess.Popen | None) -> bool:
    if proc is not None and proc.pid == pid:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def wait_for_children(timeout_s: float) -> bool:
    """Wait for the training processes this app started to end (e.g. before deleting a
    temporary home); True when none is left running."""
    deadline = time.monotonic() + timeout_s
    procs = list(_children.values()) + list(_log_writers.values())
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.0, deadline - time.monotonic()))
    return all(proc.poll() is not None for proc in procs)


def running_models(store) -> list[str]:
    """Names of the models that are training now."""
    out = []
    for name in store.names():
        with contextlib.suppress(ModelStoreError, OSError, ValueError):
            if is_running(store.get(name)):
                out.append(name)
    return out

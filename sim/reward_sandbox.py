"""Users' reward functions run in a worker process with OS resource limits.

One worker (``python -c``, its own session, so a terminal's Ctrl-C reaches only the trainer)
loads the reward source once per car instance and then answers requests over a private pipe:

- ``step``: the per-step values of every car (:meth:`sim.params.ParamsBuilder.columns`, plain
  lists); the worker builds the params dicts itself (waypoints were sent once at start) and
  returns one reward per car: one round trip per simulator step, whatever the number of cars;
- ``call``: one params dict (the validator's samples).

Limits (:class:`SandboxLimits`): each call of ``reward_function`` (and loading the file) runs
under a wall-clock alarm whose default action ends the worker, even inside C code; the
address space is capped (``RLIMIT_AS``), so a huge allocation raises ``MemoryError``; what the
function prints (its fd 1 and 2) goes to a pipe the parent drains, keeping the first
``output_bytes`` (to a file if asked) and dropping the rest. While it waits, the parent polls
``should_stop`` (Ctrl-C, a stop request, a time limit) and ends the worker at once if asked.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

from .errors import TracksideError
from .reward import STARTUP_LIMIT_S, RewardError, RewardFunctionError, params_summary

TIMEOUT_EXIT = -14
"""The worker's return code when its alarm (SIGALRM, default action) ended a call."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of a reward worker; :meth:`from_env` reads ``TRACKSIDE_REWARD_SECONDS``
    (per call) and ``TRACKSIDE_REWARD_MEMORY_MB`` over the defaults."""

    time_per_call_s: float = 1.0
    """Longest one call of ``reward_function`` may take (wall clock, so sleeping counts), s."""
    load_time_s: float = 5.0
    """Longest running the file's top level may take (imports count), s."""
    memory_mb: int = 2048
    """Address-space limit of the worker, MB."""
    output_bytes: int = 65536
    """How much of what the function prints is kept; the rest is counted and dropped."""

    @classmethod
    def from_env(cls) -> "SandboxLimits":
        out = cls()
        for var, key, kind in (("TRACKSIDE_REWARD_SECONDS", "time_per_call_s", float),
                               ("TRACKSIDE_REWARD_MEMORY_MB", "memory_mb", int)):
            text = os.environ.get(var)
            if text:
                try:
                    value = kind(text)
                except ValueError:
                    raise TracksideError(f"{var}={text!r}: expected a positive number") from None
                if not value > 0:
                    raise TracksideError(f"{var}={text!r}: expected a positive number")
                out = replace(out, **{key: value})
        return out


class RewardStopped(TracksideError):
    """The caller's ``should_stop`` asked to stop while the reward function ran; the worker is ended."""


class RewardSandbox:
    """A worker process holding ``instances`` loaded copies of one reward function.

    Raises :class:`RewardFunctionError` when the file does not load (or hangs loading),
    :class:`RewardError` when a call fails, hangs, runs out of memory or ends the process.
    """

    def __init__(self, source: str, filename: str = "reward_function.py", *, instances: int = 1,
                 waypoints: list | None = None, track_length: float = 0.0, limits: SandboxLimits | None = None,
                 output_path: Path | None = None, should_stop=None):
        self.limits = limits or SandboxLimits()
        self.filename = filename
        self.should_stop = should_stop or (lambda: False)
        self._exact, self.stopped = True, False
        self.waypoints, self.track_length = list(waypoints or []), track_length
        self.output = _Output(self.limits.output_bytes, output_path)
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", OMP_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from sim.reward_sandbox import worker_main; worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        self._send_conn = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self._recv_conn = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self._drain = threading.Thread(target=self.output.drain, args=(self.proc.stderr,), daemon=True)
        self._drain.start()
        self._send(("init", source, filename, instances, self.waypoints, track_length, asdict(self.limits)))
        self._started()
        msg = self._receive(self.limits.load_time_s + 1.0, None)
        if msg[1] is not None:
            self.close()
            raise RewardFunctionError(msg[1], msg[2])

    # -- requests -----------------------------------------------------------------------------
    def step(self, columns: tuple[list, ...]) -> list[float]:
        """One reward per car for one simulator step (``columns`` from ``ParamsBuilder.columns``)."""
        n = len(columns[0])
        if self.stopped:
            return [0.0] * n
        self._send(("step", columns))
        self._exact = False  # which car hung is not known: messages do not name params
        try:
            msg = self._receive(self.limits.time_per_call_s * n + 5.0, lambda: self._params(columns, 0))
        except RewardStopped:
            # Stopping (Ctrl-C, a stop request, the time limit) ended the worker mid-step: this step's
            # rewards are zero and so are any later ones; the caller ends collection after this step.
            return [0.0] * n
        if msg[0] == "error":
            _, text, line, car = msg
            raise RewardError(text, self._params(columns, car), line)
        return msg[1]

    rewards_for_columns = step
    """What :class:`sim.env.RacingEnv` calls each step when this is its ``reward_fn``."""

    def call(self, params: dict, instance: int = 0) -> float:
        """The reward for one params dict."""
        self._send(("call", params, instance))
        self._exact = True
        msg = self._receive(self.limits.time_per_call_s + 5.0, lambda: params)
        if msg[0] == "error":
            raise RewardError(msg[1], params, msg[2])
        return msg[1][0]

    def close(self) -> None:
        """End the worker (if it still runs) and keep what it printed."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for conn in (self._send_conn, self._recv_conn):
            conn.close()
        self._drain.join(timeout=1.0)  # a grandchild the user started may hold the pipe: do not wait forever
        self.output.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- plumbing -----------------------------------------------------------------------------
    def _params(self, columns, car: int) -> dict:
        from .params import params_dicts

        return params_dicts(tuple(col[car:car + 1] for col in columns), self.waypoints, self.track_length)[0]

    def _started(self) -> None:
        """Wait for the worker's first word: failing to start Python is our problem, not the user's."""
        if self._recv_conn.poll(STARTUP_LIMIT_S):
            try:
                if pickle.loads(self._recv_conn.recv_bytes()) == ("ready",):
                    return
            except (EOFError, OSError):
                pass
        self.close()
        raise RuntimeError(f"the reward worker process failed to start (exit code {self.proc.returncode}): "
                           f"{self.output.text()[-500:]}")

    def _send(self, msg) -> None:
        try:
            self._send_conn.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass  # the worker ended; receiving says how

    def _receive(self, limit_s: float, params_of):
        """The worker's answer within ``limit_s``; polls ``should_stop`` meanwhile."""
        deadline = time.monotonic() + limit_s
        while True:
            if self._recv_conn.poll(0.05):
                try:
                    return pickle.loads(self._recv_conn.recv_bytes())
                except (EOFError, OSError):
                    raise self._ended(params_of) from None
            if self.should_stop():
                self.close()
                self.stopped = True
                raise RewardStopped("stopped while the reward function ran")
            if time.monotonic() > deadline:
                self.close()
                if params_of is None:
                    raise RewardFunctionError(f"{self.filename} did not finish loading within "
                                              f"{self.limits.load_time_s:g} s (is there an endless loop outside "
                                              "reward_function?)")
                raise RewardError(self._timeout_text(params_of()), params_of())

    def _timeout_text(self, params: dict) -> str:
        where = f" for params {params_summary(params)}" if self._exact else ""
        return (f"reward_function did not return within {self.limits.time_per_call_s:g} s{where}; "
                "is there an endless loop?")

    def _ended(self, params_of) -> RewardFunctionError:
        code = self.proc.wait()
        self._drain.join(timeout=1.0)
        if code == TIMEOUT_EXIT:
            if params_of is None:
                return RewardFunctionError(f"{self.filename} did not finish loading within "
                                           f"{self.limits.load_time_s:g} s (is there an endless loop outside "
                                           "reward_function?)")
            return RewardError(self._timeout_text(params_of()), params_of())
        during = " while loading" if params_of is None else ""
        text = (f"the reward function ended its process (exit code {code}){during}; "
                "it must not call exit or end the process")
        return RewardFunctionError(text) if params_of is None else RewardError(text, params_of())


class _Output:
    """What the worker printed: the first ``limit`` bytes kept (and written to ``path``), the rest counted."""

    def __init__(self, limit: int, path: Path | None):
        self.limit, self.kept, self.total = limit, bytearray(), 0
        self.fh = open(path, "ab") if path is not None else None

    def drain(self, pipe) -> None:
        fd = pipe.fileno()
        while chunk := os.read(fd, 65536):
            self.total += len(chunk)
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]
                if self.fh is not None:
                    self.fh.write(chunk[:room])
                    self.fh.flush()

    def text(self, limit: int | None = None) -> str:
        """The kept output (up to ``limit`` bytes), with a note when some was dropped."""
        kept = bytes(self.kept[:limit] if limit is not None else self.kept)
        text = kept.decode("utf-8", errors="replace")
        if self.total > len(kept):
            text += f"\n[... {self.total - len(kept)} more bytes of output not shown]"
        return text

    def close(self) -> None:
        if self.fh is not None and not self.fh.closed:
            if self.total > len(self.kept):
                self.fh.write(f"\n[... {self.total - len(self.kept)} more bytes of output dropped]\n".encode())
            self.fh.close()


def worker_main() -> None:
    """Entry point of the worker process (see :class:`RewardSandbox`)."""
    from .sandbox_worker import serve

    serve()

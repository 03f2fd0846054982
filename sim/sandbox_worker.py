"""The reward worker process's side of :mod:`sim.reward_sandbox` (runs only in the worker).

Requests and answers are pickled messages on private copies of fds 0 and 1; fd 0 then reads
``/dev/null`` (``input()`` gets EOF) and fd 1 goes where fd 2 goes, to the parent's output
drain. Every call of user code runs under ``ITIMER_REAL`` with SIGALRM's default action (the
kernel ends the process, even inside C code) and the address space is capped first.
"""

from __future__ import annotations

import gc
import os
import pickle
import resource
import signal
from multiprocessing.connection import Connection

from .reward import (
    RewardError,
    RewardFunctionError,
    describe_error,
    load_reward_function,
    params_summary,
)


def _limit_memory(mb: int) -> None:
    limit = int(mb) * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass  # a lower hard limit already holds


def _memory_text(exc: BaseException, mb: int, where: str) -> str | None:
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, MemoryError) or isinstance(cause, MemoryError) or "MemoryError" in str(exc):
        return f"reward_function ran out of memory (the limit is {mb} MB){where}; it must not build huge objects"
    return None


def _load(source, filename, instances, limits):
    signal.setitimer(signal.ITIMER_REAL, float(limits["load_time_s"]))
    try:
        return [load_reward_function(source, filename) for _ in range(max(1, instances))]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def serve() -> None:
    requests = Connection(os.dup(0), writable=False)
    answers = Connection(os.dup(1), readable=False)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the trainer decides when to stop

    def send(msg) -> None:
        answers.send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))

    send(("ready",))
    _, source, filename, instances, waypoints, length, limits = pickle.loads(requests.recv_bytes())
    mb = int(limits["memory_mb"])
    if waypoints:  # a simulator's worker: load numpy and shapely before the memory limit, not under it
        from .params import params_dicts
    _limit_memory(mb)
    try:
        fns = _load(source, filename, instances, limits)
    except RewardFunctionError as exc:
        send(("loaded", _memory_text(exc, mb, " while loading") or str(exc), exc.line))
        os._exit(0)
    send(("loaded", None, None))
    # Everything loaded so far lives as long as this process: keep it out of the cyclic garbage
    # collector's full passes, which the ~10 dicts and lists per car and step would otherwise set off
    # every few hundred steps (each a scan of every object in the process).
    gc.freeze()
    per_call = float(limits["time_per_call_s"])
    while True:
        try:
            msg = pickle.loads(requests.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)
        if msg[0] == "step":
            from .params import (
                params_dicts,  # loaded above when waypoints came: a no-op then
            )

            params = params_dicts(msg[1], waypoints, length)
            callers = fns if len(fns) == len(params) else [fns[0]] * len(params)
        else:
            params, callers = [msg[1]], [fns[min(msg[2], len(fns) - 1)]]
        send(_run(callers, params, per_call, mb))


def _run(callers, params: list[dict], per_call: float, mb: int):
    """``("rewards", [...])`` or ``("error", text, line, car)`` for the first call that failed."""
    rewards = []
    timer, real = signal.setitimer, signal.ITIMER_REAL
    for car, (fn, p) in enumerate(zip(callers, params)):
        timer(real, per_call)
        try:
            rewards.append(fn(p))
        except RewardError as exc:
            timer(real, 0)
            where = f" for params {params_summary(p)}"
            return ("error", _memory_text(exc, mb, where) or str(exc), exc.line, car)
        except BaseException as exc:  # KeyboardInterrupt and the like, raised by the user's code
            timer(real, 0)
            where = f" for params {params_summary(p)}"
            return ("error", _memory_text(exc, mb, where) or f"reward_function raised {describe_error(exc)}{where}",
                    None, car)
        timer(real, 0)
    return ("rewards", rewards)

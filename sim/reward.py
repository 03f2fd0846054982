"""Users' reward functions: loading them from source, calling them, and checking them.

A reward function is DeepRacer's plain Python: ``def reward_function(params): ...``
returning a finite number within ``[-1e5, 1e5]`` (``deepracer-conventions.md``
section 1). Three entry points:

- :func:`load_reward_function` compiles and runs the user's file in this process and
  returns a :class:`RewardFunction`, the callable the simulator calls once per car per
  step. Problems raise :class:`RewardFunctionError` (one line for a person, with
  ``.line`` for an editor to mark).
- :meth:`RewardFunction.__call__` returns the reward as a ``float`` or raises
  :class:`RewardError` naming the params that caused it.
- :func:`validate_reward_source` tries a function on varied params from a track in a
  separate worker process, with a time limit per call, and returns a
  :class:`ValidationReport`. It never raises for a broken user function.
  It blocks for up to a few seconds: a GUI calls it off the GUI thread.

Where DeepRacer differs: DeepRacer applies ``float()`` to whatever the function
returns, so ``"1.0"`` or ``True`` pass there. Trackside rejects them, since they are
nearly always mistakes; ints and numpy scalars are accepted.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .paths import assets_dir

REWARD_LIMIT = 1e5
"""A reward must lie within ``[-REWARD_LIMIT, REWARD_LIMIT]``, as in DeepRacer."""
OUTPUT_LIMIT_BYTES = 2048
"""How much of what a function prints :func:`validate_reward_source` keeps."""
STARTUP_LIMIT_S = 30.0
"""How long the validation worker may take to start Python (our problem, not the user's)."""

_EXAMPLES_DIR = assets_dir() / "reward_functions"
EXAMPLES: dict[str, Path] = {
    "Follow the centre line": _EXAMPLES_DIR / "centre_line.py",
    "Centre line, smooth steering": _EXAMPLES_DIR / "centre_line_smooth_steering.py",
    "Centre line, keep the speed up": _EXAMPLES_DIR / "centre_line_speed.py",
    "Speed aware (fast laps)": _EXAMPLES_DIR / "speed_aware.py",
}
"""Bundled example reward functions by display name."""

SUMMARY_KEYS = ("x", "y", "heading", "progress", "steps", "speed", "steering_angle",
                "distance_from_center", "all_wheels_on_track")
"""The params shown when a message names a car's situation (not the waypoint list)."""


class RewardFunctionError(ValueError):
    """A reward function that cannot be used. ``.line`` is the 1-based line in the user's file, or None."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class RewardError(RewardFunctionError):
    """A call of a reward function failed or returned a bad reward.

    ``.params`` is the dict it was called with; ``.line`` is set when the function raised.
    """

    def __init__(self, message: str, params: dict, line: int | None = None):
        super().__init__(message, line)
        self.params = params


def params_summary(params: dict) -> dict:
    """The few params that describe where a car was (:data:`SUMMARY_KEYS`), floats rounded to 3 places."""
    out = {}
    for key in SUMMARY_KEYS:
        if key in params:
            value = params[key]
            out[key] = round(value, 3) if type(value) is float else value
    return out


class RewardFunction:
    """A loaded reward function. Call it with a params dict to get the reward as a float.

    Picklable: it travels as its source and is loaded again on the other side.
    """

    __slots__ = ("source", "filename", "_fn", "_lines")

    def __init__(self, fn: Callable[[dict], Any], source: str, filename: str):
        self.source = source
        """The user's source text."""
        self.filename = filename
        """The file name used in messages and tracebacks."""
        self._fn = fn
        self._lines = source.splitlines()

    def __call__(self, params: dict) -> float:
        """The reward for one car's ``params``; raises :class:`RewardError` if the function fails."""
        try:
            reward = self._fn(params)
        except (Exception, SystemExit) as exc:
            raise self._raised(exc, params) from exc
        # The fast path: a plain float in range (NaN fails the comparison). Literals, not
        # REWARD_LIMIT, save a global lookup per call.
        if type(reward) is float and -1e5 <= reward <= 1e5:
            return reward
        return self._checked(reward, params)

    def __reduce__(self):
        return load_reward_function, (self.source, self.filename)

    def __repr__(self) -> str:
        return f"RewardFunction({self.filename!r})"

    def _checked(self, reward: Any, params: dict) -> float:
        """The slow path: accept numpy scalars, explain everything else."""
        if type(reward) is int and -REWARD_LIMIT <= reward <= REWARD_LIMIT:
            return float(reward)
        where = f"for params {params_summary(params)}"
        if isinstance(reward, numbers.Real) and not isinstance(reward, bool):
            value = float(reward)
        elif getattr(reward, "shape", None) == () and getattr(getattr(reward, "dtype", None), "kind", "?") in "fiu":
            value = float(reward)  # a 0-d numpy array, e.g. from np.clip on an array
        elif reward is None:
            raise RewardError(f"reward_function returned None {where}; it must end with `return float(reward)`",
                              params)
        elif isinstance(reward, (bool, str)):
            raise RewardError(f"reward_function returned the {type(reward).__name__} {reward!r:.40} {where}; "
                              "a reward must be a number such as 1.0", params)
        else:
            raise RewardError(f"reward_function returned a {_type_name(reward)} {where}; "
                              "a reward must be a single number such as 1.0", params)
        if not math.isfinite(value):
            raise RewardError(f"reward_function returned {value} {where}; a reward must be a finite number", params)
        if not -REWARD_LIMIT <= value <= REWARD_LIMIT:
            raise RewardError(f"reward_function returned {value:g} {where}; a reward must lie within "
                              f"-{REWARD_LIMIT:g} .. {REWARD_LIMIT:g}", params)
        return value

    def _raised(self, exc: BaseException, params: dict) -> RewardError:
        line = _user_line(exc.__traceback__, self.filename)
        text = _line_text(self._lines, line)
        where = f"{self.filename}, line {line}: " if line else f"{self.filename}: "
        code = f" in `{text}`" if text else ""
        return RewardError(f"{where}{_describe(exc)}{code} for params {params_summary(params)}", params, line)


# -- loading ------------------------------------------------------------------------
def load_reward_function(source: str, filename: str = "reward_function.py") -> RewardFunction:
    """Compile and run ``source`` as a module and return its ``reward_function``.

    The module runs in a fresh namespace named ``reward_function`` (not put in
    ``sys.modules``), so its imports work as in DeepRacer. Any failure raises
    :class:`RewardFunctionError` with the line in ``filename`` where known.
    """
    code = _compile(source, filename)
    lines = source.splitlines()
    module = types.ModuleType("reward_function")
    module.__file__ = filename
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:
        line = _user_line(exc.__traceback__, filename)
        text = _line_text(lines, line)
        code_text = f" in `{text}`" if text else ""
        raise RewardFunctionError(
            f"{filename}, line {line}: {_describe(exc)}{code_text} while loading the file", line) from None
    fn = module.__dict__.get("reward_function")
    if fn is None:
        defined = [name for name, value in module.__dict__.items()
                   if inspect.isfunction(value) and value.__module__ == "reward_function"]
        hint = f" (it defines {', '.join(defined)})" if defined else ""
        raise RewardFunctionError(f"{filename} defines no function named reward_function(params){hint}")
    if not callable(fn):
        raise RewardFunctionError(f"{filename}: reward_function is a {_type_name(fn)}, not a function "
                                  "reward_function(params)", _first_line(fn))
    line = _first_line(fn)
    at = f"{filename}, line {line}" if line else filename
    if inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise RewardFunctionError(f"{at}: reward_function must return a number; it uses yield or async", line)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None  # a builtin or odd callable: trust it and let the call tell
    if signature is not None:
        try:
            signature.bind(None)
        except TypeError:
            raise RewardFunctionError(f"{at}: reward_function must take one argument, params; "
                                      f"it is defined as reward_function{signature}", line) from None
    return RewardFunction(fn, source, filename)


def load_reward_file(path: str | Path) -> RewardFunction:
    """:func:`load_reward_function` on a file; a missing or unreadable file raises :class:`RewardFunctionError`."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RewardFunctionError(f"{path}: cannot read the reward function ({exc})") from None
    return load_reward_function(source, str(path))


def _compile(source: str, filename: str) -> types.CodeType:
    try:
        with warnings.catch_warnings(action="ignore"):  # SyntaxWarnings are not errors; the worker shows them
            return compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno
        text = (exc.text or "").strip()
        where = f"{filename}, line {line}" if line else filename
        raise RewardFunctionError(f"{where}: {exc.msg}" + (f" ({text})" if text else ""), line) from None
    except ValueError as exc:  # Python 3.11 reports null bytes this way
        raise RewardFunctionError(f"{filename}: {exc}") from None


def _user_line(tb: types.TracebackType | None, filename: str) -> int | None:
    """Line of the innermost traceback frame that lies in the user's file."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _line_text(lines: list[str], line: int | None) -> str:
    if line is None or not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].strip()[:120]


def _describe(exc: BaseException) -> str:
    message = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _first_line(fn: Any) -> int | None:
    code = getattr(fn, "__code__", None)
    return getattr(code, "co_firstlineno", None)


# -- validation ---------------------------------------------------------------------
@dataclass
class ValidationReport:
    """What :func:`validate_reward_source` found."""

    ok: bool
    """The function loaded and returned a valid reward for every sample."""
    filename: str = "reward_function.py"
    error: str | None = None
    """The first problem, one line for a person; None when ``ok``."""
    line: int | None = None
    """Line in the user's file the error points at, if known."""
    samples: list[tuple[dict, float]] = field(default_factory=list)
    """``(params_summary, reward)`` for each sample that ran before any error."""
    output: str = ""
    """What the function printed (stdout and stderr together), at most ~2 KB of it."""
    output_bytes: int = 0
    """How many bytes it printed in all."""
    seconds: float = 0.0
    """Wall time of the validation, s."""

    def format(self, max_rows: int = 12) -> str:
        """A multi-line text for the command line."""
        rewards = [r for _, r in self.samples]
        if self.ok:
            span = f", rewards {min(rewards):.4g} .. {max(rewards):.4g}" if rewards else ""
            head = [f"{self.filename}: OK ({len(rewards)} sample calls{span}, {self.seconds:.2f} s)"]
        else:
            head = [f"{self.filename}: FAILED", f"  {self.error}"]
        rows = []
        if self.samples:
            step = max(1, math.ceil(len(self.samples) / max_rows))
            shown = self.samples[::step]
            rows.append("  " + " ".join(f"{title:>{width}}" for title, (_, width, _) in zip(_TITLES, _COLUMNS))
                        + f" {'reward':>9}")
            for s, reward in shown:
                cells = [_cell(s.get(key), width, digits) for key, width, digits in _COLUMNS]
                rows.append("  " + " ".join(cells) + f" {reward:9.4g}")
            if len(shown) < len(self.samples):
                rows.append(f"  ({len(shown)} of {len(self.samples)} samples shown)")
        out = []
        if self.output_bytes:
            out.append(f"Printed output ({self.output_bytes} bytes):")
            out.extend("  " + line for line in self.output.splitlines())
        return "\n".join(head + rows + out)


_COLUMNS = (("x", 7, 2), ("y", 7, 2), ("heading", 7, 1), ("progress", 8, 1), ("steps", 5, 0), ("speed", 5, 1),
            ("steering_angle", 6, 1), ("distance_from_center", 5, 2), ("all_wheels_on_track", 7, None))
_TITLES = ("x", "y", "heading", "progress", "steps", "speed", "steer", "dist", "on road")


def _cell(value: Any, width: int, digits: int | None) -> str:
    if digits is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:{width}.{digits}f}"
    return f"{str(value if value is not None else '-'):>{width}.{width}}"


def validate_reward_source(source: str, track, *, filename: str = "reward_function.py",
                           samples: Sequence[dict] | None = None, time_limit_s: float = 1.0,
                           load_time_limit_s: float = 5.0) -> ValidationReport:
    """Load ``source`` and call it on varied params in a separate process.

    Args:
        track: the :class:`sim.track.Track` whose params the samples use.
        samples: params dicts to try; default :func:`sample_params` of ``track``.
        time_limit_s: longest one call may take before the worker is killed, s.
        load_time_limit_s: longest running the file's top level may take, s
            (imports such as numpy count here).

    Returns a report; a broken user function never raises. One worker process
    runs every sample, in order, stopping at the first problem.
    """
    started = time.perf_counter()
    report = ValidationReport(ok=False, filename=filename)
    try:
        _compile(source, filename)
    except RewardFunctionError as exc:
        report.error, report.line = str(exc), exc.line
        report.seconds = time.perf_counter() - started
        return report
    if samples is None:
        samples = sample_params(track)
    samples = list(samples)
    worker = _Worker({"source": source, "filename": filename, "samples": samples})
    try:
        worker.expect("ready", STARTUP_LIMIT_S, None)
        msg = worker.expect("loaded", load_time_limit_s,
                            f"{filename} did not finish loading within {float(load_time_limit_s)} s "
                            "(is there an endless loop outside reward_function?)")
        if msg[1] is not None:
            report.error, report.line = msg[1], msg[2]
        else:
            for i, params in enumerate(samples):
                msg = worker.expect("result", time_limit_s,
                                    f"reward_function did not return within {float(time_limit_s)} s for params "
                                    f"{params_summary(params)}; is there an endless loop?", params)
                if msg[2] is not None:
                    report.error, report.line = msg[2], msg[3]
                    break
                report.samples.append((params_summary(params), msg[1]))
            else:
                report.ok = True
    except _UserFault as fault:
        report.error, report.line = str(fault), None
    finally:
        worker.close()
    report.output, report.output_bytes = worker.output()
    report.seconds = time.perf_counter() - started
    return report


def sample_params(track) -> list[dict]:
    """Varied params on ``track`` for trying a reward function (about 90 dicts).

    At 8 places round the lap: the centre line, halfway to each border, near
    each border, on it, just off the road on each side and far off it; headings
    along the road, turned up to 45 degrees, sideways and backwards; speeds 0.5 to
    4 m/s and steering -30 to 30 degrees. Progress is the share of the lap from
    waypoint 0 and ``steps`` matches a 2 m/s average, so ``progress / steps`` is
    plausible. Also the first step, a finished lap and a few reversed episodes.
    """
    import numpy as np

    from .params import ParamsBuilder, origin_from_reference, params_at
    from .vehicle import STEP_DT, CarState, VehicleConfig, points_in_world

    builder = ParamsBuilder(track)
    length = track.length
    # Shares of the half-width, + = left of the file's direction: 0.75 keeps the wheels on the road,
    # 1.0 puts the reference point on the border line, 1.3 takes the car off the road.
    offsets = (0.0, 0.5, -0.5, 0.75, -0.75, 1.0, -1.0, 1.3, -1.3, 3.0)
    turns = (0.0, 20.0, -20.0, 45.0, -45.0, 90.0, 180.0)
    speeds = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
    steers = (0.0, -30.0, 15.0, -7.5, 30.0, -15.0, 7.5)

    def steps_for(metres: float) -> int:
        return 1 + int(metres / (2.0 * STEP_DT))

    out, poses = [], []
    k = 0
    for i in range(8):
        s = (i + 0.5) / 8 * length
        (cx, cy), = track.point_at(s)
        theta = float(track.heading_at(s)[0])
        half = 0.5 * float(track.width_at(s))
        nx, ny = -math.sin(theta), math.cos(theta)
        for off in offsets:
            x, y = cx + off * half * nx, cy + off * half * ny
            heading = math.degrees(theta) + turns[k % len(turns)]
            p = params_at(track, x, y, heading, speeds[k % len(speeds)], steers[k % len(steers)], builder=builder)
            p["steps"] = steps_for(p["progress"] / 100.0 * length)
            out.append(p)
            poses.append((x, y, heading))
            k += 1
    (x0, y0), = track.point_at(0.0)
    first = params_at(track, x0, y0, math.degrees(float(track.heading_at(0.0)[0])), 1.0, 0.0, builder=builder)
    finished = dict(out[0], progress=100.0, steps=steps_for(length))
    out += [first, finished]

    # Reversed episodes: started at waypoint 0, driving against the file's order.
    vehicle = VehicleConfig()
    pick = poses[::11]
    ref = np.array([(x, y) for x, y, _ in pick])
    yaw = np.radians([h + 180.0 for _, _, h in pick])
    origin = origin_from_reference(ref, yaw, vehicle)
    n = len(pick)
    state = CarState(origin[:, 0], origin[:, 1], yaw, np.full(n, 2.0))
    wheels_on = track.on_road(points_in_world(state, vehicle.wheel_offsets()))
    proj = track.project(ref)
    travelled = np.where(proj.s > 0, length - proj.s, 0.0)
    progress = 100.0 * np.clip(travelled / length, 0.0, 1.0)
    steps = np.array([steps_for(m) for m in travelled])
    out += builder.build(proj, ref, yaw, np.full(n, 2.0), np.linspace(-30.0, 30.0, n), steps, progress,
                         np.ones(n, dtype=bool), wheels_on)
    return out


class _UserFault(Exception):
    """The user's code hung or ended the worker; the message is for the report."""


class _Worker:
    """One ``python -c`` process that loads the function and runs every sample.

    Messages come back as JSON lines on a private copy of its stdout; the user's
    prints (its fd 1 and 2) go to a stderr pipe that a thread drains, keeping the
    first :data:`OUTPUT_LIMIT_BYTES`, so a chatty function never blocks on a full pipe.
    """

    def __init__(self, job: dict):
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from sim.reward import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.messages: queue.Queue = queue.Queue()
        self._kept = bytearray()
        self._total = 0
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        self._threads = [threading.Thread(target=fn, args=args, daemon=True) for fn, args in (
            (self._feed, (payload,)), (self._read_messages, ()), (self._read_output, ()))]
        for t in self._threads:
            t.start()

    def _feed(self, payload: bytes) -> None:
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.close()
        except OSError:
            pass  # the worker died; the message reader reports it

    def _read_messages(self) -> None:
        for line in self.proc.stdout:
            self.messages.put(json.loads(line))
        self.messages.put(None)

    def _read_output(self) -> None:
        fd = self.proc.stderr.fileno()
        while chunk := os.read(fd, 65536):
            self._total += len(chunk)
            room = OUTPUT_LIMIT_BYTES - len(self._kept)
            if room > 0:
                self._kept += chunk[:room]

    def expect(self, kind: str, limit_s: float, timeout_message: str | None, params: dict | None = None) -> list:
        """The next message, which must be ``kind``, within ``limit_s`` seconds."""
        try:
            msg = self.messages.get(timeout=limit_s)
        except queue.Empty:
            self.close()
            if timeout_message is None:
                raise RuntimeError(f"the reward validation worker did not start within {limit_s} s") from None
            raise _UserFault(timeout_message) from None
        if msg is None:
            code = self.proc.wait()
            if kind == "ready":
                self._join_output()
                raise RuntimeError(f"the reward validation worker failed to start (exit code {code}): "
                                   f"{self.output()[0][-500:]}")
            during = f" for params {params_summary(params)}" if params is not None else " while loading"
            raise _UserFault(f"the reward function ended its process (exit code {code}){during}; "
                             "it must not call exit or end the process")
        if msg[0] != kind:
            raise RuntimeError(f"reward validation worker: expected {kind!r}, got {msg!r}")
        return msg

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._join_output()

    def _join_output(self) -> None:
        # A grandchild the user started may hold the pipe open: wait briefly, not forever.
        self._threads[2].join(timeout=1.0)

    def output(self) -> tuple[str, int]:
        """The kept output as text (with a note if cut) and the total bytes printed."""
        text = bytes(self._kept).decode("utf-8", errors="replace")
        if self._total > len(self._kept):
            text += f"\n[... {self._total - len(self._kept)} more bytes of output not shown]"
        return text, self._total


def _worker_main() -> None:
    """Entry point of the validation worker process (see :class:`_Worker`)."""
    job = pickle.load(sys.stdin.buffer)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # input() gets EOF instead of waiting
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the user's prints go to the captured stderr pipe

    def send(*msg) -> None:
        channel.write(json.dumps(msg) + "\n")
        channel.flush()

    send("ready")
    try:
        fn = load_reward_function(job["source"], job["filename"])
    except RewardFunctionError as exc:
        send("loaded", str(exc), exc.line)
    else:
        send("loaded", None, None)
        for params in job["samples"]:
            try:
                send("result", fn(params), None, None)
            except RewardError as exc:
                send("result", None, str(exc), exc.line)
                break
            except BaseException as exc:  # KeyboardInterrupt and the like, raised by the user's code
                send("result", None, f"reward_function raised {_describe(exc)} for params "
                                     f"{params_summary(params)}", None)
                break
    sys.stdout.flush()
    sys.stderr.flush()
    channel.close()
    os._exit(0)  # do not wait for threads the user's code may have started

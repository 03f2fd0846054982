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
- :func:`sim.reward_check.validate_reward_source` tries a function on varied params from a track in a
  separate worker process, with a time limit per call, and returns a
  :class:`ValidationReport`. It never raises for a broken user function.
  It blocks for up to a few seconds: a GUI calls it off the GUI thread.

Where DeepRacer differs: DeepRacer applies ``float()`` to whatever the function
returns, so ``"1.0"`` or ``True`` pass there. Trackside rejects them, since they are
nearly always mistakes; ints and numpy scalars are accepted.
"""

from __future__ import annotations

import inspect
import math
import numbers
import types
import warnings
from pathlib import Path
from typing import Any, Callable

from .errors import TracksideError
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


class RewardFunctionError(TracksideError):
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
        return RewardError(f"{where}{describe_error(exc)}{code} for params {params_summary(params)}", params, line)


# -- loading ------------------------------------------------------------------------
def load_reward_function(source: str, filename: str = "reward_function.py") -> RewardFunction:
    """Compile and run ``source`` as a module and return its ``reward_function``.

    The module runs in a fresh namespace named ``reward_function`` (not put in
    ``sys.modules``), so its imports work as in DeepRacer. Any failure raises
    :class:`RewardFunctionError` with the line in ``filename`` where known.
    """
    code = compile_reward_source(source, filename)
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
            f"{filename}, line {line}: {describe_error(exc)}{code_text} while loading the file", line) from None
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


def compile_reward_source(source: str, filename: str) -> types.CodeType:
    """``source`` compiled as ``filename``; a syntax error is a :class:`RewardFunctionError` with its line."""
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


def describe_error(exc: BaseException) -> str:
    """``TypeName: message`` of an exception the user's code raised, on one line (at most 200 chars)."""
    message = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _first_line(fn: Any) -> int | None:
    code = getattr(fn, "__code__", None)
    return getattr(code, "co_firstlineno", None)

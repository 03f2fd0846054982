"""Checking a user's reward function before training: the validator behind the Validate
button and ``trackside reward validate``.

The function runs in a separate worker process on varied params from a track, with a
time limit per call, so an endless loop or a flood of prints cannot hang the caller.
A broken user function never raises here; the :class:`ValidationReport` says what
went wrong and where.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .reward import (
    OUTPUT_LIMIT_BYTES,
    STARTUP_LIMIT_S,
    RewardError,
    RewardFunctionError,
    compile_reward_source,
    describe_error,
    load_reward_function,
    params_summary,
)


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
        compile_reward_source(source, filename)
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
            [sys.executable, "-c", "from sim.reward_check import _worker_main; _worker_main()"],
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
                send("result", None, f"reward_function raised {describe_error(exc)} for params "
                                     f"{params_summary(params)}", None)
                break
    sys.stdout.flush()
    sys.stderr.flush()
    channel.close()
    os._exit(0)  # do not wait for threads the user's code may have started

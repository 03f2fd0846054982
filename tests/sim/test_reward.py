"""Reward functions: the workshop examples, the call checks, and validation of broken functions."""

from __future__ import annotations

import math
import pickle
import time

import numpy as np
import pytest

from sim.params import params_at
from sim.reward import EXAMPLES, RewardError, RewardFunction, RewardFunctionError, load_reward_function, params_summary
from sim.reward_check import sample_params, validate_reward_source
from sim.track import Track, TrackInfo

HALF_WIDTH = 0.38  # m; the oval is 0.76 m wide, like the re:Invent 2018 track


def oval(a: float = 3.0, b: float = 2.0, n: int = 120) -> Track:
    """A counter-clockwise elliptical loop, 0.76 m wide; the inner border is on the left."""
    t = np.linspace(0.0, 2 * np.pi, n + 1)
    centre = np.stack([a * np.cos(t), b * np.sin(t)], axis=1)
    tangent = np.stack([-a * np.sin(t), b * np.cos(t)], axis=1)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    left = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    arr = np.hstack([centre, centre + HALF_WIDTH * left, centre - HALF_WIDTH * left])
    arr[-1] = arr[0]
    return Track(arr, TrackInfo(name="oval"))


@pytest.fixture(scope="module")
def track() -> Track:
    return oval()


def at(track: Track, offset: float = 0.0, speed: float = 2.0, steering: float = 0.0, turn: float = 0.0) -> dict:
    """Params for a car ``offset`` m left of the centre line, midway along segment 10, facing down the road."""
    start, vec = track.seg_start[10], track.seg_vec[10]
    direction = vec / np.linalg.norm(vec)
    left = np.array([-direction[1], direction[0]])
    x, y = start + 0.5 * vec + offset * left
    heading = math.degrees(math.atan2(direction[1], direction[0])) + turn
    return params_at(track, x, y, heading, speed, steering)


def load_example(name: str) -> RewardFunction:
    path = EXAMPLES[name]
    return load_reward_function(path.read_text(encoding="utf-8"), path.name)


def fn(body: str) -> str:
    """Source of a reward function whose body is ``body`` (indented lines)."""
    return "def reward_function(params):\n" + body


# -- the bundled examples -------------------------------------------------------------
def test_examples_exist_and_are_named_for_display():
    assert len(EXAMPLES) == 4
    assert {p.name for p in EXAMPLES.values()} == {
        "centre_line.py", "centre_line_smooth_steering.py", "centre_line_speed.py", "speed_aware.py"}
    for path in EXAMPLES.values():
        text = path.read_text(encoding="utf-8")
        assert text.startswith('"""'), f"{path.name} must open with a docstring for learners"


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples_validate_unchanged(track, name):
    path = EXAMPLES[name]
    report = validate_reward_source(path.read_text(encoding="utf-8"), track, filename=path.name)
    assert report.ok, report.error
    assert report.error is None and report.line is None
    assert len(report.samples) >= 50
    rewards = [r for _, r in report.samples]
    assert all(math.isfinite(r) and 0.0 < r <= 1e5 for r in rewards)
    assert len(set(rewards)) > 2, "the samples should reach several reward levels"
    assert "OK" in report.format()


def test_centre_line_bands(track):
    reward = load_example("Follow the centre line")
    assert reward(at(track)) == 1.0
    assert reward(at(track, offset=0.05)) == 1.0   # within 10% of 0.76 m
    assert reward(at(track, offset=-0.12)) == 0.5  # within 25%
    assert reward(at(track, offset=0.3)) == 0.1    # near the edge, still on the road
    assert reward(at(track, offset=-0.6)) == 1e-3  # off the road


def test_smooth_steering_penalises_sharp_steering(track):
    reward = load_example("Centre line, smooth steering")
    assert reward(at(track, steering=10.0)) == 1.0
    assert reward(at(track, steering=20.0)) == pytest.approx(0.8)
    assert reward(at(track, steering=-20.0)) == pytest.approx(0.8)
    assert reward(at(track, offset=0.12, steering=-25.0)) == pytest.approx(0.4)


def test_speed_example_penalises_slow_driving(track):
    reward = load_example("Centre line, keep the speed up")
    assert reward(at(track, speed=3.0)) == 1.0
    assert reward(at(track, speed=2.0)) == 1.0
    assert reward(at(track, speed=1.0)) == pytest.approx(0.5)
    assert reward(at(track, offset=0.12, speed=1.0)) == pytest.approx(0.25)


def test_speed_aware_pays_for_pace_and_fast_laps(track):
    reward = load_example("Speed aware (fast laps)")
    base = at(track, speed=3.0)
    quick = dict(base, progress=50.0, steps=45)
    slow = dict(base, progress=50.0, steps=150)
    assert reward(quick) > reward(slow) > 0
    # Over a whole lap the fast car collects more, although it takes fewer steps.
    fast_lap = sum(reward(dict(base, progress=100.0 * k / 90, steps=k)) for k in range(1, 91))
    slow_lap = sum(reward(dict(base, progress=100.0 * k / 250, steps=k)) for k in range(1, 251))
    assert fast_lap > 2 * slow_lap
    assert reward(dict(base, progress=100.0, steps=90)) > reward(dict(base, progress=100.0, steps=250))
    assert reward(at(track, speed=4.0, offset=-0.6)) == 1e-3
    assert reward(dict(base, progress=100.0, steps=1)) <= 1e5  # capped, still a valid reward


# -- RewardFunction.__call__ ---------------------------------------------------------------
def test_call_returns_float_for_numbers_and_numpy_scalars(track):
    params = at(track)
    for body, expected in [("    return 0.5\n", 0.5), ("    return 2\n", 2.0), ("    return -100000.0\n", -1e5),
                           ("    return 1e5\n", 1e5), ("    import numpy\n    return numpy.float32(0.25)\n", 0.25),
                           ("    import numpy\n    return numpy.int64(3)\n", 3.0)]:
        value = load_reward_function(fn(body))(params)
        assert type(value) is float and value == expected


@pytest.mark.parametrize("body, words", [
    ("    reward = 1.0\n", "returned None"),
    ("    return float('nan')\n", "returned nan"),
    ("    return float('-inf')\n", "returned -inf"),
    ("    return '1.0'\n", "returned the str '1.0'"),
    ("    return 1e9\n", "returned 1e+09"),
    ("    return 100001\n", "returned 100001"),
    ("    return True\n", "returned the bool True"),
    ("    return [1.0]\n", "returned a list"),
    ("    import numpy\n    return numpy.bool_(True)\n", "returned a numpy.bool"),
])
def test_call_rejects_bad_rewards_naming_the_params(track, body, words):
    params = at(track)
    with pytest.raises(RewardError) as info:
        load_reward_function(fn(body))(params)
    message = str(info.value)
    assert words in message
    assert "'x': " in message and "'progress': " in message and "waypoints" not in message
    assert info.value.params is params
    assert info.value.line is None


def test_call_reports_the_line_that_raised(track):
    source = "import math\n\ndef helper(d):\n    return 1 / d\n\ndef reward_function(params):\n    return helper(0)\n"
    params = at(track)
    with pytest.raises(RewardError) as info:
        load_reward_function(source, "my_reward.py")(params)
    error = info.value
    assert error.line == 4
    assert str(error).startswith("my_reward.py, line 4: ZeroDivisionError: division by zero in `return 1 / d`")
    assert error.params is params
    assert isinstance(error.__cause__, ZeroDivisionError)


def test_call_does_not_copy_params_and_module_works_like_a_file(track):
    source = ("import math\nSEEN = []\n"
              "def reward_function(params):\n"
              "    SEEN.append(params)\n"
              "    assert __name__ == 'reward_function'\n"
              "    return math.sqrt(params['speed'])\n")
    reward = load_reward_function(source)
    params = at(track, speed=4.0)
    assert reward(params) == 2.0
    assert reward._fn.__globals__["SEEN"][0] is params
    assert reward.source == source and reward.filename == "reward_function.py"


def test_reward_function_pickles_as_its_source(track):
    reward = load_example("Centre line, smooth steering")
    copy = pickle.loads(pickle.dumps(reward))
    assert copy.source == reward.source and copy.filename == reward.filename
    params = at(track, steering=20.0)
    assert copy(params) == reward(params)


# -- loading errors ------------------------------------------------------------------------
def test_syntax_error_names_the_line_and_text():
    source = "def reward_function(params):\n    if params['speed'] > 1\n        return 1.0\n    return 0.5\n"
    with pytest.raises(RewardFunctionError) as info:
        load_reward_function(source)
    assert info.value.line == 2
    assert str(info.value) == "reward_function.py, line 2: expected ':' (if params['speed'] > 1)"
    assert isinstance(info.value, ValueError)


def test_missing_function_and_wrong_signature():
    with pytest.raises(RewardFunctionError, match=r"defines no function named reward_function\(params\) "
                                                  r"\(it defines reward\)"):
        load_reward_function("def reward(params):\n    return 1.0\n")
    with pytest.raises(RewardFunctionError) as info:
        load_reward_function("x = 1\n\ndef reward_function():\n    return 1.0\n")
    assert info.value.line == 3
    assert "must take one argument, params; it is defined as reward_function()" in str(info.value)
    with pytest.raises(RewardFunctionError, match="must take one argument"):
        load_reward_function("def reward_function(params, track):\n    return 1.0\n")
    with pytest.raises(RewardFunctionError, match="is a float, not a function"):
        load_reward_function("reward_function = 1.0\n")
    # Extra arguments with defaults are fine.
    load_reward_function("def reward_function(params, scale=1.0):\n    return scale\n")


def test_exception_at_load_time_names_its_line():
    with pytest.raises(RewardFunctionError) as info:
        load_reward_function("import math\nLIMIT = math.sqrt(-1)\n\ndef reward_function(params):\n    return 1.0\n")
    assert info.value.line == 2
    assert str(info.value) == ("reward_function.py, line 2: ValueError: math domain error in "
                               "`LIMIT = math.sqrt(-1)` while loading the file")


# -- validation of broken functions ------------------------------------------------------------
def test_validation_reports_syntax_error_with_line(track):
    report = validate_reward_source("def reward_function(params):\n    return (1.0\n", track)
    assert not report.ok
    assert report.line == 2
    assert report.error.startswith("reward_function.py, line 2: ")
    assert "FAILED" in report.format() and report.error in report.format()


def test_validation_reports_exception_line_and_params(track):
    source = fn("    speed = params['speed']\n    if params['progress'] > 50:\n        return speed / 0\n"
                "    return 1.0\n")
    report = validate_reward_source(source, track)
    assert not report.ok
    assert report.line == 4
    assert "line 4: ZeroDivisionError" in report.error
    assert "for params {'x': " in report.error and "'progress': " in report.error
    assert report.samples, "samples before the failing one are kept"
    assert all(s["progress"] <= 50 for s, _ in report.samples)


def test_validation_kills_an_endless_loop(track):
    started = time.perf_counter()
    report = validate_reward_source(fn("    while True:\n        pass\n"), track, time_limit_s=0.5)
    elapsed = time.perf_counter() - started
    assert not report.ok
    assert report.error.startswith("reward_function did not return within 0.5 s for params {'x': ")
    assert elapsed < 10.0  # loose: process start plus the limit, far from hanging


def test_validation_kills_an_endless_loop_while_loading(track):
    report = validate_reward_source("while True:\n    pass\n" + fn("    return 1.0\n"), track, load_time_limit_s=0.5)
    assert not report.ok
    assert "did not finish loading within 0.5 s" in report.error


@pytest.mark.parametrize("body, words", [
    ("    reward = 1.0\n", "returned None"),
    ("    return float('nan')\n", "returned nan"),
    ("    return float('inf')\n", "returned inf"),
    ("    return '1.0'\n", "returned the str '1.0'"),
    ("    return 1e9\n", "returned 1e+09"),
    ("    return True\n", "returned the bool True"),
])
def test_validation_rejects_bad_results(track, body, words):
    report = validate_reward_source(fn(body), track)
    assert not report.ok
    assert words in report.error
    assert "for params {'x': " in report.error and "waypoints" not in report.error


def test_validation_rejects_a_result_that_only_some_params_produce(track):
    source = fn("    if not params['all_wheels_on_track']:\n        return None\n    return 1.0\n")
    report = validate_reward_source(source, track)
    assert not report.ok
    assert "returned None" in report.error and "'all_wheels_on_track': False" in report.error


def test_validation_keeps_only_the_start_of_printed_output(track, capfd):
    source = fn("    print('reward ' + 'x' * 1_000_000)\n    return 1.0\n")
    report = validate_reward_source(source, track)
    assert report.ok, report.error
    assert report.output.startswith("reward xxx")
    assert len(report.output) < 2200
    assert "more bytes of output not shown" in report.output
    assert report.output_bytes > 1_000_000
    out, err = capfd.readouterr()
    assert len(out) + len(err) < 10_000, "the function's prints must not reach our terminal"


def test_validation_captures_prints_and_stderr(track):
    source = "import sys\nprint('loading')\n" + fn("    print('called', file=sys.stderr)\n    return 1.0\n")
    report = validate_reward_source(source, track, samples=[at(track), at(track, offset=0.1)])
    assert report.ok
    assert report.output == "loading\ncalled\ncalled\n"
    assert [r for _, r in report.samples] == [1.0, 1.0]
    assert set(report.samples[0][0]) >= {"x", "y", "heading", "progress", "speed", "steering_angle",
                                         "distance_from_center", "all_wheels_on_track"}


@pytest.mark.parametrize("source, words", [
    ("def reward(params):\n    return 1.0\n", "defines no function named reward_function(params)"),
    ("def reward_function():\n    return 1.0\n", "must take one argument"),
    ("import os\n" + fn("    os._exit(3)\n"), "ended its process (exit code 3)"),
    (fn("    return int(input())\n"), "EOFError"),
])
def test_validation_other_failures(track, source, words):
    report = validate_reward_source(source, track)
    assert not report.ok
    assert words in report.error


# -- samples -------------------------------------------------------------------------------------
def test_sample_params_cover_the_situations_a_function_meets(track):
    samples = sample_params(track)
    assert len(samples) >= 60
    assert any(p["all_wheels_on_track"] for p in samples)
    assert any(not p["all_wheels_on_track"] and not p["is_offtrack"] for p in samples)
    assert any(p["is_offtrack"] for p in samples)
    assert any(p["is_left_of_center"] for p in samples) and not all(p["is_left_of_center"] for p in samples)
    assert any(p["is_reversed"] for p in samples)
    assert min(p["speed"] for p in samples) == 0.5 and max(p["speed"] for p in samples) == 4.0
    assert min(p["steering_angle"] for p in samples) == -30.0 and max(p["steering_angle"] for p in samples) == 30.0
    progress = [p["progress"] for p in samples]
    assert min(progress) == 0.0 and max(progress) == 100.0 and any(20 < g < 80 for g in progress)
    assert all(p["steps"] >= 1 and type(p["steps"]) is float for p in samples)
    headings = [p["heading"] for p in samples]
    assert all(-180.0 < h <= 180.0 for h in headings) and max(headings) - min(headings) > 300


def test_params_summary_is_compact(track):
    summary = params_summary(at(track, offset=0.1234567))
    assert "waypoints" not in summary
    assert summary["distance_from_center"] == pytest.approx(0.123, abs=1e-9)


def test_examples_validate_on_a_bundled_track():
    library = pytest.importorskip("sim.library")
    try:
        track = library.load_track("practice_oval")
    except ValueError as exc:  # the bundled tracks are optional for this module
        pytest.skip(f"no bundled practice_oval: {exc}")
    for name, path in EXAMPLES.items():
        report = validate_reward_source(path.read_text(encoding="utf-8"), track, filename=path.name)
        assert report.ok, f"{name}: {report.error}"


def test_reward_and_its_checker_import_no_private_names_and_no_cycle():
    import ast
    import inspect

    import sim.reward
    import sim.reward_check

    tree = ast.parse(inspect.getsource(sim.reward))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.endswith("reward_check") for m in imported)  # the checker imports the loader, not back
    assert not hasattr(sim.reward, "__getattr__")
    checker = ast.parse(inspect.getsource(sim.reward_check))
    names = [a.name for n in ast.walk(checker) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert not [n for n in names if n.startswith("_")]

"""Users' reward functions run in a worker process with limits: a hung, sleeping, exiting,
memory-hungry or chatty reward cannot hang the trainer, outlive its time limit, fake success or
exhaust the machine. Real worker processes and real `trackside train` processes."""

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.library import load_track
from sim.params import ParamsBuilder, params_at
from sim.reward import RewardError
from sim.reward_sandbox import RewardSandbox, SandboxLimits
from trainer.hyperparameters import Hyperparameters, TrainingConfig
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore

ROOT = Path(__file__).resolve().parents[2]
GOOD = "def reward_function(params):\n    return 1.0\n"


def _reward(body: str) -> str:
    return "import os, time\n\ndef reward_function(params):\n" + "".join(f"    {line}\n" for line in body.splitlines())


@pytest.fixture(scope="module")
def track():
    return load_track("workshop_loop")


def _params(track):
    return params_at(track, *track.center[3], 0.0)


def test_a_looping_reward_is_stopped_within_the_per_call_limit(track):
    box = RewardSandbox(_reward("while True:\n    pass"), limits=SandboxLimits(time_per_call_s=0.5))
    started = time.monotonic()
    with pytest.raises(RewardError, match=r"did not return within 0.5 s .*endless loop") as err:
        box.call(_params(track))
    assert time.monotonic() - started < 10
    assert "\n" not in str(err.value) and err.value.params["steps"] == 1
    box.close()


def test_a_reward_that_ends_its_process_says_so(track):
    with RewardSandbox(_reward("os._exit(0)")) as box:
        with pytest.raises(RewardError, match="the reward function ended its process"):
            box.call(_params(track))


def test_a_10_gb_allocation_is_stopped_by_the_memory_limit(track):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with RewardSandbox(_reward("x = bytearray(10 * 1024 ** 3)\nreturn 1.0"), limits=SandboxLimits(memory_mb=1024)) as box:
        with pytest.raises(RewardError, match=r"ran out of memory \(the limit is 1024 MB\)"):
            box.call(_params(track))
    # The worker never got near the 10 GB (ru_maxrss is KiB; the peak of all children so far, so an
    # earlier child of this test process, a training or a Ray worker, may already hold the peak).
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss <= max(before, 1_500_000)


def test_output_is_capped(track, tmp_path):
    log = tmp_path / "reward_output.log"
    box = RewardSandbox(_reward("print('x' * 100000)\nreturn 1.0"), output_path=log,
                        limits=SandboxLimits(output_bytes=4096))
    for _ in range(20):
        assert box.call(_params(track)) == 1.0
    box.close()
    assert box.output.total > 2_000_000
    assert log.stat().st_size < 4096 + 200 and "more bytes of output dropped" in log.read_text()


def test_one_round_trip_gives_every_car_its_own_instance_and_waypoints(track):
    src = "n = 0\ndef reward_function(params):\n    global n\n    n += 1\n" \
          "    params['waypoints'].clear()\n    return float(n)\n"
    builder = ParamsBuilder(track)
    p = _params(track)
    from sim.params import COLUMNS
    cols = tuple([p.get(k, 0)] * 3 for k in COLUMNS)
    with RewardSandbox(src, instances=3, waypoints=builder.waypoints, track_length=track.length) as box:
        assert box.step(cols) == [1.0, 1.0, 1.0]
        assert box.rewards_for_columns(cols) == [2.0, 2.0, 2.0]


def test_a_stop_request_ends_a_running_reward_at_once(track):
    stop_at = time.monotonic() + 1.0
    with RewardSandbox(_reward("time.sleep(100)\nreturn 1.0"), should_stop=lambda: time.monotonic() > stop_at,
                       limits=SandboxLimits(time_per_call_s=200)) as box:
        from sim.params import COLUMNS
        cols = tuple([_params(track).get(k, 0)] for k in COLUMNS)
        assert box.step(cols) == [0.0]
        assert box.stopped and time.monotonic() - stop_at < 10


# -- through `trackside train` ----------------------------------------------------------------------
def _model(name, reward=GOOD, cars=2):
    return ModelStore().create(name, ModelMetadata(), Hyperparameters(num_episodes_between_training=4, num_epochs=1),
                               reward,
                               TrainingConfig(track="workshop_loop", n_cars=cars))


def _train(name, *args, home, extra_env=None, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TRACKSIDE_HOME=str(home), **(extra_env or {}))
    return subprocess.Popen([sys.executable, "-m", "gui.cli", "train", name, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _finish(proc, timeout=240):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_a_looping_reward_fails_the_model_and_keeps_its_checkpoints(trackside_home):
    m = _model("looper")
    assert _finish(_train("looper", "--iterations", "1", home=trackside_home))[0] == 0
    assert len(m.list_checkpoints()) == 1
    # The reward starts looping on a later run (the function loads fine: only calls hang).
    m.write_reward_source(_reward("while True:\n    pass"))
    rc, out, err = _finish(_train("looper", "--iterations", "1", home=trackside_home,
                                  extra_env={"TRACKSIDE_REWARD_SECONDS": "0.5"}))
    assert rc == 1 and "did not return within 0.5 s" in out and "Traceback" not in out + err
    assert m.status().status == "failed" and len(m.list_checkpoints()) == 1


def test_os_exit_in_a_reward_fails_the_training(trackside_home):
    m = _model("quitter", _reward("os._exit(0)"))
    rc, out, err = _finish(_train("quitter", "--iterations", "1", home=trackside_home))
    assert rc != 0 and "the reward function ended its process" in out
    assert m.status().status == "failed" and "ended its process" in m.status().reason


def test_ctrl_c_stops_training_while_a_reward_loops(trackside_home, tmp_path):
    flag = tmp_path / "looping"
    _model("stuck", _reward(f"open({str(flag)!r}, 'w').close()\nwhile True:\n    pass"))
    proc = _train("stuck", home=trackside_home, extra_env={"TRACKSIDE_REWARD_SECONDS": "600"})
    deadline = time.monotonic() + 120
    while not flag.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert flag.exists(), proc.communicate()
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    rc, out, err = _finish(proc, timeout=120)
    assert rc == 0 and "stopped (interrupted)" in out, (out, err)
    assert ModelStore().get("stuck").status().status == "ready"


def test_a_slow_reward_does_not_outlive_the_time_limit(trackside_home):
    _model("sleepy", _reward("time.sleep(0.5)\nreturn 1.0"), cars=4)  # 2 s a step: an iteration takes hours
    started = time.monotonic()
    rc, out, err = _finish(_train("sleepy", "--minutes", "0.1", home=trackside_home), timeout=300)
    took = time.monotonic() - started
    assert rc == 0 and "time limit of 0.1 min reached" in out, (out, err)
    assert took < 6 + 60, took  # the limit (6 s) plus start-up, the final update and evaluation


def test_the_validator_has_the_same_limits(track):
    from sim.reward_check import validate_reward_source

    report = validate_reward_source(_reward("x = bytearray(10 * 1024 ** 3)\nreturn 1.0"), track)
    assert not report.ok and "ran out of memory (the limit is 2048 MB)" in report.error
    report = validate_reward_source(_reward("os._exit(0)"), track)
    assert not report.ok and "ended its process" in report.error


def test_a_chatty_reward_cannot_flood_the_trainers_output(capfd):
    from trainer.training import train_model

    m = _model("chatty", _reward("print('params ' + 'x' * 2000)\nreturn 1.0"))
    result = train_model(m, max_iterations=1, install_signals=False)
    assert result.status == "ready"
    out, err = capfd.readouterr()
    assert len(out) + len(err) < 10_000  # the trainer's own stdout/stderr (process.log under the app)
    log = m.path / "logs" / "reward_output.log"
    assert 65536 <= log.stat().st_size < 65536 + 200 and "more bytes of output dropped" in log.read_text()

"""Desktop-app benchmarks: what watching a training costs it, and how smoothly the monitor draws.

- ``gui.train_steps_ratio``: training env steps per second (the rollout throughput the trainer
  logs in ``metrics/iterations.jsonl``) with the Training page following the run, divided by
  the same training run headless; target at least 0.9. Runs alternate (headless, monitored,
  headless, monitored, ...) from fresh models with the same seed, each ``BENCH_GUI_SECONDS``;
  each pair compares the iterations both completed (the same episodes, as the seed is the
  same), and the median of ``BENCH_GUI_PAIRS`` pairs is reported.
- ``gui.monitor_fps``: the monitor's redraws per second while training (timer ticks that changed
  what is on screen), from the first telemetry frame to the end of the run; target at least 20.
  ``app_cpu_cores`` says how much CPU the app itself used meanwhile (1.0 = one core busy): on a
  machine with a core to spare the ratio above is about 1; on a loaded one the app's share is
  what the training can lose.

Both trainings run as the app runs them: ``python -m gui.cli train NAME`` in its own process.
Run: ``QT_QPA_PLATFORM=offscreen python tests/bench/bench_gui.py``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import report, wanted  # noqa: E402

from gui.cli import TRAIN_COMMAND

SECONDS = float(os.environ.get("BENCH_GUI_SECONDS", 20))
PAIRS = int(os.environ.get("BENCH_GUI_PAIRS", 3))
TRACK = "workshop_loop"
CARS = 16


def fresh_model(name: str):
    from sim.actions import ActionSpace
    from sim.paths import assets_dir
    from trainer.hyperparameters import Hyperparameters
    from trainer.metadata import ModelMetadata
    from trainer.model_store import ModelStore, TrainingConfig

    meta = ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"])
    reward = (assets_dir() / "reward_functions" / "centre_line.py").read_text()
    return ModelStore().create(name, meta, Hyperparameters(), reward,
                               TrainingConfig(track=TRACK, n_cars=CARS, max_minutes=None))


def iteration_rates(model) -> list[tuple[int, float]]:
    """``(env steps, rollout seconds)`` of each complete iteration (the last one, cut by the stop, is left out)."""
    rows = [json.loads(line) for line in model.iterations_path.read_text().splitlines() if line.strip()] \
        if model.iterations_path.exists() else []
    return [(r["samples"], r["samples"] / r["env_steps_per_s"]) for r in rows[:-1]
            if r.get("env_steps_per_s") and r.get("samples")]


def steps_per_s(rates: list[tuple[int, float]]) -> float:
    seconds = sum(t for _, t in rates)
    return sum(n for n, _ in rates) / seconds if seconds else float("nan")


def run_headless(name: str) -> float:
    from trainer import training_process as tp

    model = fresh_model(name)
    proc = tp.start_training(model, TRAIN_COMMAND)
    _wait_training(model)
    time.sleep(SECONDS)
    tp.stop_training(model)
    proc.wait(120)
    return iteration_rates(model)


def run_monitored(app, name: str) -> tuple[list, float, float]:
    """The run's iteration rates, the monitor's redraws per second and the app's CPU share (cores)."""
    from PySide6.QtCore import QEventLoop, QTimer

    from gui.context import AppContext
    from gui.pages.training import TrainingPage
    from trainer import training_process as tp

    model = fresh_model(name)
    page = TrainingPage(AppContext())
    page.resize(1180, 860)
    page.show()
    page.select_model(name)
    page.start()
    loop = QEventLoop()
    started = {}

    def first_frame():
        if "t" not in started and page.feed.follower.frames_received:
            started.update(t=time.monotonic(), redraws=page.redraws, cpu=time.process_time())
        if "t" in started and time.monotonic() - started["t"] >= SECONDS:
            loop.quit()

    poll = QTimer()
    poll.timeout.connect(first_frame)
    poll.start(20)
    QTimer.singleShot(int((SECONDS + 120) * 1000), loop.quit)  # never hang
    loop.exec()
    poll.stop()
    wall = max(time.monotonic() - started.get("t", time.monotonic()), 1e-9)
    fps = (page.redraws - started.get("redraws", 0)) / wall
    cpu_share = (time.process_time() - started.get("cpu", time.process_time())) / wall
    tp.stop_training(model)
    proc = tp._children.get(str(model.path))
    while proc is not None and proc.poll() is None:
        app.processEvents()
        time.sleep(0.02)
    page.shutdown()
    page.close()
    return iteration_rates(model), fps, cpu_share


def _wait_training(model, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if model.status().status == "training":
            return
        time.sleep(0.05)
    raise RuntimeError(f"{model.name} did not start training")


def main() -> None:
    if not (wanted("gui.train_steps_ratio") or wanted("gui.monitor_fps")):
        return
    os.environ["TRACKSIDE_HOME"] = tempfile.mkdtemp(prefix="trackside-bench-gui-")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    headless, monitored, ratios, fps, cpu = [], [], [], [], []
    for i in range(PAIRS):
        plain = run_headless(f"headless-{i}")
        watched, f, c = run_monitored(app, f"monitored-{i}")
        cpu.append(c)
        # Same seed, so iteration k drives the same episodes in both runs: compare like with like.
        k = min(len(plain), len(watched))
        headless.append(steps_per_s(plain[:k]))
        monitored.append(steps_per_s(watched[:k]))
        ratios.append(monitored[-1] / headless[-1])
        fps.append(f)
    # The median pair: a burst of other load on the machine spoils one pair, not the result.
    ratio = sorted(ratios)[len(ratios) // 2]
    extra = {"pair_ratios": [round(v, 3) for v in ratios], "headless_steps_per_s": [round(v) for v in headless],
             "monitored_steps_per_s": [round(v) for v in monitored], "seconds": SECONDS, "track": TRACK,
             "cars": CARS, "cpus": os.cpu_count()}
    if wanted("gui.train_steps_ratio"):
        report("gui.train_steps_ratio", ratio, "ratio", target=0.9, **extra)
    if wanted("gui.monitor_fps"):
        report("gui.monitor_fps", sum(fps) / len(fps), "fps", target=20, runs=[round(v, 1) for v in fps],
               app_cpu_cores=[round(v, 3) for v in cpu], seconds=SECONDS)


if __name__ == "__main__":
    main()

"""Logs are rotated and capped: a reward that prints megabytes cannot fill the disk through
``logs/process.log`` or ``logs/training.log``, and the newest lines are always in the file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from gui.cli import TRAIN_COMMAND
from sim.actions import ActionSpace
from trainer import training_process
from trainer.hyperparameters import Hyperparameters
from trainer.log_cap import MAX_LINE_BYTES, MAX_LOG_BYTES, old_path
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig

ROOT = Path(__file__).resolve().parents[2]


def _model(name="m"):
    meta = ModelMetadata(ActionSpace.from_console(2.0, 2, 20.0, 3), sensor=["SECTOR_LIDAR"])
    return ModelStore().create(name, meta, Hyperparameters(), "def reward_function(params):\n    return 1.0\n",
                               TrainingConfig(track="workshop_loop", n_cars=2))


def _sizes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, old_path(path)) if p.exists())


def test_the_capped_writer_keeps_a_flood_under_twice_the_cap(tmp_path):
    # A program printing 40 MB as fast as it can (a print(params) in a reward writes ~8 MB/s).
    log = tmp_path / "logs" / "process.log"
    flood = ("import sys\nline = 'x' * 1000 + '\\n'\nfor i in range(40_000):\n    sys.stdout.write(line)\n"
             "print('the last line')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writer = subprocess.Popen([sys.executable, "-m", "trainer.log_cap", str(log)], stdin=subprocess.PIPE, env=env)
    subprocess.run([sys.executable, "-c", flood], stdout=writer.stdin, check=True, timeout=120)
    writer.stdin.close()
    assert writer.wait(60) == 0
    assert _sizes(log) <= 2 * MAX_LOG_BYTES  # 40 MB before
    assert log.read_text().rstrip().endswith("the last line")
    assert old_path(log).stat().st_size > MAX_LOG_BYTES // 2


def test_training_log_rotates_and_cuts_a_huge_message():
    m = _model()
    m.log("x" * (10 * MAX_LINE_BYTES))
    assert m.log_path.stat().st_size < 2 * MAX_LINE_BYTES and "more bytes cut" in m.log_path.read_text()
    for _ in range(2 * MAX_LOG_BYTES // MAX_LINE_BYTES + 5):
        m.log("y" * MAX_LINE_BYTES)
    m.log("newest")
    assert _sizes(m.log_path) <= 2 * MAX_LOG_BYTES
    assert m.log_path.read_text().rstrip().endswith("newest")


def test_a_process_started_from_the_app_writes_its_output_through_the_cap():
    m = _model()
    m.config_path.write_text('{"track": "no_such_track"}')  # the trainer starts, says why, and ends
    proc = training_process.start_training(m, TRAIN_COMMAND, minutes=0.1)
    assert proc.wait(120) != 0
    deadline = time.monotonic() + 60
    why = None
    while why is None and time.monotonic() < deadline:
        why = training_process.start_failure(m)
        time.sleep(0.1)
    assert why and "no_such_track" in why
    assert training_process.wait_for_children(60)
    text = m.process_log_path.read_text()
    assert text.startswith("--- ") and "no_such_track" in text
    # The writer, not the trainer, holds the file: the trainer's stdout is a pipe.
    assert _sizes(m.process_log_path) < MAX_LOG_BYTES

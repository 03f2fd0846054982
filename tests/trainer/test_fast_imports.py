"""Commands that only read or write model folders never import torch (it takes seconds)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_model_store_and_the_policy_front_door_do_not_import_torch(tmp_path):
    code = """
import sys
import trainer.model_store, trainer.model_folder, trainer.checkpoints, trainer.model_state, trainer.archive
import trainer.training_process, trainer.policy, trainer.driving, trainer.cli
from trainer.model_store import ModelStore
store = ModelStore()
store.list()
from trainer.policy import resolve_checkpoint, parse_checkpoint
assert parse_checkpoint("3") == 3
assert 'torch' not in sys.modules, 'torch was imported'
"""
    env = {"PYTHONPATH": str(REPO), "TRACKSIDE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

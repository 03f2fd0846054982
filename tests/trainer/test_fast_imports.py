"""Commands that only read or write model folders and the league never import torch (it takes seconds)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_isolated(code: str, home: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO), "TRACKSIDE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)


def test_the_model_store_and_the_policy_front_door_do_not_import_torch(tmp_path):
    code = """
import sys
import trainer.model_store, trainer.model_folder, trainer.checkpoints, trainer.model_state, trainer.archive
import trainer.training_process, trainer.policy, trainer.driving
from trainer.model_store import ModelStore
store = ModelStore()
store.list()
from trainer.policy import resolve_checkpoint, parse_checkpoint
assert parse_checkpoint("3") == 3
assert 'torch' not in sys.modules, 'torch was imported'
"""
    result = run_isolated(code, tmp_path)
    assert result.returncode == 0, result.stderr


def test_quick_commands_run_without_torch(tmp_path):
    """`model list`, `model show`, `tracks list` and the league's read commands, run as the CLI runs them."""
    code = """
import sys
from gui.cli import main
for args in (["model", "list"], ["model", "show", "standard"], ["tracks", "list"], ["league", "racer", "list"],
             ["league", "race", "create", "cup", "--track", "workshop_loop_cup"], ["league", "standings", "cup"],
             ["raceday", "event", "list"]):
    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
    assert 'torch' not in sys.modules, f'{args} imported torch'
"""
    result = run_isolated(code, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


def test_league_commands_do_not_load_pandas_through_sqlite_utils(tmp_path):
    """sqlite-utils would import pandas (0.3 s) when it is installed; league commands never need it."""
    code = """
import sys
from gui.cli import main
for args in (["league", "race", "create", "cup", "--track", "workshop_loop_cup"], ["league", "standings", "cup"]):
    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
assert 'sqlite_utils' in sys.modules and 'pandas' not in sys.modules
import pandas  # still importable afterwards
"""
    result = run_isolated(code, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout

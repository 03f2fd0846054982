"""Sweeps: variants of one model trained and evaluated as Ray tasks on a real local Ray (2 CPUs),
ranked, with a failing variant that stops nothing else.

The Ray test trains each variant for 1 minute (``--minutes 1``) on a local Ray with 2 CPUs. The
broken variant comes first, so it fails within seconds and the two others then train side by
side: about 75 s in all, where a broken variant last would wait a minute for a free CPU.
"""

import json
import sys

import pytest
from click.testing import CliRunner

from gui.cli import main
from league.sweep import RAY_MISSING, SweepSpec, check_spec, load_sweep, rank, require_ray, start_ray
from league.sweep_variants import RewardChoice, SweepError, Variant, create_variant, parse_hp_axis, plan_variants
from sim.actions import ActionSpace
from sim.paths import assets_dir
from trainer.hyperparameters import Hyperparameters
from trainer.metadata import ModelMetadata
from trainer.model_store import ModelStore, TrainingConfig

REWARDS = assets_dir() / "reward_functions"
BROKEN = ("def reward_function(params):\n"
          "    if params['steps'] > 3:\n"
          "        raise ValueError('deliberately broken')\n"
          "    return 1.0\n")


def make_base(name="base"):
    return ModelStore().create(
        name, ModelMetadata(action_space=ActionSpace.from_console(3.0, 3, 30.0, 5), sensor=["LIDAR"]),
        Hyperparameters(num_episodes_between_training=8), (REWARDS / "centre_line.py").read_text(),
        TrainingConfig(track="practice_oval", n_cars=8))


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_sweep_on_local_ray_ranks_variants_and_reports_the_broken_one(local_ray, tmp_path, trackside_home):
    make_base()
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN)
    args = ["sweep", "base", "--reward", str(broken), "--reward", str(REWARDS / "centre_line.py"),
            "--reward", str(REWARDS / "speed_aware.py"), "--minutes", "1", "--eval-track", "practice_oval_cup",
            "--eval-laps", "2", "--name", "s1", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    rows = out["variants"]
    assert [r["name"] for r in rows if r["status"] == "failed"] == ["base-sweep-1"]
    failed = rows[-1]
    assert failed["rank"] is None and "deliberately broken" in failed["reason"]
    done = rows[:2]
    assert [r["rank"] for r in done] == [1, 2]
    assert {r["variant"]["reward"] for r in done} == {"centre_line.py", "speed_aware.py"}
    a, b = (r["evaluation"] for r in done)
    assert (a["laps_completed"], -(a["best_lap_s"] or 1e9)) >= (b["laps_completed"], -(b["best_lap_s"] or 1e9))
    store = ModelStore()
    for row in done:  # each an ordinary model: cloned from the base, trained, its curve from its own metrics
        model = store.get(row["name"])
        assert model.status().status.value == "ready"
        assert model.training_config().cloned_from["model"] == "base"
        assert [c["mean_progress"] for c in row["curve"]] == [r["mean_progress"] for r in model.read_iterations()]
        assert len(row["curve"]) >= 2 and model.read_iterations()[-1]["elapsed_s"] >= 60  # a minute's training
        assert row["evaluation"]["laps"] == 2 and model.evaluation_simtraces()
    assert store.get("base-sweep-1").status().status.value == "failed"
    assert load_sweep("s1") == out and out["status"] == "finished"
    assert (trackside_home / "sweeps" / "s1.json").is_file()


def test_rank_orders_by_completed_laps_then_best_then_mean_lap():
    def row(name, laps, best, mean, status="done"):
        return {"name": name, "status": status, "evaluation": {"laps_completed": laps, "best_lap_s": best,
                                                               "mean_lap_s": mean, "progress": 50.0}}
    rows = rank([row("slow", 3, 12.0, 13.0), row("broken", 0, None, None, "failed"), row("fewer", 2, 9.0, 9.5),
                 row("fast", 3, 11.0, 14.0), row("steady", 3, 11.0, 12.5)])
    assert [r["name"] for r in rows] == ["steady", "fast", "slow", "fewer", "broken"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, None]


def test_variants_are_every_combination_named_after_the_base():
    rewards = [RewardChoice("a.py", ""), RewardChoice("b.py", "")]
    variants = plan_variants("m", rewards, {"lr": [0.0003, 0.001]}, [2.0], [], taken=["M-sweep-2"])
    assert [v.name for v in variants] == ["m-sweep-1", "m-sweep-3", "m-sweep-4", "m-sweep-5"]
    assert [v.label() for v in variants] == ["a.py, lr=0.0003, 2 m/s", "a.py, lr=0.001, 2 m/s",
                                             "b.py, lr=0.0003, 2 m/s", "b.py, lr=0.001, 2 m/s"]
    with pytest.raises(SweepError, match="2 names given for 4 variants"):
        plan_variants("m", rewards, {"lr": [0.0003, 0.001]}, [], [], ["x", "y"])
    assert parse_hp_axis("batch_size=32,64") == ("batch_size", [32, 64])
    for bad, why in [("lr", "NAME=V1,V2"), ("learning=0.1", "no hyperparameter named"), ("lr=fast", "not a number"),
                     ("lr=-1", "lr")]:
        with pytest.raises(SweepError, match=why):
            parse_hp_axis(bad)


def test_a_speed_variant_keeps_the_actions_with_speeds_scaled_and_a_hp_variant_its_value():
    make_base()
    store = ModelStore()
    fast = create_variant(store, "base", Variant("fast", hyperparameters={"lr": 0.001}, max_speed=4.0), [])
    space = fast.metadata().action_space
    base_space = store.get("base").metadata().action_space
    assert space.n == base_space.n and space.max_speed == pytest.approx(4.0)
    assert [s for s, _ in space.actions] == [s for s, _ in base_space.actions]
    assert fast.hyperparameters().lr == 0.001 and fast.training_config().cloned_from["model"] == "base"
    oa = create_variant(store, "base", Variant("oa", race_type="object_avoidance"), [])
    assert oa.training_config().race_type == "object_avoidance"


def test_a_sweep_is_refused_on_its_training_track_and_a_bad_reward_fails_only_its_variant():
    make_base()
    with pytest.raises(SweepError, match="not train on"):
        check_spec(SweepSpec("s", "base", "practice_oval"), ModelStore())
    with pytest.raises(Exception, match="no model named"):
        check_spec(SweepSpec("s", "nobody", "practice_oval_cup"), ModelStore())
    with pytest.raises(Exception, match="bad.py, line 1"):
        create_variant(ModelStore(), "base", Variant("v", reward="bad.py"), [RewardChoice("bad.py", "x = (")])
    assert not ModelStore().exists("v")


def test_without_ray_a_sweep_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    with pytest.raises(SweepError, match=r"pip install -e '\.\[cluster\]'"):
        require_ray()
    make_base()
    result = CliRunner().invoke(main, ["sweep", "base", "--eval-track", "practice_oval_cup"])
    assert result.exit_code == 1 and result.stderr.strip() == f"error: {RAY_MISSING}"
    assert "base-sweep-1" not in ModelStore().names()  # refused before any variant was created


def test_a_ray_client_address_without_the_client_says_what_to_install():
    ray = pytest.importorskip("ray")
    try:
        import grpc  # noqa: F401
        pytest.skip("Ray's client is installed here")
    except ImportError:
        pass
    with pytest.raises(SweepError, match=r"pip install 'ray\[client\]'.*--address auto"):
        start_ray(ray, "ray://127.0.0.1:1", None)

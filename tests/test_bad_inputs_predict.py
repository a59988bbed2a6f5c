"""Bad input to the prediction verbs (predict, calibrate, advise, advise-prior) and to config files /
``--set`` overrides: a clear error naming the option or file (exit 1, or argparse's exit 2 for a bad
option value), no traceback, nothing half-written, and no model loaded when the check can come first."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest

from mixbuddy.cli import main
from mixbuddy.config import from_dict, load_yaml
from mixbuddy.errors import ConfigError, MixbuddyError

REPO = Path(__file__).resolve().parents[1]
LITHIUM = REPO / "examples" / "lithium"
NO_ERROR = "The balance sounds right; nothing needs to change."


class FakeModel:
    """The attributes and ``generate()`` of a MixbuddyModel; ``fail`` makes generate raise."""

    def __init__(self, fail: bool = False):
        self.sample_rate = 8000
        self.cfg = SimpleNamespace(input_mode="mix", clip_seconds=10.0)
        self.fail = fail

    def generate(self, waves, instructions, anchors, system=None, max_new_tokens=None, stems=None):
        if self.fail:
            raise MixbuddyError("the model broke")
        return [SimpleNamespace(text=NO_ERROR, p_error=0.1) for _ in waves]


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> Path:
    from corpus_fixtures import build_recipes

    return build_recipes(tmp_path_factory.mktemp("badpred"), n_train=1, n_test=1, seconds=12.0, sr=8000, channels=1)


@pytest.fixture
def checkpoint_calls(monkeypatch) -> list:
    """Replaces mixbuddy.model.checkpoint: records every load (a real one would take seconds)."""
    calls: list = []

    def load_checkpoint(path, device=None, merge_lora=False):
        calls.append(path)
        return FakeModel()

    fake = types.ModuleType("mixbuddy.model.checkpoint")
    fake.load_checkpoint = load_checkpoint
    fake.checkpoint_id = lambda name: f"{name}@0123"
    monkeypatch.setitem(sys.modules, "mixbuddy.model.checkpoint", fake)
    return calls


def parser_error(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


def failing(argv: list[str], capsys) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("mixbuddy: error: ")
    return err


# ---- predict ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt, value, msg", [
    ("--batch-size", "-4", "must be >= 1, got -4"), ("--batch-size", "0", "must be >= 1, got 0"),
    ("--batch-size", "two", "expected a whole number"),
    ("--limit", "0", "must be >= 1, got 0"), ("--limit", "-1", "must be >= 1, got -1"),
])
def test_predict_option_values(ds, tmp_path, capsys, checkpoint_calls, opt, value, msg):
    out = tmp_path / "p.jsonl"
    err = parser_error(["predict", "--checkpoint", "ck", "--dataset", str(ds / "test.jsonl"), "-o", str(out),
                        opt, value], capsys)
    assert opt in err and msg in err
    assert list(tmp_path.iterdir()) == [] and checkpoint_calls == []


def test_predict_checks_output_dataset_and_cache_before_the_model(ds, tmp_path, capsys, checkpoint_calls):
    args = ["predict", "--checkpoint", "ck", "--no-progress"]
    test = str(ds / "test.jsonl")
    (tmp_path / "folder").mkdir()
    assert "folder: is a folder; give a file name" in failing([*args, "--dataset", test, "-o", str(tmp_path / "folder")], capsys)
    (tmp_path / "afile").write_text("x\n")
    err = failing([*args, "--dataset", test, "-o", str(tmp_path / "afile" / "p.jsonl")], capsys)
    assert "afile is a file, not a folder" in err
    (tmp_path / "side.jsonl.json").mkdir()             # the info file beside the output
    assert "side.jsonl.json: is a folder" in failing([*args, "--dataset", test, "-o", str(tmp_path / "side.jsonl")], capsys)
    err = failing([*args, "--dataset", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "p.jsonl")], capsys)
    assert "missing.jsonl: dataset file not found" in err
    err = failing([*args, "--dataset", test, "-o", str(tmp_path / "p.jsonl"), "--cache-dir", str(tmp_path / "afile")], capsys)
    assert f"--cache-dir {tmp_path / 'afile'}: is a file, not a folder" in err
    err = failing([*args, "--dataset", test, "-o", str(tmp_path / "p.jsonl"), "--cache-dir",
                   str(tmp_path / "afile" / "cache")], capsys)
    assert "--cache-dir" in err and "afile is a file" in err
    assert checkpoint_calls == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder", "side.jsonl.json"]


@pytest.mark.parametrize("content, why", [
    ("x\n", "line 1: 'x' is not JSON"),
    ("x", "line 1: 'x' is not JSON"),                                  # no newline: not cut off as a torn line
    ("[1, 2]\n", "line 1: a JSON list, not an object with id and text"),
    ('{"text": "fine"}\n', "line 1: no 'id' key"),
    ('{"id": 3, "text": "fine"}\n', "line 1: the id 3 is not a string"),
    ("\n\ngarbage\n", "line 3: 'garbage' is not JSON"),
    (b"\xff\xfe\n", "line 1: not UTF-8 text"),
])
def test_predict_refuses_to_resume_a_file_that_is_not_predictions(ds, tmp_path, capsys, checkpoint_calls, content, why):
    out = tmp_path / "notes.txt"
    out.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = out.read_bytes()
    err = failing(["predict", "--checkpoint", "ck", "--dataset", str(ds / "test.jsonl"), "-o", str(out)], capsys)
    assert f"notes.txt: not a predictions JSONL ({why})" in err and "unrecorded model" not in err
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert checkpoint_calls == []


def test_predict_library_checks_and_leaves_nothing_when_the_first_batch_fails(ds, tmp_path):
    from mixbuddy.predict.predict import predict_dataset

    out = tmp_path / "p.jsonl"
    for bad in ({"batch_size": 0}, {"batch_size": -4}, {"limit": 0}, {"limit": -1}):
        with pytest.raises(ConfigError, match="must be a whole number >= 1"):
            predict_dataset(FakeModel(), ds / "test.jsonl", out, progress=False, **bad)
    with pytest.raises(MixbuddyError, match="the model broke"):
        predict_dataset(FakeModel(fail=True), ds / "test.jsonl", out, progress=False, model_id="m@1")
    assert list(tmp_path.iterdir()) == []                  # no empty output, no info file claiming a model
    info = predict_dataset(FakeModel(), ds / "test.jsonl", out, batch_size=3, limit=2, progress=False, model_id="m@1")
    assert info["records"] == 2 and len(out.read_text().splitlines()) == 2


def test_predict_cli_still_writes_predictions(ds, tmp_path, capsys, checkpoint_calls):
    out = tmp_path / "p.jsonl"
    assert main(["predict", "--checkpoint", "ck", "--dataset", str(ds / "test.jsonl"), "-o", str(out), "--limit", "2",
                 "--batch-size", "1", "--no-progress"]) == 0
    assert checkpoint_calls == ["ck"] and len(out.read_text().splitlines()) == 2
    assert json.loads(Path(str(out) + ".json").read_text())["records"] == 2


# ---- calibrate -------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt, value, msg", [
    ("--tolerance", "-1", "must be a number of accuracy points in [0, 100], got -1"),
    ("--tolerance", "101", "accuracy points in [0, 100]"), ("--tolerance", "nan", "accuracy points in [0, 100]"),
    ("--tolerance", "lots", "expected a number of accuracy points"),
    ("--batch-size", "0", "must be >= 1, got 0"), ("--batch-size", "-2", "must be >= 1, got -2"),
])
def test_calibrate_option_values(ds, tmp_path, capsys, checkpoint_calls, opt, value, msg):
    err = parser_error(["calibrate", "--checkpoint", "ck", "--dataset", str(ds / "validation.jsonl"),
                        "-o", str(tmp_path / "cal.json"), opt, value], capsys)
    assert opt in err and msg in err
    assert list(tmp_path.iterdir()) == [] and checkpoint_calls == []


def test_calibrate_refuses_the_test_split_and_a_bad_output_before_the_model(ds, tmp_path, capsys, checkpoint_calls):
    err = failing(["calibrate", "--checkpoint", "ck", "--dataset", str(ds / "test.jsonl")], capsys)
    assert "test.jsonl: holds test-split records" in err
    assert "calibrate on the validation split, never the test split" in err
    (tmp_path / "folder").mkdir()
    err = failing(["calibrate", "--checkpoint", "ck", "--dataset", str(ds / "validation.jsonl"),
                   "-o", str(tmp_path / "folder")], capsys)
    assert "folder: is a folder; give a file name" in err
    (tmp_path / "afile").write_text("")
    err = failing(["calibrate", "--checkpoint", "ck", "--dataset", str(ds / "validation.jsonl"),
                   "-o", str(tmp_path / "afile" / "cal.json")], capsys)
    assert "afile is a file, not a folder" in err
    assert checkpoint_calls == []


def test_calibrate_library_checks():
    from mixbuddy.predict.calibrate import calibrate, choose

    rows = [{"threshold": 0.0, "joint": 50.0}, {"threshold": 0.5, "joint": 49.8}]
    with pytest.raises(ConfigError, match=r"tolerance must lie in \[0, 100\].*got -1"):
        choose(rows, -1)
    assert choose(rows, 0.0)["threshold"] == 0.0 and choose(rows, 0.5)["threshold"] == 0.5
    with pytest.raises(ConfigError, match="batch size must be a whole number >= 1, got 0"):
        calibrate("ck", "nowhere.jsonl", batch_size=0)


# ---- advise-prior ----------------------------------------------------------------------------------
@pytest.mark.parametrize("opt, value, msg", [
    ("--sr", "0", "must be >= 1, got 0"), ("--sr", "-1", "must be >= 1, got -1"),
    ("--workers", "-1", "must be >= 0, got -1"),
])
def test_advise_prior_option_values(ds, tmp_path, capsys, opt, value, msg):
    err = parser_error(["advise-prior", "--dataset", str(ds / "train.jsonl"), "-o", str(tmp_path / "p.json"), opt, value],
                       capsys)
    assert opt in err and msg in err and list(tmp_path.iterdir()) == []


def test_advise_prior_checks_the_output_before_the_work(ds, tmp_path, capsys, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("fit_prior ran")

    monkeypatch.setattr("mixbuddy.predict.prior.fit_prior", boom)
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("")
    base = ["advise-prior", "--dataset", str(ds / "train.jsonl"), "-o"]
    assert "folder: is a folder; give a file name" in failing([*base, str(tmp_path / "folder")], capsys)
    assert "afile is a file, not a folder" in failing([*base, str(tmp_path / "afile" / "p.json")], capsys)


# ---- advise ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("opt, value, msg", [
    ("--hop", "0", "must be a number of seconds >= 0.1, got 0"), ("--hop", "-1", "got -1"),
    ("--hop", "0.00001", "must be a number of seconds >= 0.1, got 0.00001"),
    ("--hop", "nan", "got nan"), ("--hop", "inf", "got inf"),
    ("--batch-size", "0", "must be >= 1, got 0"),
])
def test_advise_option_values(tmp_path, capsys, opt, value, msg):
    err = parser_error(["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums", "-o", str(tmp_path / "a.txt"),
                        opt, value], capsys)
    assert opt in err and msg in err and list(tmp_path.iterdir()) == []


def test_advise_with_nothing_to_hear_is_a_usage_error(capsys, checkpoint_calls):
    err = parser_error(["advise", "--anchor", "drums"], capsys)
    assert err.rstrip().endswith("mixbuddy advise: error: give a mix file, a stems folder (--stems DIR), or both")
    assert checkpoint_calls == []


def test_advise_library_refuses_a_hop_of_zero_and_batch_size_zero():
    from mixbuddy.predict.advise import advise
    from mixbuddy.predict.engines import ModelEngine

    with pytest.raises(MixbuddyError, match="hop must be a number of seconds >= 0.1, got 0"):
        advise(str(LITHIUM / "mix.ogg"), "drums", ModelEngine(model=FakeModel()), hop_s=0)
    with pytest.raises(ConfigError, match="batch size must be a whole number >= 1, got 0"):
        ModelEngine(model=FakeModel(), batch_size=0)


@pytest.mark.parametrize("extra, why", [
    (["--engine", "model"], "--engine model, which does not use --prior"),
    (["--checkpoint", "default"], "--checkpoint selects the model engine, which does not use --prior"),
    (["--engine", "model", "--checkpoint", "default"], "--engine model, which does not use --prior"),
    ([], "--prior is the loudness engine's balance prior, and the loudness engine reads the stems: give them "
         "(--stems DIR), or drop --prior for a model's advice on the mix"),      # a mix alone: nothing chosen
])
def test_advise_refuses_a_prior_with_the_model_engine(tmp_path, capsys, checkpoint_calls, extra, why):
    err = failing(["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums", "--prior", str(tmp_path / "p.json"), *extra],
                  capsys)
    assert why in err and ("drop one of them" in err or not extra) and checkpoint_calls == []


def good_prior() -> dict:
    from mixbuddy.predict.prior import DEFAULT_PRIOR

    return json.loads(DEFAULT_PRIOR.read_text())


@pytest.mark.parametrize("edit, why", [
    (lambda d: 5, "the file holds a number, not a JSON object"),
    (lambda d: [], "the file holds a list, not a JSON object"),
    (lambda d: {**d, "balance": 5}, "'balance' must be an object with stems, mean, cov and n, got a number"),
    (lambda d: {k: v for k, v in d.items() if k != "sample_rate"}, "no 'sample_rate' key"),
    (lambda d: {**d, "sample_rate": "fast"}, "'sample_rate' must be a rate in Hz"),
    (lambda d: {**d, "channels": 3}, "'channels' must be 1 or 2, got 3"),
    (lambda d: {**d, "format": "something/2"}, "'format' is 'something/2', expected 'mixbuddy-balance-prior/1'"),
    (lambda d: {**d, "balance": {**d["balance"], "mean": d["balance"]["mean"][:2]}},
     "'balance.mean' must be a list of 4 finite numbers"),
    (lambda d: {**d, "balance": {**d["balance"], "cov": [[1.0]]}}, "'balance.cov' must be a 4x4 matrix"),
    (lambda d: {**d, "balance": {**d["balance"], "cov": [[0.0] * 4] * 4}}, "'balance.cov' is not a covariance"),
    (lambda d: {**d, "balance": {**d["balance"], "stems": ["bass", "flute", "other", "vocals"]}},
     "'balance.stems' names unknown stems ['flute']"),
    (lambda d: {k: v for k, v in d.items() if k != "balance"} | {"balance": {"stems": ["bass", "drums"]}},
     "'balance' has no 'mean', 'cov', 'n' keys"),
])
def test_bad_prior_files_name_the_wrong_field(tmp_path, edit, why):
    from mixbuddy.predict.engines import LoudnessEngine

    path = tmp_path / "prior.json"
    path.write_text(json.dumps(edit(good_prior())))
    with pytest.raises(ConfigError) as e:
        LoudnessEngine(prior=path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: not a balance prior file (") and why in msg, msg
    assert "Error" not in msg and "subscriptable" not in msg


def test_bad_prior_through_the_cli(tmp_path, capsys):
    (tmp_path / "prior.json").write_text('{"balance": 5, "sample_rate": 22050, "channels": 2}')
    (tmp_path / "notjson.json").write_text("balance = 5")
    base = ["advise", "--stems", str(LITHIUM / "stems"), "--anchor", "drums", "--engine", "loudness", "--prior"]
    err = failing([*base, str(tmp_path / "prior.json")], capsys)
    assert "prior.json: not a balance prior file ('balance' must be an object" in err
    assert "notjson.json: not a balance prior file (not valid JSON" in failing([*base, str(tmp_path / "notjson.json")], capsys)
    assert "is a folder" in failing([*base, str(tmp_path)], capsys)


def test_advise_checks_the_output_before_the_analysis(tmp_path, capsys, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the song was analysed")

    monkeypatch.setattr("mixbuddy.predict.advise.advise", boom)
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("")
    base = ["advise", "--stems", str(LITHIUM / "stems"), "--anchor", "drums", "--engine", "loudness", "-o"]
    assert "folder: is a folder; give a file name" in failing([*base, str(tmp_path / "folder")], capsys)
    assert "afile is a file, not a folder" in failing([*base, str(tmp_path / "afile" / "advice.txt")], capsys)
    assert (tmp_path / "afile").read_text() == ""


# ---- config files and --set ------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "null\n", "~\n"])
def test_an_empty_config_file_is_an_error(tmp_path, capsys, text):
    cfg = tmp_path / "empty.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match="empty.yaml: config is empty"):
        load_yaml(cfg)
    assert "empty.yaml: config is empty" in failing(["train", "--config", str(cfg), "--check"], capsys)
    assert "empty.yaml: config is empty" in failing(["data", "build", "--config", str(cfg), "-o", str(tmp_path / "o")],
                                                    capsys)
    assert not (tmp_path / "o").exists()


def test_an_explicit_empty_mapping_asks_for_the_defaults(tmp_path):
    from mixbuddy.data.config import DataConfig
    from mixbuddy.config import load_config

    (tmp_path / "d.yaml").write_text("{}\n")
    assert load_config(DataConfig, tmp_path / "d.yaml") == DataConfig()


def test_config_files_that_are_folders_or_binary(tmp_path):
    with pytest.raises(ConfigError, match="is a folder, not a config file"):
        load_yaml(tmp_path)
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ConfigError, match="bin.yaml: not a text"):
        load_yaml(tmp_path / "bin.yaml")


@pytest.mark.parametrize("value, msg", [
    ("[1,2]", "optim.lr: expected a number, got [1, 2]"),
    ("nan", "optim.lr: expected a finite number, got nan"),
    (".nan", "optim.lr: expected a finite number, got nan"),
    (".inf", "optim.lr: expected a finite number, got inf"),
    ("-.inf", "optim.lr: expected a finite number, got -inf"),
    ("true", "optim.lr: expected a number, got True"),
    ("{a: 1}", "optim.lr: expected a number, got {'a': 1}"),
])
def test_set_values_are_type_checked(capsys, value, msg):
    default = REPO / "configs" / "default.yaml"
    err = failing(["train", "--config", str(default), "--set", f"optim.lr={value}", "--check"], capsys)
    assert msg in err and "not supported between" not in err


def test_set_errors_name_the_set_not_the_file():
    from mixbuddy.train.config import TrainConfig

    default = REPO / "configs" / "default.yaml"
    data = load_yaml(default)

    def err(overrides, d=data) -> str:
        with pytest.raises(ConfigError) as e:
            from_dict(TrainConfig, d, str(default), overrides=overrides)
        return str(e.value)

    assert err(["optim.max_step=100"]).startswith("--set optim.max_step=100: optim: unknown key 'max_step'; valid keys")
    assert err(["optim.lr=[1,2]"]) == "--set optim.lr=[1,2]: optim.lr: expected a number, got [1, 2]"
    assert err(["optim.lr=.inf"]) == "--set optim.lr=.inf: optim.lr: expected a finite number, got inf"
    assert err(["optimm.lr=1"]).startswith("--set optimm.lr=1: unknown key 'optimm'")
    assert err(["optim.max_steps=-1"]).startswith("--set optim.max_steps=-1: optim.max_steps must be >= 0")
    # the --set that breaks the config is named, not the harmless ones around it
    assert err(["optim.lr=3e-4", "train.select_metric=joint_accuracy", "train.eval_generate=0", "optim.epochs=2"]) \
        .startswith("--set train.eval_generate=0: train.select_metric joint_accuracy needs train.eval_generate >= 1")
    assert err(["optim.lr"]) == "--set optim.lr: expected key.path=value"
    assert err(["optim.lr.x=1"]) == "--set optim.lr.x=1: optim.lr is not a section"
    # a problem of the file itself still names the file, --set or not
    bad = {**data, "optim": {**data["optim"], "lr": "fast"}}
    assert err(["optim.epochs=2"], bad) == f"{default}.optim.lr: expected a number, got 'fast'"
    assert err([], bad) == f"{default}.optim.lr: expected a number, got 'fast'"
    # an override may also repair the file
    assert from_dict(TrainConfig, bad, str(default), overrides=["optim.lr=1e-4"]).optim.lr == 1e-4

"""Bad inputs to the model-side commands (export, train --check, checkpoint loading, --device) are clear
errors naming the file or option, exit code 1 (argparse's usage errors: 2), no traceback, and nothing of
the user's is destroyed or left half-written. Only one test loads the (small) LLM."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch

from mixbuddy.cli import main
from mixbuddy.errors import ConfigError, OutputError
from mixbuddy.model import checkpoint as ck

REPO = Path(__file__).resolve().parents[1]
SHIPPED_DEFAULT = REPO / "mixbuddy" / "weights" / "default"
LITHIUM = REPO / "examples" / "lithium"
ADAPTER = Path("adapter") / "adapter_model.safetensors"


@pytest.fixture
def ckpt(tmp_path: Path) -> Path:
    """A copy of the shipped 'default' checkpoint, free to break."""
    return Path(shutil.copytree(SHIPPED_DEFAULT, tmp_path / "ckpt"))


def _snapshot(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _err(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _leftovers(folder: Path) -> list[str]:
    """Temporary folders an export would have written beside its output."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---- 1. export never deletes what is not a checkpoint ------------------------------------------------------

def test_export_refuses_to_replace_a_file_or_a_folder_that_is_not_a_checkpoint(ckpt: Path, tmp_path: Path,
                                                                                 capsys) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("my notes\n")
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "metrics.json").write_text("{}")
    (folder / "keep").mkdir()
    before = _snapshot(folder)
    for out in (afile, folder):
        assert main(["export", "--checkpoint", str(ckpt), "-o", str(out)]) == 1
        assert f"{out} exists and is not a checkpoint folder; choose another output" in _err(capsys)
    assert afile.read_text() == "my notes\n" and _snapshot(folder) == before
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(afile / "sub")]) == 1
    assert f"{afile / 'sub'}: cannot create this folder: {afile} is a file" in _err(capsys)
    assert afile.read_text() == "my notes\n" and _leftovers(tmp_path) == []


def test_export_refuses_to_replace_a_model_that_hears_other_input(ckpt: Path, tmp_path: Path, capsys) -> None:
    """A mix model exported over the stems model's folder (one slip of -o) would have replaced it."""
    stems = Path(shutil.copytree(REPO / "mixbuddy" / "weights" / "default-stems", tmp_path / "stems"))
    before = _snapshot(stems)
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(stems)]) == 1
    assert _err(capsys).rstrip().endswith(f"-o {stems}: holds a model that hears the stems, and {ckpt} hears the "
                                          f"mix; export it to another folder (or remove {stems} first)")
    assert _snapshot(stems) == before and _leftovers(tmp_path) == []


def test_save_checkpoint_checks_its_output_before_touching_the_model(tmp_path: Path) -> None:
    """The library call refuses too (the model is not even looked at), and accepts an existing checkpoint."""
    (tmp_path / "plain").mkdir()
    with pytest.raises(OutputError, match="exists and is not a checkpoint folder"):
        ck.save_checkpoint(None, tmp_path / "plain")                    # type: ignore[arg-type]
    assert list((tmp_path / "plain").iterdir()) == []
    shutil.copytree(SHIPPED_DEFAULT, tmp_path / "old")
    assert ck.check_checkpoint_output(tmp_path / "old") == tmp_path / "old"
    assert ck.check_checkpoint_output(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()


def test_export_replaces_an_existing_checkpoint_folder(ckpt: Path, tmp_path: Path, capsys) -> None:
    """The one test that loads the LLM: an existing checkpoint folder is replaced atomically (no temp left)."""
    out = Path(shutil.copytree(SHIPPED_DEFAULT, tmp_path / "out" / "model"))
    (out / "stale.txt").write_text("from the old checkpoint")
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(out), "--threshold", "0.25", "--note", "t"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert ck.is_checkpoint_dir(out) and not (out / "stale.txt").exists()
    assert "verdict_threshold: 0.25" in (out / "config.yaml").read_text()
    assert _leftovers(out.parent) == []


# ---- 2. export's options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["-0.5", "1.5", "nan", "inf", "high"])
def test_export_threshold_outside_0_1_is_a_usage_error(ckpt: Path, tmp_path: Path, capsys, value: str) -> None:
    with pytest.raises(SystemExit) as e:
        main(["export", "--checkpoint", str(ckpt), "-o", str(tmp_path / "out"), f"--threshold={value}"])
    assert e.value.code == 2
    err = _err(capsys)
    assert "argument --threshold: " in err and "[0, 1]" in err and value in err
    assert not (tmp_path / "out").exists()


def test_export_replaces_needs_base_and_an_unknown_base_lists_the_shipped_names(ckpt: Path, tmp_path: Path,
                                                                                 capsys) -> None:
    out = tmp_path / "out"
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(out), "--replaces", "stack.aux_head"]) == 1
    assert "--replaces only applies to a derived checkpoint: give --base too" in _err(capsys)
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(out), "--base", "defualt"]) == 1
    err = _err(capsys)
    assert "--base 'defualt': no shipped model has that name (shipped: " + ", ".join(ck.SHIPPED) + ")" in err
    assert f"{out / 'defualt'} (the name taken as a folder relative to the output) is not a checkpoint folder" in err
    assert not out.exists() and _leftovers(tmp_path) == []


# ---- 3. damaged or missing checkpoints -----------------------------------------------------------------

def _truncate(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize("damage, broken", [
    ("truncated audio", "audio.safetensors"),
    ("text audio", "audio.safetensors"),
    ("truncated adapter", str(ADAPTER)),
    ("bad tokens", "tokens.json"),
    ("bad meta", "meta.json"),
])
def test_export_of_a_damaged_checkpoint_names_the_file(ckpt: Path, tmp_path: Path, capsys, damage: str,
                                                       broken: str) -> None:
    path = ckpt / broken
    if damage.startswith("truncated"):
        _truncate(path, 5000)
    elif damage == "text audio":
        path.write_text("hello\n")
    else:
        path.write_text("{bad")
    out = tmp_path / "out"
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(out)]) == 1
    assert f"{path}: damaged or incomplete checkpoint file (" in _err(capsys)
    assert not out.exists() and _leftovers(tmp_path) == []


def test_loading_a_damaged_checkpoint_fails_before_the_llm_and_in_advise(ckpt: Path, capsys) -> None:
    _truncate(ckpt / "audio.safetensors", 100_000)
    with pytest.raises(ConfigError, match=r"audio\.safetensors: damaged or incomplete checkpoint file"):
        ck.load_checkpoint(ckpt)
    (ckpt / "audio.safetensors").write_text("hello\n")
    assert main(["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums", "--checkpoint", str(ckpt)]) == 1
    assert f"{ckpt / 'audio.safetensors'}: damaged or incomplete checkpoint file" in _err(capsys)


def test_load_trained_parts_names_a_damaged_file(ckpt: Path) -> None:
    """The path `train.init_from` and `--resume` take: the weights file is read before the model is touched."""
    class _Model:
        device = torch.device("cpu")

    _truncate(ckpt / "audio.safetensors", 5000)
    with pytest.raises(ConfigError, match=r"audio\.safetensors: damaged or incomplete checkpoint file"):
        ck.load_trained_parts(_Model(), ckpt)                           # type: ignore[arg-type]


def test_reading_some_tensors_names_a_missing_one_and_a_damaged_file(ckpt: Path) -> None:
    """load_tensors(keys=...): what checkpoint_mix_loudness reads without loading the whole file."""
    from mixbuddy.model.checkpoint_files import load_tensors

    path = ckpt / "audio.safetensors"
    some = sorted(load_tensors(path))[:2]
    assert sorted(load_tensors(path, keys=some)) == some and load_tensors(path, keys=()) == {}
    with pytest.raises(ConfigError, match=re.escape(f"{path}: damaged or incomplete checkpoint file (it holds no "
                                                    "tensor 'aux_head.nope')")):
        load_tensors(path, keys=[some[0], "aux_head.nope"])
    path.write_text("hello\n")
    with pytest.raises(ConfigError, match=r"audio\.safetensors: damaged or incomplete checkpoint file"):
        load_tensors(path, keys=some)


def test_checkpoint_not_found_and_run_folder_hint(ckpt: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    missing = tmp_path / "nope"
    assert main(["export", "--checkpoint", str(missing), "-o", str(out)]) == 1
    assert f"{missing}: not a mixbuddy checkpoint (not found; nor is it the name of a shipped model" in _err(capsys)
    run = tmp_path / "run"
    run.mkdir()
    shutil.move(str(ckpt), run / "best")
    assert main(["export", "--checkpoint", str(run), "-o", str(out)]) == 1
    assert f"{run}: not a mixbuddy checkpoint (this is a training run folder; its checkpoint is {run / 'best'}" \
        in _err(capsys)
    with pytest.raises(ConfigError, match="not a checkpoint folder \\(this is a training run folder"):
        ck.checkpoint_id(run)
    assert not out.exists()


# ---- 4. --device ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums"],
    ["predict", "--checkpoint", "default", "--dataset", "d.jsonl", "-o", "p.jsonl"],
    ["app"],
])
def test_device_that_is_not_a_device_name(argv: list[str], capsys) -> None:
    """A usage error before anything is read or loaded (the app would otherwise serve and fail on first use)."""
    with pytest.raises(SystemExit) as e:
        main([*argv, "--device", "gpu0"])
    assert e.value.code == 2
    assert "argument --device: 'gpu0': not a device name (use auto, cpu, cuda, cuda:N, mps or xpu)" in _err(capsys)


@pytest.mark.parametrize("value", ["0", "65536", "99999", "http"])
def test_app_port_out_of_range(value: str, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["app", "--port", value])
    assert e.value.code == 2 and "argument --port: " in _err(capsys)


def test_device_absent_here(ckpt: Path, monkeypatch, capsys) -> None:
    from mixbuddy.model.llm import device_from_name

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["advise", str(LITHIUM / "mix.ogg"), "--anchor", "drums", "--checkpoint", str(ckpt),
                 "--device", "cuda"]) == 1
    err = _err(capsys)
    assert "--device cuda: " in err and "; use cpu (or auto)" in err
    assert device_from_name("auto") == torch.device("cpu") and device_from_name("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ConfigError, match=r"--device cuda:3: there is only 1 CUDA device here \(cuda:0\)"):
        device_from_name("cuda:3", "--device")


# ---- 5. train --check ----------------------------------------------------------------------------------

@pytest.fixture
def check(tmp_path: Path):
    """Runs `mixbuddy train --config configs/default.yaml --check` on a tiny dataset folder, with --set items."""
    ds = tmp_path / "ds"
    ds.mkdir()
    for name in ("train.jsonl", "validation.jsonl", "dataset.json"):
        (ds / name).write_text("")

    def run(*sets: str, output: Path | None = None, flags: tuple[str, ...] = ()) -> int:
        argv = ["train", "--config", str(REPO / "configs" / "default.yaml"), "--check", *flags,
                "-o", str(output or tmp_path / "run"), "--set", f"data.dataset={ds}",
                "--set", f"data.cache_dir={tmp_path / 'cache'}", "--set", "train.init_from=default",
                "--set", "train.device=cpu"]
        for s in sets:
            argv += ["--set", s]
        return main(argv)

    run.ds = ds
    return run


def test_train_check_accepts_a_usable_config_and_creates_nothing(check, tmp_path: Path, capsys) -> None:
    assert check() == 0
    assert "valid (mix mode, encoder mel" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


@pytest.mark.parametrize("left", ["config.yaml", "summary.json", "best"])
def test_train_refuses_a_folder_holding_a_run_unless_told_what_to_do(check, tmp_path: Path, capsys, left) -> None:
    """Running the same command twice used to start the first run over without a word (its best/ and
    checkpoint/ replaced): a folder with a run's files is refused unless --resume or --overwrite says which."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine")                # anything else in the folder is not a run
    assert check() == 0
    capsys.readouterr()
    if left == "best":
        (run / "best").mkdir()
        (run / "best" / "config.yaml").write_text("")     # a checkpoint folder (a run replaces those)
        (run / "best" / "audio.safetensors").write_bytes(b"")
    else:
        (run / left).write_text("")
    assert check() == 1
    assert _err(capsys).rstrip().endswith(
        f"train.output_dir {run}: holds a run already ({left}); --resume continues it, --overwrite starts it over "
        "(replacing its checkpoints), or choose another output")
    assert check(flags=("--resume",)) == 0 and check(flags=("--overwrite",)) == 0
    with pytest.raises(SystemExit) as e:
        check(flags=("--resume", "--overwrite"))
    assert e.value.code == 2 and "argument --overwrite: not allowed with argument --resume" in _err(capsys)


def test_train_check_dataset(check, tmp_path: Path, capsys) -> None:
    assert check(f"data.dataset={tmp_path / 'missing'}") == 1
    assert f"data.dataset {tmp_path / 'missing'}: dataset folder not found" in _err(capsys)
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert check(f"data.dataset={afile}") == 1
    assert f"data.dataset {afile}: is a file; give a folder written by `mixbuddy data build`" in _err(capsys)
    (check.ds / "validation.jsonl").unlink()
    assert check() == 1
    err = _err(capsys)
    assert f"data.dataset {check.ds}: has no validation split ({check.ds / 'validation.jsonl'} not found" in err
    assert err.rstrip().endswith("(a corpus without a validation split needs `mixbuddy data build --val-songs N`: "
                                 "N training songs held out for choosing the checkpoint)")


def test_train_check_dataset_file_hint(check, capsys) -> None:
    assert check(f"data.dataset={check.ds / 'train.jsonl'}") == 1
    assert f"is a file; give a folder written by `mixbuddy data build` (holding train.jsonl and validation.jsonl); " \
           f"did you mean its folder {check.ds}?" in _err(capsys)


def test_train_check_what_a_gpu_config_needs_here(check, tmp_path: Path, capsys, monkeypatch) -> None:
    """`--check` of configs/paper.yaml on a machine without a GPU or the models said "valid", and the run failed
    minutes later: 4-bit weights without CUDA, and hub models read offline that were never downloaded."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert check("model.llm.load_in_4bit=true") == 1
    assert "model.llm.load_in_4bit: 4-bit NF4 weights need bitsandbytes on a CUDA GPU and no GPU is available " \
        "here; set load_in_4bit: false under model.llm (or --set model.llm.load_in_4bit=false)" \
        in _err(capsys)
    assert check("model.llm.name_or_path=nobody/never-downloaded") == 1
    assert _err(capsys).rstrip().endswith(
        "model.llm.name_or_path nobody/never-downloaded: not in the Hugging Face cache; download it first (`hf "
        "download nobody/never-downloaded`; runs read it offline, local_files_only) or give a local folder")
    assert check("model.audio.encoder.kind=mert", "model.audio.encoder.hf.name_or_path=nobody/no-mert") == 1
    assert "model.audio.encoder.hf.name_or_path nobody/no-mert: not in the Hugging Face cache" in _err(capsys)
    # a local folder is not looked up, nor is a model the config allows to download
    assert check("model.audio.encoder.kind=mert", f"model.audio.encoder.hf.name_or_path={tmp_path}") == 0
    assert check("model.llm.name_or_path=nobody/never-downloaded", "model.llm.local_files_only=false") == 0


def test_train_check_init_from(check, tmp_path: Path, ckpt: Path, capsys, monkeypatch) -> None:
    assert check(f"train.init_from={tmp_path / 'gone'}") == 1
    err = _err(capsys)
    assert f"train.init_from: {tmp_path / 'gone'}: not a mixbuddy checkpoint (not found" in err
    assert "train_shipped.sh" not in err
    # the shipped recipes' own start (the previous release, fetched by scripts/train_shipped.sh) on a fresh clone:
    # the error says where it comes from and how to train from scratch, which one --set does (init_skip then
    # has nothing to skip)
    monkeypatch.chdir(tmp_path)
    assert check() == 0 and check("train.init_from=work/prev/mixbuddy/weights/default") == 1
    assert _err(capsys).rstrip().endswith("the shipped recipes start from the previous release, which `bash "
                                          "scripts/train_shipped.sh` takes from git history into work/prev/; to "
                                          "train from scratch: --set train.init_from=null")
    capsys.readouterr()
    assert check("train.init_from=null") == 0
    run = tmp_path / "oldrun"
    run.mkdir()
    shutil.move(str(ckpt), run / "checkpoint")
    assert check(f"train.init_from={run}") == 1
    assert f"this is a training run folder; its checkpoint is {run / 'checkpoint'}" in _err(capsys)
    _truncate(run / "checkpoint" / ADAPTER, 100)
    assert check(f"train.init_from={run / 'checkpoint'}") == 1
    assert f"{run / 'checkpoint' / ADAPTER}: damaged or incomplete checkpoint file" in _err(capsys)


def test_train_check_output_folder(check, tmp_path: Path, capsys) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert check(output=afile) == 1
    assert f"train.output_dir {afile}: is a file, not a folder" in _err(capsys)
    assert check(output=afile / "run") == 1
    assert f"train.output_dir {afile / 'run'}: cannot create this folder: {afile} is a file" in _err(capsys)
    run = tmp_path / "run"
    (run / "best").mkdir(parents=True)
    (run / "best" / "mine.txt").write_text("keep")
    assert check(output=run) == 1
    assert f"{run / 'best'} exists and is not a checkpoint folder, and a run replaces it" in _err(capsys)
    assert (run / "best" / "mine.txt").read_text() == "keep" and afile.read_text() == "x"


@pytest.mark.parametrize("item, message", [
    ("optim.epochs=-1", "optim.epochs must be a finite number > 0"),
    ("optim.epochs=0", "optim.epochs must be a finite number > 0"),
    ("optim.lr=.nan", "optim.lr: expected a finite number"),
    ("optim.lr=0", "optim.lr and optim.stage1_lr must be finite numbers > 0"),
    ("data.max_validation=0", "data.max_validation must be >= 1 (or null for all)"),
    ("train.device=gpu0", "train.device 'gpu0': not a device name"),
    ("model.llm.device=gpu0", "llm.device 'gpu0': not a device name"),
])
def test_train_check_values(check, capsys, item: str, message: str) -> None:
    assert check(item) == 1
    assert message in _err(capsys)


def test_optim_config_rejects_non_finite_values_built_by_hand() -> None:
    from mixbuddy.train.config import OptimConfig

    for kw in ({"lr": float("nan")}, {"lr": float("inf")}, {"epochs": float("nan")}, {"max_grad_norm": 0.0}):
        with pytest.raises(ValueError, match="finite number"):
            OptimConfig(**kw)

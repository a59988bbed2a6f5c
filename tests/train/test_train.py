"""Training end to end on a tiny real corpus with tiny real models: paper config path, stems mode,
determinism, multi-process (torchrun), config errors."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from train_helpers import REPO, build_tiny_dataset, losses, tiny_config, write_tiny_hubert, write_tiny_qwen2
from mixbuddy.cli import main
from mixbuddy.config import save_config
from mixbuddy.data.recipe import load_recipes, write_recipes
from mixbuddy.errors import ConfigError, DataError
from mixbuddy.evaluate.run import evaluate_files
from mixbuddy.io import write_jsonl
from mixbuddy.model.checkpoint import checkpoint_mix_loudness, load_checkpoint
from mixbuddy.model.levels import trained_mix_loudness
from mixbuddy.predict.engines import ModelEngine
from mixbuddy.rng import derive_seed
from mixbuddy.train.config import load_train_config
from mixbuddy.train.dataset import RecipeDataset
from mixbuddy.train.trainer import run_training


@pytest.fixture(scope="module")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("train_assets")
    return {"ds": build_tiny_dataset(root), "llm": write_tiny_qwen2(root / "qwen2"),
            "hubert": write_tiny_hubert(root / "hubert"), "root": root}


def _val_inputs(model, ds_dir: Path, k: int = 4):
    """The first k validation recipes rendered as model input (through the training dataset class)."""
    from mixbuddy.data.render import open_renderer

    recs = load_recipes(ds_dir / "validation.jsonl")[:k]
    ds = RecipeDataset(recs, open_renderer(ds_dir / "validation.jsonl", model.sample_rate, 1), model.alm.prompts,
                       model.input_mode, model.clip_names, model.clip_samples, model.num_tokens(model.clip_samples))
    audio = [ds.audio(i) for i in range(k)]
    if model.input_mode == "stems":
        audio = [dict(zip(model.clip_names, a)) for a in audio]
    return recs, audio


@pytest.mark.parametrize("config", ["paper", "research"])
def test_gpu_config_end_to_end(assets: dict[str, Path], tmp_path: Path, config: str) -> None:
    """configs/paper.yaml and configs/research.yaml (MERT + Qwen2-7B, the latter with the level head and
    verdict tokens) with tiny stand-ins: train -> loss falls -> checkpoint -> identical reload -> evaluate."""
    overrides = [
        f"model.audio.encoder.hf.name_or_path={assets['hubert']}", "model.audio.encoder.hf.trust_remote_code=false",
        "model.audio.encoder.hf.sample_rate=16000",                  # the stand-in's rate (the recipes pin MERT's 24 kHz)
        "model.audio.pooling.tokens_per_second=5", "model.audio.projector.hidden_sizes=[64,128,128,64]",
        "model.audio.projector.dropout=0.0", f"model.llm.name_or_path={assets['llm']}", "model.llm.load_in_4bit=false",
        "model.llm.dtype=float32", "model.llm.device=cpu", "model.llm.lora.dropout=0.0", "model.max_new_tokens=16",
        f"data.dataset={assets['ds']}", f"data.cache_dir={assets['root'] / 'cache'}", "data.max_validation=6",
        "data.max_train=4", "optim.lr=5e-3", "optim.warmup_ratio=0", "optim.max_steps=8", "optim.eval_batch_size=3",
        f"train.output_dir={tmp_path / 'run'}", "train.num_workers=0", "train.eval_steps=4", "train.save_steps=4",
        "train.eval_generate=3", "train.logging_steps=1", "train.progress=false", "train.threads=2",
    ]
    if config == "research":
        overrides += ["train.stage1_steps=3", "train.stage1_eval_steps=3", "optim.stage1_batch_size=4"]
    cfg = load_train_config(REPO / "configs" / f"{config}.yaml", overrides)
    assert cfg.model.audio.projector.preset == "paper" and cfg.optim.grad_accum == 8 and cfg.optim.batch_size == 2
    assert cfg.model.llm.load_in_4bit is False and cfg.model.audio.encoder.kind == "mert"
    cfg.optim.grad_accum = 2                                          # keep the test fast: 8 steps x 2 x 2 examples
    res = run_training(cfg)
    run = res.run_dir
    curve = losses(res.history)
    assert len(curve) == 8 and sum(curve[-2:]) < sum(curve[:2]), curve
    for name in ("config.yaml", "log.jsonl", "summary.json", "checkpoint/config.yaml", "best/audio.safetensors",
                 "resume/state.pt", "eval/step-8/predictions.jsonl"):
        assert (run / name).exists(), name
    evals = [r for r in res.history if "eval_examples" in r and r.get("stage") != 1]
    assert [r["step"] for r in evals] == [4, 8]
    assert all("joint_accuracy" in r and "eval_aux_accuracy" in r for r in evals)
    assert res.best is not None and res.best["metric"] == "joint_accuracy"
    assert load_train_config(run / "config.yaml") == cfg             # the run's config round-trips
    model = res.model
    verdict = 15 if config == "research" else 0                        # verdict tokens in front of the audio
    assert model.num_tokens(model.clip_samples) == 50 + verdict      # 10 s at 50 Hz frames, 5 tokens/s
    if config == "research":                                         # stage 1: the head alone, on cached levels
        assert [r["step"] for r in res.history if r.get("stage") == 1 and "eval_aux_accuracy" in r] == [3]
        head = model.stack.aux_head.state_dict()
        assert all(torch.equal(v, loaded_v) for v, loaded_v in
                   zip(head.values(), load_checkpoint(run / "checkpoint").stack.aux_head.state_dict().values()))
    recs, audio = _val_inputs(model, assets["ds"])
    args = (audio, [r.instruction for r in recs], [r.anchor for r in recs])
    before = model.generate(*args)
    loaded = load_checkpoint(run / "checkpoint")
    assert loaded.generate(*args) == before
    write_recipes(tmp_path / "subset.jsonl", recs)
    write_jsonl(tmp_path / "preds.jsonl", ({"id": r.id, "text": g.text, "confidence": g.p_error}
                                           for r, g in zip(recs, before)))
    scores = evaluate_files(tmp_path / "preds.jsonl", tmp_path / "subset.jsonl", tmp_path / "report", n_boot=0)
    assert scores["n"] == 4 and (tmp_path / "report" / "report.md").is_file()


def test_audio_only_run_on_fewer_songs_logs_a_stage1_curve(assets: dict[str, Path], tmp_path: Path) -> None:
    """Learning-curve runs: max_train_songs keeps whole songs, max_steps 0 skips the LLM stage, and
    stage1_eval_steps evaluates stage 1 on validation along the way."""
    from mixbuddy.train import trainer

    cfg = tiny_config(assets["ds"], assets["llm"], tmp_path / "run", optim={"max_steps": 0},
                      train={"stage1_steps": 4, "stage1_eval_steps": 2}, data={"max_train_songs": 1, "max_train": None})
    res = run_training(cfg)
    assert [r["step"] for r in res.history if "eval_aux_accuracy" in r] == [2, 4]
    assert not losses(res.history, 2) and res.best is None and (res.run_dir / "checkpoint" / "config.yaml").is_file()
    first_song = sorted({r.song_id for r in load_recipes(assets["ds"] / "train.jsonl")})[0]
    run = trainer.Run(cfg, overwrite=True)                  # built again on the same folder, to look inside
    assert {r.song_id for r in run.train_ds.recipes} == {first_song}
    with pytest.raises(ConfigError, match="stage1_steps must be >= 1"):
        tiny_config(assets["ds"], assets["llm"], tmp_path / "bad", optim={"max_steps": 0}, train={"stage1_steps": 0})


@pytest.mark.parametrize("mode", ["mix", "stems"])
def test_stage1_cache_trains_the_head_on_the_same_examples(assets: dict[str, Path], tmp_path: Path, mode: str) -> None:
    """train.stage1_cache: one row of level features per training recipe (its epoch-0 rendering, as the
    uncached loop would draw it), and stage 1 on the cache takes exactly the uncached run's first step.
    Stems mode also thins every bystander stem (data.thin_stems: 1): the cache holds the thinned features."""
    from mixbuddy.model.heads import labels_from_recipe
    from mixbuddy.train import trainer

    feats = "rich" if mode == "mix" else "loudness"
    model = {"input_mode": mode, "audio": {"aux": {"level_features": feats, "level_norm": False}}}
    if mode == "stems":
        model["audio"]["aux"]["clips"] = ["bass", "drums", "other", "vocals"]
    kw = dict(model=model, optim={"max_steps": 0, "stage1_batch_size": 4},
              train={"stage1_steps": 3, "stage1_eval_steps": None})
    data = {"max_train": 8, "thin_stems": 1.0 if mode == "stems" else 0.0}
    run = trainer.Run(tiny_config(assets["ds"], assets["llm"], tmp_path / "a", **kw, data=data))
    assert run.train_ds.thin == data["thin_stems"] and run.val_ds.thin == 0.0
    cache = trainer.build_level_cache(run.model.stack.levels, run.train_ds, batch_size=3)
    dim = 265 if mode == "mix" else 3
    assert cache.levels.shape == ((8, dim) if mode == "mix" else (8, 4, dim))
    i = 5
    audio = torch.from_numpy(run.train_ds.audio(i, 0))
    expected = run.model.stack.level_stats(audio[None] if mode == "stems" else audio[None])[0]
    assert torch.allclose(cache.levels[i], expected, atol=1e-5)
    assert cache.labels[i] == labels_from_recipe(run.train_ds.recipes[i])
    if mode == "stems":                       # the two bystanders of every recipe are thinned, its roles kept
        r = run.train_ds.recipes[i]
        plain = run.train_ds.renderer.render(r, seed=derive_seed(0, "epoch", 0), return_stems=True).stems
        for k, name in enumerate(run.train_ds.clip_names):
            changed = not np.allclose(audio[k].numpy(), run.train_ds._fit(plain[name][:, 0]), atol=1e-6)
            assert changed == (name not in (r.target, r.anchor)), name
    first = {}
    for cached in (True, False):
        cfg = tiny_config(assets["ds"], assets["llm"], tmp_path / f"run-{cached}", **kw, data=data)
        cfg.train.stage1_cache = cached
        res = run_training(cfg)
        first[cached] = losses(res.history, 1)
        assert len(first[cached]) == 3
    assert abs(first[True][0] - first[False][0]) < 1e-4, first
    with pytest.raises(ConfigError, match="stage1_cache"):
        tiny_config(assets["ds"], assets["llm"], tmp_path / "bad", model={"audio": {"aux": {"source": "pooled"}}},
                    train={"stage1_cache": True})


def test_level_norm_is_fitted_on_the_stage1_cache_and_saved(assets: dict[str, Path], tmp_path: Path) -> None:
    """aux.level_norm: stage 1 fits the head's standardisation on the cached training features (their mean
    and standard deviation per feature), the checkpoint carries it, and a reloaded model gives the same
    logits; without the cache the config is refused."""
    from mixbuddy.train import trainer

    kw = dict(model={"audio": {"aux": {"level_features": "full", "level_norm": True}}},
              optim={"max_steps": 0, "stage1_batch_size": 4}, train={"stage1_steps": 2, "stage1_eval_steps": None})
    res = run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "a", **kw, data={"max_train": 8}))
    head = res.model.stack.aux_head
    run = trainer.Run(load_train_config(res.run_dir / "config.yaml"), overwrite=True)   # the same features again
    cache = trainer.build_level_cache(run.model.stack.levels, run.train_ds, batch_size=4).levels.reshape(-1, 431)
    assert head.level_mean.shape == (1, 431)
    assert torch.allclose(head.level_mean[0], cache.mean(0), atol=1e-5)
    assert torch.allclose(head.level_std[0], cache.std(0).clamp_min(1e-3), atol=1e-5)
    again = load_checkpoint(res.run_dir / "checkpoint")
    assert torch.equal(again.stack.aux_head.level_mean, head.level_mean)
    x = torch.randn(3, 1, 431, generator=torch.Generator().manual_seed(0))
    a = torch.tensor([0, 1, 3])
    with torch.no_grad():
        assert torch.allclose(again.stack.aux_head(None, None, anchor=a, levels=x).logits,
                              head.eval()(None, None, anchor=a, levels=x).logits, atol=1e-5)
    ckpt = res.run_dir / "checkpoint"
    assert checkpoint_mix_loudness(ckpt) == trained_mix_loudness(again)           # without building the model
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(tmp_path / "head"), "--base", str(ckpt)]) == 0
    assert checkpoint_mix_loudness(tmp_path / "head") == trained_mix_loudness(again)   # a derived head's own file
    loaded: list = []
    engine = ModelEngine(ckpt, loud_fallback="other", loader=lambda name: loaded.append(name) or again)
    loud = np.tile(np.sin(np.arange(44100) / 3.0)[:, None], (1, 2)).astype(np.float32)   # a sine near 0 dBFS
    other, gain = engine.for_song(loud, "loud.wav")
    assert loaded == ["other"] and engine._model is None and gain == 0.0        # the LLM of `ckpt` never loaded
    assert other.loudness_note["trained_p99_lufs"] < other.loudness_note["lufs"]
    bad = dict(kw, train={"stage1_steps": 2, "stage1_cache": False})
    with pytest.raises(ConfigError, match="level_norm"):
        tiny_config(assets["ds"], assets["llm"], tmp_path / "bad", **bad)


def test_stop_after_cuts_the_same_schedule_short(assets: dict[str, Path], tmp_path: Path) -> None:
    """train.stop_after: stage 2 ends after N steps with the learning rates of the full schedule, evaluated
    and saved there (best/, resume/), and its losses are the full run's first N."""
    full = run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "full", optim={"max_steps": 4}))
    cut = run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "cut", optim={"max_steps": 4},
                                   train={"stop_after": 2}))
    lr = lambda h: [r["lr"] for r in h if r.get("stage") == 2 and "lr" in r]  # noqa: E731
    assert lr(cut.history) == lr(full.history)[:2] and losses(cut.history) == losses(full.history)[:2]
    assert [r["step"] for r in cut.history if "eval_examples" in r] == [2]
    assert cut.best is not None and cut.best["step"] == 2 and (cut.run_dir / "best" / "config.yaml").is_file()
    # what the run records says it stopped at step 2 of a 4-step schedule
    summary = json.loads((cut.run_dir / "summary.json").read_text())
    assert (summary["steps"], summary["schedule_steps"], summary["stop_after"]) == (2, 4, 2)
    assert json.loads((cut.run_dir / "checkpoint" / "meta.json").read_text())["extra"]["step"] == 2
    assert json.loads((full.run_dir / "summary.json").read_text())["steps"] == 4
    with pytest.raises(ConfigError, match="stop_after"):
        tiny_config(assets["ds"], assets["llm"], tmp_path / "bad", train={"stop_after": 0})


def test_init_from_starts_with_the_checkpoint_weights(assets: dict[str, Path], tmp_path: Path) -> None:
    """init_from loads every trained weight of a checkpoint; init_skip leaves the named part as a fresh
    model of the same seed has it (the first run trains the head in stage 1, so the two differ)."""
    from mixbuddy.train import trainer

    first = run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "a", optim={"max_steps": 2},
                                     train={"stage1_steps": 2}))
    ckpt = first.run_dir / "checkpoint"
    run = trainer.Run(tiny_config(assets["ds"], assets["llm"], tmp_path / "b", train={"init_from": str(ckpt)}))
    saved = load_checkpoint(ckpt)
    pairs = list(zip(sorted(run.model.named_parameters()), sorted(saved.named_parameters())))
    assert pairs and any(k.startswith("stack.aux_head.") for (k, _), _ in pairs)
    for (k, a), (k2, b) in pairs:
        assert k == k2 and torch.equal(a, b), k
    fresh = trainer.Run(tiny_config(assets["ds"], assets["llm"], tmp_path / "c"))
    assert not torch.equal(fresh.model.stack.verdict, saved.stack.verdict)
    fresh_head = fresh.model.stack.aux_head.state_dict()
    saved_head = saved.stack.aux_head.state_dict()
    assert fresh_head.keys() == saved_head.keys()
    # precondition: the first run moved the head (stage 1) and fitted its level standardisation
    assert any(not torch.equal(fresh_head[k], saved_head[k]) for k, _ in saved.stack.aux_head.named_parameters())
    assert not torch.equal(fresh_head["level_mean"], saved_head["level_mean"])
    skip = trainer.Run(tiny_config(assets["ds"], assets["llm"], tmp_path / "d",
                                   train={"init_from": str(ckpt), "init_skip": ["stack.aux_head"]}))
    assert torch.equal(skip.model.stack.verdict, saved.stack.verdict)            # taken from the checkpoint
    skip_head = skip.model.stack.aux_head.state_dict()
    assert skip_head.keys() == fresh_head.keys()
    for k in fresh_head:                                                          # left fresh, buffers too
        assert torch.equal(skip_head[k], fresh_head[k]), k


def test_stage2_freeze_keeps_the_stage1_head(assets: dict[str, Path], tmp_path: Path) -> None:
    """A levels-only head trained in stage 1 and frozen in stage 2: stage 2 moves LoRA and the verdict but
    leaves every head weight as stage 1 left it; the head still lands in the checkpoint; a prefix that
    matches nothing is refused."""
    from mixbuddy.train import trainer

    aux = {"audio": {"aux": {"source": "levels", "verdict_tokens": 3, "verdict_init": "text"}}}
    common = dict(model=aux, train={"stage1_steps": 3, "stage2_freeze": ["stack.aux_head"]}, optim={"max_steps": 2})
    run = trainer.Run(tiny_config(assets["ds"], assets["llm"], tmp_path / "run", **common))
    snaps: dict[int, dict] = {}
    stage = trainer.Run.stage

    def spy(self, n, total, lr, module):
        stage(self, n, total, lr, module)
        snaps[n] = {k: v.detach().clone() for k, v in self.model.named_parameters() if v.requires_grad}

    trainer.Run.stage = spy
    try:
        run.run()
    finally:
        trainer.Run.stage = stage
    head = [k for k in snaps[1] if k.startswith("stack.aux_head.")]
    assert head and all(torch.equal(snaps[1][k], snaps[2][k]) for k in head)
    assert not torch.equal(snaps[1]["stack.verdict"], snaps[2]["stack.verdict"])
    lora = [k for k in snaps[1] if "lora_B" in k]
    assert lora and any(not torch.equal(snaps[1][k], snaps[2][k]) for k in lora)
    saved = load_checkpoint(run.run_dir / "checkpoint")
    assert torch.equal(dict(saved.named_parameters())[head[0]], snaps[2][head[0]])
    bad = tiny_config(assets["ds"], assets["llm"], tmp_path / "bad", train={"stage2_freeze": ["stack.nothing"]})
    with pytest.raises(ConfigError, match="matches no trainable parameter"):
        run_training(bad)


def test_stems_mode_two_stages(assets: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config(assets["ds"], assets["llm"], tmp_path / "run", model={"input_mode": "stems"},
                      optim={"max_steps": 2}, train={"stage1_steps": 3})
    assert cfg.model.audio.aux.clips == ["bass", "drums", "other", "vocals"]
    res = run_training(cfg)
    assert len(losses(res.history, 1)) == 3 and len(losses(res.history, 2)) == 2
    stage1_eval = [r for r in res.history if r["stage"] == 1 and "eval_examples" in r]
    assert stage1_eval and "eval_aux_accuracy" in stage1_eval[0] and "eval_lm_loss" not in stage1_eval[0]
    recs, audio = _val_inputs(res.model, assets["ds"], 2)
    del audio[0]["other"]                                               # a missing stem is silence
    out = res.model.generate(audio, [r.instruction for r in recs], [r.anchor for r in recs])
    assert len(out) == 2 and all(0 <= r.p_error <= 1 for r in out)
    again = load_checkpoint(res.run_dir / "checkpoint").generate(audio, [r.instruction for r in recs],
                                                                   [r.anchor for r in recs])
    assert again == out


def test_same_seed_same_curve_with_and_without_workers(assets: dict[str, Path], tmp_path: Path) -> None:
    runs = []
    for i, (workers, seed) in enumerate(((0, 0), (1, 0), (0, 1))):    # the third run differs only in its seed
        cfg = tiny_config(assets["ds"], assets["llm"], tmp_path / f"run{i}", optim={"max_steps": 3},
                          train={"num_workers": workers, "stage1_steps": 2, "seed": seed},
                          model={"audio": {"projector": {"dropout": 0.1}}, "llm": {"lora": {"dropout": 0.1}}})
        runs.append(run_training(cfg))
    a, b, c = (losses(r.history, 1) + losses(r.history, 2) for r in runs)
    assert len(a) == 5 and a == b
    assert len(c) == 5 and all(x != y for x, y in zip(a, c))          # train.seed reaches every step


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_processes(assets: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config(assets["ds"], assets["llm"], tmp_path / "run", optim={"max_steps": 2, "batch_size": 2},
                      train={"threads": 1})
    save_config(cfg, tmp_path / "cfg.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), "-m", "mixbuddy", "train", "--config", str(tmp_path / "cfg.yaml")]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] == 2
    rows = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "eval_examples" not in r] == [1, 2]
    assert [r["eval_examples"] for r in rows if "eval_examples" in r] == [6]   # both shards counted once
    loaded = load_checkpoint(tmp_path / "run" / "checkpoint")
    from mixbuddy.model.mixbuddy_model import MixbuddyModel

    torch.manual_seed(cfg.train.seed)                                # the untrained model the run started from
    start = dict(MixbuddyModel.build(cfg.model).named_parameters())
    trained = dict(loaded.named_parameters())
    lora = [k for k in trained if "lora_B" in k]
    assert start.keys() == trained.keys() and lora
    assert torch.all(torch.stack([start[k].abs().sum() for k in lora]) == 0)   # LoRA B starts at zero...
    assert any(trained[k].abs().sum() > 0 for k in lora)                        # ...and the 2 steps moved it
    assert not torch.equal(trained["stack.verdict"], start["stack.verdict"])
    # the checkpoint is the model that answered the step-2 evaluation inside the main process
    ev = tmp_path / "run" / "eval" / "step-2"
    recs = load_recipes(ev / "dataset.jsonl")
    preds = [json.loads(x) for x in (ev / "predictions.jsonl").read_text().splitlines()]
    assert len(recs) == len(preds) == 6 and [p["id"] for p in preds] == [r.id for r in recs]
    from mixbuddy.data.render import open_renderer

    ds = RecipeDataset(recs, open_renderer(assets["ds"] / "validation.jsonl", loaded.sample_rate, 1),
                       loaded.alm.prompts, loaded.input_mode, loaded.clip_names, loaded.clip_samples,
                       loaded.num_tokens(loaded.clip_samples), seed=cfg.train.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                                         # as the torchrun processes ran
    try:
        again = loaded.generate([ds.audio(i) for i in range(len(recs))], [r.instruction for r in recs],
                                [r.anchor for r in recs], system=[r.system for r in recs], batch_size=2)
    finally:
        torch.set_num_threads(threads)
    assert [g.text for g in again] == [p["text"] for p in preds]
    assert [g.p_error for g in again] == pytest.approx([p["confidence"] for p in preds], abs=1e-5)


def test_bad_configs_are_clear_errors(assets: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    default = REPO / "configs" / "default.yaml"
    cfg = load_train_config(default)
    assert cfg.model.audio.encoder.kind == "mel" and cfg.train.stage1_steps > 0 and cfg.optim.batch_size == 8
    # each message names the --set that broke the rule, so match the rule's own words, not the key's
    with pytest.raises(ConfigError, match=r"optim: unknown key 'learning_rate'; valid keys: \['batch_size'"):
        load_train_config(default, ["optim.learning_rate=1e-3"])
    with pytest.raises(ConfigError, match=r"aux.verdict needs the aux head \(aux.enabled: true\)$"):
        load_train_config(default, ["model.audio.aux.enabled=false"])
    with pytest.raises(ConfigError, match="train.stage1_steps > 0 trains the audio side on the aux loss: enable "
                                          "model.audio.aux$"):
        load_train_config(default, ["model.audio.aux.enabled=false", "model.audio.aux.verdict=false"])
    with pytest.raises(ConfigError, match=r"optim.scheduler must be one of \['cosine', 'linear', 'constant'\], "
                                          r"got 'step'$"):
        load_train_config(default, ["optim.scheduler=step"])
    with pytest.raises(ConfigError, match="train.select_metric joint_accuracy needs train.eval_generate >= 1$"):
        load_train_config(default, ["train.select_metric=joint_accuracy", "train.eval_generate=0"])
    with pytest.raises(ConfigError, match="key.path=value"):
        load_train_config(default, ["optim.lr"])
    assert main(["train", "--config", str(default), "--set", "model.input_mode=multitrack", "--check"]) == 1
    assert "model.input_mode must be one of ['mix', 'stems'], got 'multitrack'" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "missing.yaml")]) == 1
    assert f"{tmp_path / 'missing.yaml'}: config file not found" in capsys.readouterr().err
    (tmp_path / "broken.yaml").write_text("optim:\n  lr: 1\n   batch_size: 2\n")
    assert main(["train", "--config", str(tmp_path / "broken.yaml")]) == 1   # one line: where and what, no excerpt
    assert capsys.readouterr().err.endswith(f"{tmp_path / 'broken.yaml'}: invalid YAML at line 3, column 14: "
                                            "mapping values are not allowed here\n")
    with pytest.raises(ConfigError, match=r"^--set optim.lr=\[1: value is not valid YAML \(line 1, column 3: "
                                          r"expected ',' or '\]', but got '<stream end>'"):
        load_train_config(default, ["optim.lr=[1"])
    bad = tiny_config(assets["ds"], assets["llm"], tmp_path / "run", optim={"batch_size": 64}, train={"threads": 3})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.raises(DataError, match=r"^8 training recipes cannot fill one batch of 64 x 1 process\(es\); "
                                            r"lower optim.batch_size"):
            run_training(bad)
        assert torch.get_num_threads() == 3                           # train.threads was applied before the error
    finally:
        torch.set_num_threads(threads)


def test_resume_continues_the_same_curve(assets: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run interrupted after its step-2 save and resumed gives the same stage-2 losses as an uninterrupted one."""
    from mixbuddy.train import trainer

    sections = {"optim": {"max_steps": 4}, "train": {"save_steps": 2}}
    full = losses(run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "full", **sections)).history)
    assert len(full) == 4

    original = trainer.Run._log

    def crash_at_step_3(self, row):
        if row.get("stage") == 2 and row.get("step") == 3 and "loss" in row:
            raise KeyboardInterrupt("simulated interruption")
        original(self, row)

    cfg = tiny_config(assets["ds"], assets["llm"], tmp_path / "cut", **sections)
    monkeypatch.setattr(trainer.Run, "_log", crash_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        run_training(cfg)
    monkeypatch.setattr(trainer.Run, "_log", original)
    resumed = run_training(cfg, resume=True)
    assert losses(resumed.history) == full[2:]


def test_calibrate_then_export_with_the_threshold(assets: dict[str, Path], tmp_path: Path, capsys) -> None:
    """`mixbuddy calibrate` scores the head's hard decision along the threshold grid on validation and picks
    the highest threshold within the tolerance of the best joint accuracy; `mixbuddy export --threshold`
    stores it, and the reloaded model's verdict uses it."""
    from mixbuddy.predict.calibrate import GRID, choose

    rows = [{"threshold": t, "joint": j} for t, j in [(0.0, 60.0), (0.5, 61.0), (0.6, 60.6), (0.7, 60.4), (0.8, 55.0)]]
    assert choose(rows)["threshold"] == 0.6 and choose(rows, tolerance=0.7)["threshold"] == 0.7
    res = run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "run", optim={"max_steps": 0},
                                   train={"stage1_steps": 2}))
    ckpt = res.run_dir / "checkpoint"
    out = tmp_path / "cal.json"
    assert main(["calibrate", "--checkpoint", str(ckpt), "--dataset", str(assets["ds"] / "validation.jsonl"),
                 "-o", str(out), "--no-progress"]) == 0
    cal = json.loads(out.read_text())
    n_val = len(load_recipes(assets["ds"] / "validation.jsonl"))
    assert cal["records"] == n_val and [r["threshold"] for r in cal["curve"]] == GRID
    assert cal["rule"]["threshold"] == 0.0 and cal["chosen"] == choose(cal["curve"])
    no_error = [r["no_error"] for r in cal["curve"][1:]]
    assert no_error == sorted(no_error)                                # a higher threshold only adds "balanced"
    assert "chosen threshold" in capsys.readouterr().out
    th = cal["chosen"]["threshold"]
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(tmp_path / "exp"), "--threshold", str(th)]) == 0
    made = json.loads((tmp_path / "exp" / "meta.json").read_text())["extra"]["source_meta"]
    assert made["dataset"] == str(assets["ds"]) and made["train_records"] > 0 and made["seed"] == 0
    assert f"**Training data**: `{assets['ds']}` ({made['train_records']} training recipes, seed 0)." in \
        (tmp_path / "exp" / "README.md").read_text()
    assert load_checkpoint(tmp_path / "exp").stack.threshold == th
    # `mixbuddy predict` then `mixbuddy evaluate` on the exported model, nothing stood in for
    test_ds = assets["ds"] / "test.jsonl"
    test_ids = [r.id for r in load_recipes(test_ds)]
    args = ["predict", "--checkpoint", str(tmp_path / "exp"), "--dataset", str(test_ds), "--limit", "3",
            "--batch-size", "2", "--no-progress", "-o"]
    assert main([*args, str(tmp_path / "p1.jsonl")]) == 0 and main([*args, str(tmp_path / "p2.jsonl")]) == 0
    rows = [json.loads(x) for x in (tmp_path / "p1.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == test_ids[:3] and all(0.0 <= r["confidence"] <= 1.0 for r in rows)
    assert (tmp_path / "p1.jsonl").read_bytes() == (tmp_path / "p2.jsonl").read_bytes()    # same command, same bytes
    info = json.loads((tmp_path / "p1.jsonl.json").read_text())
    name, digest = info["model"].rsplit("@", 1)
    assert info["records"] == 3 and name == str(tmp_path / "exp") and len(digest) == 16 and int(digest, 16) >= 0
    assert main([*args, str(tmp_path / "p1.jsonl")]) == 0
    assert "3 predictions (0 new, 3 reused)" in capsys.readouterr().out
    assert main(["evaluate", "--predictions", str(tmp_path / "p1.jsonl"), "--dataset", str(test_ds), "-o",
                 str(tmp_path / "rep"), "--bootstrap", "0", "--allow-missing"]) == 0
    metrics = json.loads((tmp_path / "rep" / "metrics.json").read_text())
    assert metrics["n"] == len(test_ids) and (tmp_path / "rep" / "report.md").is_file()
    assert main(["export", "--checkpoint", str(ckpt), "-o", str(tmp_path / "head"), "--threshold", "0.9",
                 "--base", "../exp"]) == 0                          # derived: the head and threshold only
    assert json.loads((tmp_path / "head" / "base.json").read_text())["replaces"] == ["stack.aux_head"]
    assert load_checkpoint(tmp_path / "head").stack.threshold == 0.9
    soft = run_training(tiny_config(assets["ds"], assets["llm"], tmp_path / "soft", optim={"max_steps": 0},
                                    train={"stage1_steps": 1}, model={"audio": {"aux": {"verdict_mode": "soft"}}}))
    assert main(["export", "--checkpoint", str(soft.run_dir / "checkpoint"), "-o", str(tmp_path / "x"),
                 "--threshold", "0.5"]) != 0
    assert "hard verdict" in capsys.readouterr().err

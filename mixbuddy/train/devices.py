"""Which GPU a run uses, how long its processes wait for each other, and the random state a resume restores.

Kept apart from the training loop so that each piece can be checked on a machine without a GPU (the CUDA
calls are looked up at call time, so a test can stand in for them).
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import torch

from ..errors import ConfigError
from ..model.config import parse_device_name

PROCESS_GROUP_TIMEOUT = timedelta(hours=2)
"""How long processes wait at a barrier. The main process alone generates the evaluation answers
(``train.eval_generate``) while the others wait; with a 7B model that can pass the default 10 minutes."""


def pin_cuda_device(name: str) -> None:
    """Make ``cuda:N`` the current device of a single-process run, so that the model, the 4-bit weights
    (placed on the current device) and accelerate all use GPU N, not GPU 0. Under torchrun every process takes
    the GPU of its local rank, so an index there is refused."""
    kind, index = parse_device_name(name, "train.device")
    if kind != "cuda" or index is None or not torch.cuda.is_available():
        return
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError(f"train.device {name}: under torchrun each process uses the GPU of its local rank; set "
                          "train.device: cuda (or auto) and choose the GPUs with CUDA_VISIBLE_DEVICES")
    torch.cuda.set_device(index)


def accelerator_kwargs() -> list[Any]:
    from accelerate.utils import DistributedDataParallelKwargs, InitProcessGroupKwargs

    return [DistributedDataParallelKwargs(find_unused_parameters=True),
            InitProcessGroupKwargs(timeout=PROCESS_GROUP_TIMEOUT)]


def rng_state() -> dict[str, Any]:
    """The random state a resume needs: the CPU generator, and the current GPU's (dropout and the verdict draw
    use it when the model is on CUDA)."""
    state = {"torch_rng": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda_rng"] = torch.cuda.get_rng_state()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch_rng"])
    if state.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda_rng"])

"""mixbuddy/train/devices.py: the GPU a run uses, the process-group timeout and the random state of a resume.
No GPU here: the CUDA calls are stood in for (the environment is faked, the code under test runs)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import torch

from mixbuddy.errors import ConfigError
from mixbuddy.train import devices


@pytest.fixture
def fake_cuda(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: calls.append(("set_device", i)))
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda: torch.tensor([7], dtype=torch.uint8))
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda s: calls.append(("set_rng_state", s.tolist())))
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    return calls


def test_an_indexed_gpu_becomes_the_current_device_of_a_single_process_run(fake_cuda, monkeypatch):
    for name in ("cuda", "auto", "cpu"):
        devices.pin_cuda_device(name)
    assert fake_cuda == []                               # nothing to pin: accelerate's choice stands
    devices.pin_cuda_device("cuda:1")
    assert fake_cuda == [("set_device", 1)]
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ConfigError, match=r"train.device cuda:1: under torchrun each process uses the GPU of its "
                                          r"local rank; set train.device: cuda .* CUDA_VISIBLE_DEVICES"):
        devices.pin_cuda_device("cuda:1")


def test_a_machine_without_cuda_pins_nothing(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: pytest.fail("set_device called"))
    devices.pin_cuda_device("cuda:1")


def test_the_resume_state_holds_the_gpu_generator_too(fake_cuda):
    state = devices.rng_state()
    assert state["cuda_rng"].tolist() == [7]
    a = torch.rand(3)
    devices.restore_rng(state)
    assert torch.equal(torch.rand(3), a) and fake_cuda == [("set_rng_state", [7])]


def test_the_cpu_resume_state_round_trips_and_old_states_still_load(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    state = devices.rng_state()
    assert set(state) == {"torch_rng"}
    a = torch.rand(3)
    devices.restore_rng({"torch_rng": state["torch_rng"]})   # a state.pt written before the GPU generator was kept
    assert torch.equal(torch.rand(3), a)


def test_processes_wait_longer_than_the_default_ten_minutes():
    ddp, group = devices.accelerator_kwargs()
    assert ddp.find_unused_parameters and group.timeout == timedelta(hours=2)

"""MLP projector from audio-token width to LLM width, with named presets.

``paper`` (MixingBuddy-gain): in -> 2048 -> 4096 -> 4096 -> 2048 -> out; each hidden layer is
Linear -> GELU -> LayerNorm -> Dropout(0.1), the last layer a plain Linear, no residuals
(1024 -> ... -> 3584: 43,032,064 parameters). ``linear``: one Linear. ``mlp2``: Linear -> act -> Linear
with hidden width = out (LLaVA-1.5). ``custom``: ``hidden_sizes`` as configured.
"""
from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from ..errors import ConfigError
from .audio_config import ProjectorConfig

PAPER_HIDDEN = (2048, 4096, 4096, 2048)
_ACT = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh}


def preset_hidden_sizes(preset: str, out_dim: int) -> tuple[int, ...]:
    """Hidden widths of a preset (``custom`` has none of its own)."""
    if preset == "paper":
        return PAPER_HIDDEN
    if preset == "linear":
        return ()
    if preset == "mlp2":
        return (out_dim,)
    raise ConfigError(f"projector preset {preset!r} has no built-in sizes; give projector.hidden_sizes")


class Projector(nn.Module):
    """Linear -> act -> [LayerNorm] -> [Dropout] per hidden width, then Linear to ``out_dim``."""

    def __init__(self, in_dim: int, out_dim: int, hidden_sizes: Sequence[int] = PAPER_HIDDEN,
                 activation: str = "gelu", layernorm: bool = True, dropout: float = 0.1):
        super().__init__()
        if activation not in _ACT:
            raise ConfigError(f"projector activation must be one of {sorted(_ACT)}, got {activation!r}")
        self.in_dim, self.out_dim = int(in_dim), int(out_dim)
        self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
        layers: list[nn.Module] = []
        prev = self.in_dim
        for h in self.hidden_sizes:
            layers += [nn.Linear(prev, h), _ACT[activation]()]
            if layernorm:
                layers.append(nn.LayerNorm(h))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            prev = h
        layers.append(nn.Linear(prev, self.out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    @property
    def dims(self) -> tuple[int, ...]:
        """(in, hidden..., out) widths, e.g. (1024, 2048, 4096, 4096, 2048, 3584) for the paper preset."""
        return (self.in_dim, *self.hidden_sizes, self.out_dim)


def build_projector(cfg: ProjectorConfig, in_dim: int, out_dim: int) -> Projector:
    """The projector a config describes; ``hidden_sizes`` overrides the preset's widths."""
    hidden = cfg.hidden_sizes if cfg.hidden_sizes is not None else preset_hidden_sizes(cfg.preset, out_dim)
    if cfg.preset == "linear" and cfg.hidden_sizes:
        raise ConfigError("projector.preset 'linear' takes no hidden_sizes (use 'custom')")
    return Projector(in_dim, out_dim, hidden, cfg.activation, cfg.layernorm, cfg.dropout)

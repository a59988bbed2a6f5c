"""Audio encoders behind one interface (:class:`AudioEncoder`): ``mel`` (built-in) and ``hf``/``mert``."""
from __future__ import annotations

from ..audio_config import EncoderConfig
from .base import AudioEncoder, conv_out_len, lengths_to_mask
from .mel import LogMel, MelEncoder, mel_filterbank

__all__ = ["AudioEncoder", "MelEncoder", "LogMel", "mel_filterbank", "build_encoder", "conv_out_len",
           "lengths_to_mask"]


def build_encoder(cfg: EncoderConfig, device=None) -> AudioEncoder:
    """The encoder named by ``cfg.kind`` (the HF one is imported lazily: it needs transformers); ``device``,
    where the model will run, settles an HF encoder's dtype "auto"."""
    if cfg.kind == "mel":
        return MelEncoder(cfg.mel)
    from .hf import HFEncoder

    return HFEncoder(cfg.hf, kind=cfg.kind, device=device)

"""Configuration of the whole audio-language model (``ModelConfig``): audio side + LLM + input mode.

``input_mode``:
  * ``mix``   - one clip per example, the flawed mix (the paper's setting);
  * ``stems`` - one clip per stem, in the fixed order ``audio.aux.clips`` (default: all of ``STEMS``);
    a stem a song lacks is fed as silence.

The sample rate is not configured here: it is the encoder's (16 kHz for the mel encoder's
default, the feature extractor's rate for a Hugging Face encoder, 24 kHz for MERT) and is exposed
as ``MixbuddyModel.sample_rate``; audio handed to the model must be mono at that rate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..constants import STEMS
from .audio_config import AudioConfig
from .config import LLMConfig

INPUT_MODES = ("mix", "stems")


@dataclass
class ModelConfig:
    """Everything needed to rebuild the model's architecture (saved as ``config.yaml`` in checkpoints).

    clip_seconds:   length of the audio clips the model is trained on (recipes' window length).
    max_new_tokens: default generation budget (an answer is one or two sentences, ~40 tokens).
    """

    audio: AudioConfig = field(default_factory=AudioConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    input_mode: str = "mix"
    clip_seconds: float = 10.0
    max_new_tokens: int = 64

    def __post_init__(self) -> None:
        if self.input_mode not in INPUT_MODES:
            raise ValueError(f"model.input_mode must be one of {list(INPUT_MODES)}, got {self.input_mode!r}")
        if not self.clip_seconds > 0:
            raise ValueError(f"model.clip_seconds must be > 0, got {self.clip_seconds}")
        if self.max_new_tokens < 1:
            raise ValueError(f"model.max_new_tokens must be >= 1, got {self.max_new_tokens}")
        clips = list(self.audio.aux.clips)
        if self.input_mode == "mix" and clips != ["mix"]:
            raise ValueError(f"model.input_mode 'mix' feeds one clip named 'mix', but audio.aux.clips is {clips}; "
                             "set audio.aux.clips: [mix] (or input_mode: stems)")
        if self.input_mode == "stems":
            if clips == ["mix"]:          # the AuxHeadConfig default: use every stem, canonical order
                self.audio.aux.clips = list(STEMS)
            elif "mix" in clips:
                raise ValueError(f"model.input_mode 'stems' feeds stems only; audio.aux.clips {clips} names 'mix'")

    @property
    def clip_names(self) -> list[str]:
        """The clips of one example, in model order: ``["mix"]`` or the stems of ``audio.aux.clips``."""
        return ["mix"] if self.input_mode == "mix" else list(self.audio.aux.clips)

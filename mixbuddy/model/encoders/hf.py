"""A frozen Hugging Face audio model (wav2vec2 family, e.g. MERT-v1-330M) with learnable layer mixing.

Everything except the softmax weights over hidden states is frozen: the backbone's parameters
have ``requires_grad=False``, it stays in eval mode even when the parent calls ``.train()``, and
its forward runs under ``torch.no_grad``. One backbone call per batch; all preprocessing is
tensor arithmetic on the input's device.

Preprocessing matches ``Wav2Vec2FeatureExtractor`` (used by MERT, HuBERT, wav2vec2): with
``do_normalize`` each clip is normalised over its valid samples to zero mean / unit variance
(``(x - mean) / sqrt(var + 1e-7)``, population variance) and padding is set to 0. Note that this
erases the clip's absolute level (relative levels between stems survive); a +6 dB louder mix gives
the same input. Frames: the conv feature extractor's ``conv_kernel``/``conv_stride`` without padding,
``F = floor((n - k) / s) + 1`` per layer (749 frames for 10 s at 24 kHz with MERT).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ...errors import ConfigError
from ..audio_config import MERT_ID, HFEncoderConfig
from .base import AudioEncoder, compose_num_frames, conv_out_lens, lengths_to_mask, nominal_rate

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _load(cfg: HFEncoderConfig, device: str | torch.device | None = None) -> tuple[nn.Module, Any]:
    """The backbone and its feature extractor (None when it has none). dtype "auto": bfloat16 when the model
    is built on CUDA (``device``; without one, when CUDA is present), else float32."""
    from transformers import AutoFeatureExtractor, AutoModel

    on_cuda = torch.device(device).type == "cuda" if device is not None else torch.cuda.is_available()
    dtype = _DTYPES.get(cfg.dtype, torch.bfloat16 if on_cuda else torch.float32)
    kw = dict(trust_remote_code=cfg.trust_remote_code, local_files_only=cfg.local_files_only)
    try:
        model = AutoModel.from_pretrained(cfg.name_or_path, dtype=dtype, **kw)
    except ValueError as e:
        if not cfg.trust_remote_code and "trust_remote_code" in str(e):
            raise ConfigError(f"{cfg.name_or_path}: this model ships its own code; set encoder.hf.trust_remote_code: "
                              f"true to run it (MERT needs this) after checking the repository") from None
        raise ConfigError(f"{cfg.name_or_path}: cannot load the audio model ({e})") from None
    except OSError as e:
        raise ConfigError(f"{cfg.name_or_path}: model not found ({e}); download it first or give a local "
                          f"directory (local_files_only={cfg.local_files_only})") from None
    try:
        fe = AutoFeatureExtractor.from_pretrained(cfg.name_or_path, **kw)
    except (OSError, ValueError):
        fe = None  # no preprocessor_config.json: use the config's values / defaults
    return model, fe


class _LayerTaps:
    """The hidden states as transformers' own wav2vec2-family models return them (the first encoder layer's
    input, then every layer's output), taken with hooks. For models whose own code calls the encoder directly:
    MERT's ``forward`` does, and under transformers 5 (hidden states gathered by the top model's wrapper) it
    returns none."""

    def __init__(self, backbone: nn.Module):
        self.layers = getattr(getattr(backbone, "encoder", None), "layers", None)
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.handles: list[Any] = []

    def __enter__(self) -> "_LayerTaps":
        if self.layers is not None and len(self.layers):
            self.handles.append(self.layers[0].register_forward_pre_hook(self._pre, with_kwargs=True))
            self.handles += [layer.register_forward_hook(self._post) for layer in self.layers]
        return self

    def __exit__(self, *exc) -> None:
        for h in self.handles:
            h.remove()

    def _pre(self, module, args, kwargs) -> None:
        self.inputs.append(args[0] if args else kwargs["hidden_states"])

    def _post(self, module, args, output) -> None:
        self.outputs.append(output[0] if isinstance(output, tuple) else output)

    def states(self, name: str) -> list[Tensor]:
        if self.layers is None or len(self.inputs) != 1 or len(self.outputs) != len(self.layers):
            raise ConfigError(f"{name}: the audio model returns no hidden states and has no encoder.layers to "
                              "take them from (layer drop must be off: the backbone runs in eval mode)")
        return [self.inputs[0], *self.outputs]


class HFEncoder(AudioEncoder):
    """Frozen wav2vec2-family backbone; output = softmax(w) . hidden_states (all layers by default)."""

    def __init__(self, cfg: HFEncoderConfig | None = None, kind: str = "hf", device: str | torch.device | None = None):
        super().__init__()
        cfg = cfg or HFEncoderConfig()
        if kind == "mert" and not cfg.trust_remote_code and cfg.name_or_path == MERT_ID:
            raise ConfigError(f"encoder kind 'mert' loads {MERT_ID}, whose model code lives in its repository: "
                              "set encoder.hf.trust_remote_code: true")
        self.cfg = cfg
        model, fe = _load(cfg, device)
        mcfg = model.config
        kernels, strides = getattr(mcfg, "conv_kernel", None), getattr(mcfg, "conv_stride", None)
        if kernels is None or strides is None:
            raise ConfigError(f"{cfg.name_or_path}: not a wav2vec2-family model (no conv_kernel/conv_stride "
                              f"in its config); only raw-waveform conv front ends are supported")
        self._stages = [(int(k), int(s), 0) for k, s in zip(kernels, strides)]
        self.sample_rate = int(cfg.sample_rate or getattr(fe, "sampling_rate", 0) or 16000)
        self.normalize = bool(cfg.normalize if cfg.normalize is not None else getattr(fe, "do_normalize", True))
        self.pass_mask = bool(cfg.attention_mask if cfg.attention_mask is not None
                              else getattr(fe, "return_attention_mask", False))
        self.out_dim = int(mcfg.hidden_size)
        self.frame_rate = nominal_rate(self.sample_rate, [s for _, s, _ in self._stages])
        self.trainable = True  # the layer weights
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        self.backbone = model
        n_states = int(mcfg.num_hidden_layers) + 1
        self.layers = list(cfg.layers) if cfg.layers is not None else list(range(n_states))
        if not self.layers or any(not -n_states <= i < n_states for i in self.layers):
            raise ConfigError(f"encoder.hf.layers {cfg.layers} out of range for {n_states} hidden states")
        self.layer_logits = nn.Parameter(torch.zeros(len(self.layers)))

    def train(self, mode: bool = True) -> "HFEncoder":
        super().train(mode)
        self.backbone.eval()  # frozen: dropout / feature-extractor randomness never on
        return self

    @property
    def layer_weights(self) -> Tensor:
        """Softmax mixing weights over the selected hidden states (sum to 1)."""
        return torch.softmax(self.layer_logits, dim=0)

    def num_frames(self, num_samples: int) -> int:
        return compose_num_frames(int(num_samples), self._stages)

    def frame_lengths(self, lengths: Tensor) -> Tensor:
        n = lengths
        for k, s, p in self._stages:
            n = conv_out_lens(n, k, s, p)
        return n

    def preprocess(self, wave: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """The feature extractor's normalisation, batched: returns (input_values, sample mask)."""
        smask = lengths_to_mask(lengths, wave.shape[1])
        x = wave.float() * smask
        if self.normalize:
            n = lengths.clamp_min(1).to(x.dtype)[:, None]
            mean = x.sum(dim=1, keepdim=True) / n
            var = ((x - mean) * smask).square().sum(dim=1, keepdim=True) / n
            x = (x - mean) / torch.sqrt(var + 1e-7) * smask
        return x, smask

    def forward(self, wave: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        lengths = self.check_input(wave, lengths)
        if wave.shape[1] < self._stages[0][0]:
            raise ValueError(f"clip of {wave.shape[1]} samples is shorter than the encoder's receptive field")
        x, smask = self.preprocess(wave, lengths)
        param = next(self.backbone.parameters())
        with torch.no_grad(), _LayerTaps(self.backbone) as taps:
            out = self.backbone(x.to(param.dtype), attention_mask=smask.long() if self.pass_mask else None,
                                output_hidden_states=True, return_dict=True)
            hidden = out.hidden_states if out.hidden_states is not None else taps.states(self.cfg.name_or_path)
            states = torch.stack([hidden[i] for i in self.layers], dim=0).float()
        frames = torch.einsum("l,lbfd->bfd", self.layer_weights, states)
        mask = lengths_to_mask(self.frame_lengths(lengths), frames.shape[1])
        return frames * mask[..., None], mask

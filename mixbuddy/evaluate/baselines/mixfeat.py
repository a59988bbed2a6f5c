"""``mix-features``: hears only the flawed mix. Band-energy / loudness descriptors (:mod:`.features`)
plus the named anchor go into a gradient-boosted classifier trained on the training split; the
class probabilities feed the same joint-optimal decision as the Bayes baseline. The bar any
neural model must clear."""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from ...constants import TARGET_STEMS
from ...data.recipe import Recipe
from ...data.render import Renderer
from .bayes import answer_p, decide_from_posterior
from .common import advice_text, allowed_targets, map_records
from .features import mix_features

log = logging.getLogger(__name__)
MIN_LEAF = 20  # the classifier's min_samples_leaf (scikit-learn's default)


def label_of(r: Recipe) -> str:
    return "no_error" if r.category == "no_error" else f"{r.target}:{r.category}"


def _context(r: Recipe) -> np.ndarray:
    """What the text tells the model: which stem is the anchor and which target stems exist."""
    return np.array([float(r.anchor == s) for s in TARGET_STEMS] + [float(s in r.stems) for s in TARGET_STEMS],
                    dtype=np.float32)


def _features(renderer: Renderer, r: Recipe) -> np.ndarray:
    out = renderer.render(r)
    return np.concatenate([mix_features(out.mix, out.sample_rate), _context(r)])


def predict_mix_features(records: Sequence[Recipe], train: Sequence[Recipe], renderer: Renderer,
                         train_renderer: Renderer | None = None, seed: int = 0,
                         workers: int | None = None) -> list[dict]:
    X = np.stack(map_records(_features, train_renderer or renderer, train, workers, desc="train features"))
    y = np.array([label_of(r) for r in train])
    if len(train) < 2 * MIN_LEAF:
        log.warning("mix-features: %d training records cannot be split into leaves of %d: the classifier will only "
                    "repeat the training label frequencies (give a larger training split)", len(train), MIN_LEAF)
    clf = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.08, l2_regularization=1.0,
                                         early_stopping=False, random_state=seed, min_samples_leaf=MIN_LEAF)
    clf.fit(X, y)
    Xt = np.stack(map_records(_features, renderer, records, workers, desc="test features"))
    proba = clf.predict_proba(Xt)
    classes = list(clf.classes_)
    out = []
    for r, p in zip(records, proba):
        targets = allowed_targets(r)
        post = {c: float(v) for c, v in zip(classes, p) if c == "no_error" or c.split(":")[0] in targets}
        z = sum(post.values()) or 1.0
        post = {k: v / z for k, v in post.items()}
        d = decide_from_posterior(post, targets)
        out.append({"id": r.id, "text": advice_text(r, d.no_error, d.target, d.category, seed),
                    "confidence": round(d.p_error, 6), "p_answer": answer_p(d)})
    return out

"""The Bayes decision behind the ``loudness-stems`` baseline.

Model. For one chunk, let ``L`` be the BS.1770 loudness (LUFS) of each stem as the song's mixer left
it. Songs differ in overall level and in balance, so we describe a chunk by the *contrasts*
``x = L[s] - L[ref]`` (differences to a reference stem, which removes the overall level) and model them
as Gaussian, ``x ~ N(m, C)``, fitted on the training split. A flaw adds ``g`` dB to the target stem,
so the observed contrasts are ``x + g * d_t`` with ``d_t = P e_t``. With ``g`` uniform within the
category's interval, the likelihood of hypothesis (target t, category c) is

    p(x | t, c) = mean over a fine grid of g in c of N(x - g d_t; m, C)

and ``no_error`` is the point ``g = 0``. Priors follow the test protocol: categories equally likely,
targets uniform over the allowed targets (all target stems present except the anchor). The decision
that maximises *joint* (stem + direction) accuracy compares P(no error) with P(t, direction) summed over
the categories of that direction; the range is then the most probable category of the chosen pair.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ...constants import CATEGORIES, CATEGORY_BY_NAME, STEMS, TARGET_STEMS
from ...errors import DataError
from ...findings import Finding, answer_probability

GRID_STEP_DB = 0.05
MIN_FIT_CHUNKS = 3  # chunks with a stem active needed to estimate its mean and (co)variance


class TooFewChunksError(DataError, ValueError):
    """Too few training chunks to fit the balance prior (a DataError for the CLI; a ValueError as before)."""


@dataclass
class GaussianBalance:
    """Mean and covariance of per-stem loudness (LUFS), fitted on clean training chunks.

    Stored over all four stems (absolute LUFS); contrasts for any subset of present stems are
    derived on the fly, so a chunk missing a stem is handled by marginalisation.
    """

    stems: tuple[str, ...] = STEMS
    mean: np.ndarray = field(default_factory=lambda: np.zeros(len(STEMS)))
    cov: np.ndarray = field(default_factory=lambda: np.eye(len(STEMS)))
    n: int = 0

    @classmethod
    def fit(cls, loudness: np.ndarray, stems: tuple[str, ...] = STEMS, shrink: float = 1e-3) -> "GaussianBalance":
        """Fit from an (n_chunks, n_stems) array of LUFS; NaN marks a missing/inactive stem.

        Pairwise-complete estimates: each mean/covariance entry uses the chunks where both stems exist. Such a
        matrix need not be a covariance at all when stems are often missing (songs without a bass, say): its
        eigenvalues below the ridge (``shrink`` times the mean variance) are then raised to it, the nearest
        positive-definite matrix of that kind. A matrix that is a covariance already is left as it is.
        """
        L = np.asarray(loudness, dtype=np.float64)
        if L.ndim != 2 or L.shape[1] != len(stems):
            raise ValueError(f"loudness must be an (n_chunks, {len(stems)}) array, got shape {L.shape}")
        ok = np.isfinite(L)
        active = ok.sum(axis=0)
        if L.shape[0] == 0 or active.min() < MIN_FIT_CHUNKS:
            counts = ", ".join(f"{s} {int(n)}" for s, n in zip(stems, active))
            raise TooFewChunksError(f"need at least {MIN_FIT_CHUNKS} chunks with each stem active to fit the "
                                    f"balance prior; got {L.shape[0]} chunk(s), stem active in: {counts}")
        mean = np.array([L[ok[:, i], i].mean() for i in range(L.shape[1])])
        cov = np.zeros((L.shape[1], L.shape[1]))
        for i in range(L.shape[1]):
            for j in range(L.shape[1]):
                both = ok[:, i] & ok[:, j]
                a, b = L[both, i] - mean[i], L[both, j] - mean[j]
                cov[i, j] = (a * b).sum() / max(1, both.sum() - 1)
        ridge = shrink * np.trace(cov) / len(cov)
        cov += ridge * np.eye(len(cov))
        w, v = np.linalg.eigh(cov)
        if w.min() < ridge:                       # not positive definite (or barely): repair, see above
            cov = (v * np.maximum(w, ridge)) @ v.T
            cov = (cov + cov.T) / 2
        return cls(tuple(stems), mean, cov, int(L.shape[0]))

    def to_dict(self) -> dict:
        return {"stems": list(self.stems), "mean": self.mean.tolist(), "cov": self.cov.tolist(), "n": self.n}

    @classmethod
    def from_dict(cls, d: dict) -> "GaussianBalance":
        return cls(tuple(d["stems"]), np.asarray(d["mean"]), np.asarray(d["cov"]), int(d["n"]))

    def contrast_std(self) -> dict[str, float]:
        """Std (dB) of each stem's loudness relative to the mean of the others: the natural spread."""
        out = {}
        k = len(self.stems)
        for i, s in enumerate(self.stems):
            w = -np.ones(k) / (k - 1)
            w[i] = 1.0
            out[s] = float(np.sqrt(w @ self.cov @ w))
        return out

    def shifted_to(self, means: dict[str, float]) -> "GaussianBalance":
        """The same spread around another typical balance: each stem in ``means`` (LUFS, e.g. a reference
        song's) takes that level, the others move by the mean shift of those (only differences matter)."""
        known = {s: float(v) for s, v in means.items() if s in self.stems and np.isfinite(v)}
        if not known:
            return self
        shift = {s: v - self.mean[self.stems.index(s)] for s, v in known.items()}
        rest = float(np.mean(list(shift.values())))
        mean = np.array([m + shift.get(s, rest) for s, m in zip(self.stems, self.mean)])
        return GaussianBalance(self.stems, mean, self.cov.copy(), self.n)

    def deviations(self, loudness: dict[str, float], anchor: str) -> dict[str, tuple[float, float]]:
        """{stem: (dB, spread)}: how much louder (+) or quieter (−) than typical each active stem sits against
        the anchor, ``(L[s] − L[anchor]) − (mean[s] − mean[anchor])``, and the typical spread (std, dB) of
        that difference across songs. Empty when the anchor is inactive or unknown."""
        if anchor not in self.stems or not np.isfinite(loudness.get(anchor, np.nan)):
            return {}
        a = self.stems.index(anchor)
        out = {}
        for s in sorted(self.stems, key=lambda s: STEMS.index(s) if s in STEMS else len(STEMS)):
            v = loudness.get(s, np.nan)
            if s == anchor or not np.isfinite(v):
                continue
            k = self.stems.index(s)
            dev = (v - loudness[anchor]) - (self.mean[k] - self.mean[a])
            sd = np.sqrt(max(self.cov[k, k] + self.cov[a, a] - 2 * self.cov[k, a], 0.0))
            out[s] = (round(float(dev), 2), round(float(sd), 2))
        return out


@dataclass(frozen=True)
class Decision:
    no_error: bool
    target: str | None
    category: str
    p_error: float  # posterior probability that some stem is out of balance (the confidence)
    posterior: dict  # {"no_error": p, "<target>:<category>": p, ...}
    gain_db: float | None = None  # posterior-mean applied gain of the chosen hypothesis (None if no error)


def _grids() -> list[np.ndarray]:
    out = []
    for c in CATEGORIES:
        if not c.is_error:
            out.append(np.zeros(1))
        else:
            lo, hi = sorted((c.lo, c.hi))
            out.append(np.arange(lo + GRID_STEP_DB / 2, hi, GRID_STEP_DB))
    return out


_GRIDS = _grids()


def decide(balance: GaussianBalance, loudness: dict[str, float], targets: tuple[str, ...],
           threshold: float | None = None) -> Decision:
    """Most probable finding for one chunk given the observed (flawed) stem loudness.

    loudness: LUFS per stem present (non-finite values = inactive stem, ignored).
    targets:  the stems that may be the target (anchor already excluded).
    threshold: declare an imbalance when P(error) >= threshold; None = the joint-optimal Bayes rule.
    """
    present = [s for s in balance.stems if s in loudness and np.isfinite(loudness[s])]
    targets = tuple(t for t in targets if t in present)
    if len(present) < 2 or not targets:
        return Decision(True, None, "no_error", 0.0, {"no_error": 1.0})
    idx = [balance.stems.index(s) for s in present]
    ref = len(idx) - 1
    k = len(idx) - 1
    P = np.zeros((k, len(idx)))
    P[np.arange(k), np.arange(k)] = 1.0
    P[:, ref] -= 1.0  # contrasts to the last present stem
    m = P @ balance.mean[idx]
    C = P @ balance.cov[np.ix_(idx, idx)] @ P.T
    Ci = np.linalg.inv(C)
    x = P @ np.array([loudness[s] for s in present])

    logs: dict[str, float] = {}
    gains: dict[str, float] = {}
    n_err = sum(c.is_error for c in CATEGORIES)
    for t in targets:
        d = P[:, present.index(t)]
        for c, grid in zip(CATEGORIES, _GRIDS):
            if not c.is_error:
                continue
            r = (x - m)[None, :] - grid[:, None] * d[None, :]
            q = -0.5 * np.einsum("gi,ij,gj->g", r, Ci, r)
            w = np.exp(q - q.max())
            logs[f"{t}:{c.name}"] = np.log(w.mean()) + q.max() + np.log(0.8 / n_err / len(targets))
            gains[f"{t}:{c.name}"] = float((w * grid).sum() / w.sum())
    r0 = x - m
    logs["no_error"] = -0.5 * r0 @ Ci @ r0 + np.log(0.2)
    keys = list(logs)
    v = np.array([logs[k_] for k_ in keys])
    p = np.exp(v - v.max())
    p /= p.sum()
    d = decide_from_posterior(dict(zip(keys, p.tolist())), targets, threshold)
    if d.no_error:
        return d
    return dataclasses.replace(d, gain_db=gains[f"{d.target}:{d.category}"])


def decide_from_posterior(post: dict[str, float], targets: tuple[str, ...], threshold: float | None = None) -> Decision:
    """Joint-optimal decision from a posterior over ``no_error`` and ``"<target>:<category>"`` keys.

    Declares an imbalance when the best (target, direction) mass beats the no-error mass (or, with
    ``threshold``, when P(error) >= threshold); the range is the most probable category of that pair.
    """
    p_err = 1.0 - post.get("no_error", 0.0)
    best_pair, best_mass = None, -1.0
    for t in targets:
        for direction in ("increase", "decrease"):
            mass = sum(post.get(f"{t}:{c.name}", 0.0) for c in CATEGORIES if c.direction == direction)
            if mass > best_mass:
                best_pair, best_mass = (t, direction), mass
    declare = p_err >= threshold if threshold is not None else best_mass > post.get("no_error", 0.0)
    if best_pair is None or not declare:
        return Decision(True, None, "no_error", p_err, post)
    t, direction = best_pair
    cat = max((c for c in CATEGORIES if c.direction == direction), key=lambda c: post.get(f"{t}:{c.name}", 0.0))
    return Decision(False, t, cat.name, p_err, post)


def answer_p(d: Decision) -> float | None:
    """How likely a decision's answer is right under its own posterior (rounded for a predictions line)."""
    finding = Finding(True) if d.no_error else Finding(False, d.target, CATEGORY_BY_NAME[d.category].direction)
    p = answer_probability(d.posterior, finding, TARGET_STEMS)
    return None if p is None else round(p, 6)

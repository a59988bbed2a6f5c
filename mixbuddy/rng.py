"""Deterministic randomness: every random choice derives from (seed, key) so results do not depend
on worker count, iteration order or process."""
from __future__ import annotations

import hashlib

import numpy as np


def derive_seed(seed: int, *keys: object) -> int:
    """A 64-bit integer seed from a global seed and any number of keys (stable across runs/platforms)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(str(int(seed)).encode())
    for k in keys:
        h.update(b"\x1f")
        h.update(str(k).encode())
    return int.from_bytes(h.digest(), "little")


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A numpy Generator seeded from (seed, *keys)."""
    return np.random.default_rng(derive_seed(seed, *keys))

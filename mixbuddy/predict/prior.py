"""The balance prior of the loudness engine: a JSON file holding a Gaussian over the stems' relative
loudness (:class:`~mixbuddy.evaluate.baselines.bayes.GaussianBalance`) and how it was made.

:func:`fit_prior` fits it on the clean stems of a training dataset (``mixbuddy advise-prior``);
:func:`load_prior` reads one (the packaged default: fitted on the bundled synthetic training split), and
a file that is not one is a ConfigError naming the file and the key or field that is wrong
(:func:`prior_problem`).
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..argtypes import require_whole
from ..constants import STEMS, TWO_TRACK
from ..errors import ConfigError, MixbuddyError

DEFAULT_PRIOR = Path(__file__).with_name("data") / "balance_prior.json"
DEFAULT_TWO_TRACK_PRIOR = Path(__file__).with_name("data") / "two_track_prior.json"   # instrumental and vocals
PRIOR_FORMAT = "mixbuddy-balance-prior/1"


def _json_type(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number")


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite_numbers(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                                       for x in v)


def prior_problem(data: Any) -> str | None:
    """What is wrong with the content of a balance prior file (the key or field), or None."""
    if not isinstance(data, dict):
        return f"the file holds {_json_type(data)}, not a JSON object"
    fmt = data.get("format", PRIOR_FORMAT)
    if fmt != PRIOR_FORMAT:
        return f"'format' is {fmt!r}, expected {PRIOR_FORMAT!r}"
    missing = [k for k in ("balance", "sample_rate", "channels") if k not in data]
    if missing:
        return f"no {', '.join(repr(k) for k in missing)} key{'s' if len(missing) > 1 else ''}"
    sr, ch = data["sample_rate"], data["channels"]
    if not _whole(sr) or sr < 1:
        return f"'sample_rate' must be a rate in Hz (a whole number >= 1), got {sr!r}"
    if not _whole(ch) or ch not in (1, 2):
        return f"'channels' must be 1 or 2, got {ch!r}"
    bal = data["balance"]
    if not isinstance(bal, dict):
        return f"'balance' must be an object with stems, mean, cov and n, got {_json_type(bal)}"
    missing = [k for k in ("stems", "mean", "cov", "n") if k not in bal]
    if missing:
        return f"'balance' has no {', '.join(repr(k) for k in missing)} key{'s' if len(missing) > 1 else ''}"
    stems, mean, cov, n = bal["stems"], bal["mean"], bal["cov"], bal["n"]
    if not (isinstance(stems, list) and len(stems) >= 2 and all(isinstance(x, str) for x in stems)
            and len(set(stems)) == len(stems)):
        return f"'balance.stems' must be a list of at least 2 distinct stem names, got {stems!r}"
    unknown = [x for x in stems if x not in STEMS]
    if unknown and stems != list(TWO_TRACK):       # a two-track prior: the instrumental and the vocals
        return f"'balance.stems' names unknown stems {unknown} (known: {list(STEMS)}, or {list(TWO_TRACK)})"
    k = len(stems)
    if not (_finite_numbers(mean) and len(mean) == k):
        return f"'balance.mean' must be a list of {k} finite numbers (one per stem)"
    if not (isinstance(cov, list) and len(cov) == k and all(_finite_numbers(row) and len(row) == k for row in cov)):
        return f"'balance.cov' must be a {k}x{k} matrix (a list of {k} lists of {k} finite numbers)"
    c = np.asarray(cov, dtype=float)
    if not np.allclose(c, c.T, rtol=1e-6, atol=1e-9) or np.any(np.linalg.eigvalsh(c) <= 0):
        return "'balance.cov' is not a covariance matrix (symmetric, positive definite)"
    if not _whole(n) or n < 1:
        return f"'balance.n' must be a whole number of chunks >= 1, got {n!r}"
    return None


def load_prior(path: str | Path | None = None) -> tuple[Any, dict]:
    """(GaussianBalance, metadata) from a prior JSON file (default: the packaged one); ConfigError naming
    the file and the key or field that is wrong."""
    from ..evaluate.baselines.bayes import GaussianBalance

    path = Path(path) if path else DEFAULT_PRIOR
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give a balance prior JSON file (made by `mixbuddy advise-prior`)")
    if not path.is_file():
        raise ConfigError(f"{path}: balance prior not found (make one with `mixbuddy advise-prior`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: not a balance prior file (not valid JSON: {e})") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the balance prior ({e.strerror or e})") from None
    problem = prior_problem(data)
    if problem:
        raise ConfigError(f"{path}: not a balance prior file ({problem}; make one with `mixbuddy advise-prior`)")
    balance = GaussianBalance.from_dict(data["balance"])
    meta = {k: v for k, v in data.items() if k != "balance"}
    return balance, meta


def fit_prior(dataset: str | Path, sample_rate: int = 22050, channels: int = 2, workers: int | None = None,
              command: str = "", notes: Sequence[str] = (), two_track: bool = False) -> dict:
    """Fit the balance prior on the clean stems of every distinct chunk of a (training) dataset; with
    ``two_track``, over each chunk's instrumental (every stem but the vocals, summed) and vocals, for two-tracks.

    The result records how it was made: ``command``, free ``notes`` (e.g. the commands that built the
    corpus and dataset) and the corpus part of the dataset's ``dataset.json``.
    """
    from ..data.recipe import load_recipes
    from ..evaluate.baselines.loudness import fit_balance
    from ..data.render import open_renderer, read_manifest

    if not _whole(sample_rate) or sample_rate < 1:
        raise ConfigError(f"sample rate must be a whole number of Hz >= 1, got {sample_rate!r}")
    if channels not in (1, 2):
        raise ConfigError(f"channels must be 1 or 2, got {channels!r}")
    if workers is not None:
        require_whole(workers, "workers", 0)
    records = load_recipes(dataset)
    if not records:
        raise MixbuddyError(f"{dataset}: no records to fit a balance prior on")
    manifest = read_manifest(dataset) or {}
    renderer = open_renderer(dataset, sample_rate, channels)   # a missing dataset.json is refused here
    balance = fit_balance(records, renderer, workers, two_track=two_track)
    source = {k: manifest.get(k) for k in ("corpus", "corpus_config", "code_version", "seed")}
    return {"format": PRIOR_FORMAT, "dataset": str(dataset), "sample_rate": int(sample_rate),
            "channels": int(channels), "chunks": balance.n, "command": command, "notes": list(notes),
            "dataset_source": source,
            "contrast_std_db": {k: round(v, 4) for k, v in balance.contrast_std().items()},
            "balance": balance.to_dict()}

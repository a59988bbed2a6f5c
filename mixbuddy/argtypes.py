"""argparse ``type=`` checkers shared by every verb: a bad value becomes a usage error naming the option
(``mixbuddy advise: error: argument --hop: must be a number of seconds > 0, got 0``), exit status 2; and
:func:`require_whole`, the same check for values given through the Python API (a ConfigError)."""
from __future__ import annotations

import argparse
import math
from typing import Any, Callable

from .errors import ConfigError


def whole(minimum: int) -> Callable[[str], int]:
    """A checker for whole numbers >= ``minimum``."""
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return check


def number(low: float, high: float = math.inf, *, low_open: bool = False, unit: str = "") -> Callable[[str], float]:
    """A checker for finite numbers within [low, high] ((low, high] with ``low_open``); ``unit`` names them."""
    what = f"a number of {unit}" if unit else "a number"
    span = (f"> {low:g}" if low_open else f">= {low:g}") if math.isinf(high) else \
        f"in {'(' if low_open else '['}{low:g}, {high:g}]"

    def check(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} {span}, got {text!r}") from None
        inside = (value > low if low_open else value >= low) and value <= high
        if not (math.isfinite(value) and inside):
            raise argparse.ArgumentTypeError(f"must be {what} {span}, got {text}")
        return value
    return check


positive_int = whole(1)
non_negative_int = whole(0)


def port(text: str) -> int:
    """A TCP port, 1..65535."""
    value = whole(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number in [1, 65535], got {value}")
    return value


def device_name(text: str) -> str:
    """A torch device name (auto, cpu, cuda, cuda:N, mps, xpu); whether it is present is checked on use."""
    from .model.config import parse_device_name

    try:
        parse_device_name(text, "")
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).strip()) from None
    return text


probability = number(0.0, 1.0)
"""A threshold on P(imbalance): within [0, 1]."""


def channel_count(text: str) -> int:
    """1 (mono) or 2 (stereo)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 1 (mono) or 2 (stereo), got {text!r}") from None
    if value not in (1, 2):
        raise argparse.ArgumentTypeError(f"must be 1 (mono) or 2 (stereo), got {value}")
    return value


def require_whole(value: Any, what: str, minimum: int = 1) -> int:
    """``value`` when it is a whole number >= ``minimum`` (not a bool), else a ConfigError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{what} must be a whole number >= {minimum}, got {value!r}")
    return value

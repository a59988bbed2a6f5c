"""A stereo mix file whose two channels are not a stereo mix: one of them silent, or the two cancelling.

The mix models listen to the mono downmix (the mean of left and right), and the silence gate reads it too.
Two bounce mistakes break that downmix, and nothing said so:

- **one channel silent** (a mono source recorded or bounced to one side of a stereo file): the downmix is
  6 dB down, which a mix model reads as a stem turned down (the example with its right channel silenced
  was told "bass too quiet" in 0:20–0:30, where the example itself gets "vocals too quiet");
- **the channels in opposite polarity** (one side's polarity inverted): the downmix cancels, and the song
  was refused as too quiet to analyse ("raise its level"), which it is not.

:func:`mend_channels` finds both over the whole file and, with a warning, hears the file as the mono signal
it holds: the live channel on both sides, or the right channel's polarity flipped back. Only the mix file:
a stem panned hard to one side is an ordinary stem.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEAD_CHANNEL_DB = 40.0   # a channel this far below the other over the whole file holds nothing
OPPOSED_R = -0.5         # left and right correlated this negatively cancel in mono
BLOCK = 1 << 16          # frames summed in float64 at a time (1 MB), so no float64 copy of the whole file is made


def gram(x: np.ndarray) -> np.ndarray:
    """The channels' sums of products (channels, channels) of ``x`` (samples, channels), in float64, one block of
    frames at a time: a 4-minute 192 kHz file's two float64 copies (740 MB) are not made."""
    out = np.zeros((x.shape[1], x.shape[1]))
    for i in range(0, x.shape[0], BLOCK):
        b = x[i: i + BLOCK].astype(np.float64)
        out += b.T @ b
    return out


def mend_channels(x: np.ndarray, source: str | Path) -> np.ndarray:
    """``x`` (samples, channels) as it should be heard (see the module docstring); unchanged unless it has two
    channels with one silent or the two in opposite polarity."""
    if x.ndim != 2 or x.shape[1] != 2 or not x.size:
        return x
    g = gram(x)
    p_left, p_right = float(g[0, 0]), float(g[1, 1])
    loud, quiet = max(p_left, p_right), min(p_left, p_right)
    if loud <= 0.0:
        return x
    if quiet <= loud * 10 ** (-DEAD_CHANNEL_DB / 10):
        live, dead = (0, "right") if p_left >= p_right else (1, "left")
        down = "silent" if quiet == 0.0 else f"{10 * np.log10(loud / quiet):.0f} dB down"
        log.warning("%s: the %s channel is %s: a mono mix on one side of a stereo file? Heard as mono (the live "
                    "channel on both sides), not 6 dB down as its plain downmix would be", source, dead, down)
        return np.repeat(x[:, live:live + 1], 2, axis=1)
    r = float(g[0, 1]) / np.sqrt(p_left * p_right)
    if r <= OPPOSED_R:
        log.warning("%s: the left and right channels are in opposite polarity (correlation %.2f), so they cancel "
                    "in the mono downmix the models hear: heard with the right channel's polarity flipped; check "
                    "the polarity (phase) switches of your mix bus", source, r)
        return np.stack([x[:, 0], -x[:, 1]], axis=1)
    return x

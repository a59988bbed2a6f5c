"""The built-in synthetic multitrack corpus: procedurally composed songs rendered stem by stem with a
General-MIDI soundfont, produced with pedalboard and balanced from a MUSDB18-like loudness prior.

``compose`` writes the music (note events, no audio), ``render`` turns it into produced stems,
``build`` sets levels and writes the MUSDB18-HQ layout. Heavy audio libraries load only when used.
"""
from __future__ import annotations

from .config import GROOVES, MUSDB_STEM_MEAN_LUFS, SynthConfig, SynthConfigError

__all__ = ["GROOVES", "MUSDB_STEM_MEAN_LUFS", "SynthConfig", "SynthConfigError", "synthesize_corpus",
           "synthesize_song"]


def synthesize_corpus(*args, **kwargs):
    """See :func:`mixbuddy.corpus.synth.build.synthesize_corpus`."""
    from .build import synthesize_corpus as impl
    return impl(*args, **kwargs)


def synthesize_song(*args, **kwargs):
    """See :func:`mixbuddy.corpus.synth.build.synthesize_song`."""
    from .build import synthesize_song as impl
    return impl(*args, **kwargs)

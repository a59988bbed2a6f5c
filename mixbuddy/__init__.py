"""mixbuddy: an audio-language model that gives gain-balance advice on music mixes."""

__version__ = "0.1.0"

"""One error family with messages a producer can act on: which file, what is wrong, what to do."""
from __future__ import annotations

from pathlib import Path


class MixbuddyError(Exception):
    """Base class of every error mixbuddy raises on purpose (the CLI prints these without a traceback)."""


class AudioFileError(MixbuddyError):
    """An audio file is missing, unreadable, empty, silent or otherwise unusable."""

    def __init__(self, path: str | Path, problem: str, fix: str = ""):
        self.path = str(path)
        self.problem = problem
        msg = f"{self.path}: {problem}"
        if fix:
            msg += f" ({fix})"
        super().__init__(msg)


class CorpusError(MixbuddyError):
    """A corpus folder does not have the expected layout."""


class DataError(MixbuddyError):
    """A dataset / manifest / recipe is malformed or inconsistent."""


class ConfigError(MixbuddyError):
    """A configuration file or value is invalid."""


class OutputError(MixbuddyError):
    """An output path cannot be written (its parent is a file, it is a folder where a file is wanted, ...)."""

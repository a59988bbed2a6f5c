"""What ``advise`` logs about a song while it reads and analyses it, kept for its report."""
from __future__ import annotations

import logging
import threading

from .wording import substitute


class Notes(logging.Handler):
    """What ``advise`` logs (INFO and up, from this thread) while it reads and analyses a song: which file
    went to which stem, stems of different lengths, a band-limited file, ... The command line prints it on
    stderr as it happens; the report keeps it (``notes`` in the JSON; the web page shows it). ``rename``
    (path -> name) rewrites such a record before the command line's handler prints it, so the live log and
    the notes both name a stem pack's zip, not the temporary folder it was unpacked to."""

    SOURCES = ("mixbuddy.audio", "mixbuddy.corpus", "mixbuddy.predict")
    _lock = threading.Lock()
    _open = 0              # Notes currently collecting (in any thread)
    _saved = logging.NOTSET  # the "mixbuddy" logger's level before the first of them lowered it to INFO

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.thread = threading.get_ident()
        self.rename: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self.SOURCES) and record.thread == self.thread:
            text = substitute(record.getMessage(), self.rename)
            if self.rename:   # the root's handlers (the command line's stderr) see the record after this one
                record.msg, record.args = text, ()
            self.messages.append(text)

    def __enter__(self) -> "Notes":
        top = logging.getLogger("mixbuddy")
        with Notes._lock:
            if Notes._open == 0:
                Notes._saved = top.level
                if top.getEffectiveLevel() > logging.INFO:
                    top.setLevel(logging.INFO)
            Notes._open += 1
            top.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        top = logging.getLogger("mixbuddy")
        with Notes._lock:
            top.removeHandler(self)
            Notes._open -= 1
            if Notes._open == 0:
                top.setLevel(Notes._saved)

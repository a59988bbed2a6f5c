"""A two-track: a song given as its instrumental and its vocals ("Beat.wav" + "Vocals.wav", as a producer hands a
beat to the vocal engineer; "Instrumental" + "Acapella"; Demucs' two-stem "no_vocals.wav" + "vocals.wav").

The four-stem advice cannot read one (the instrumental is no one stem, and the drums and bass are inside it), and
the question such a folder asks is narrower anyway: do the vocals sit right over the beat? The loudness engine
answers it with a prior over two parts, fitted like the four-stem one on the same training chunks, with each chunk's
drums, bass and other summed and measured as one signal (``mixbuddy advise-prior --two-track``: summing the stems'
own loudness instead reads the real-dev songs' instrumentals up to 4.6 dB too loud, since a stem that plays part of
a window is measured over the part it plays; ``python benchmarks/two_track.py``). The instrumental is the anchor; the
vocals are the stem judged. The parts are read as a stems folder's stems are, with its export checks, and a mix given
too as with four stems (``python benchmarks/two_track_mix.py``).
"""
from __future__ import annotations

import copy
import logging
import re
import unicodedata
from pathlib import Path

from ..constants import INSTRUMENTAL, TWO_TRACK
from ..corpus.stem_names import MINUS_ONE_TERMS, NO_VOCALS, Assigned, name_phrase
from ..errors import MixbuddyError
from .windows import SongAudio, stems_audio

log = logging.getLogger(__name__)

# the song without its vocals, by name: "Instrumental", "Beat", "Karaoke", "Song (No Vocals)", "no_vocals", a beat
# store's "Night Drive (Untagged)"
_INSTRUMENTAL = re.compile(NO_VOCALS + r"|\b(?:beats?|backing track)\b")


# a vocal take named by its part of the song, as vocal sessions over a beat are ("Hook.wav", "Verse 1.wav", "Hook
# Dbl.wav"): read as the vocals beside an instrumental when the name holds nothing else (not "Chorus Gtr.wav")
SECTION_WORDS = frozenset("hook hooks verse verses chorus choruses prechorus refrain dbl dbls double doubles stack "
                          "stacks dub dubs punch punches lead leads".split())     # "Lead.wav" beside "Adlibs.wav"
_TAKE_WORDS = frozenset("pre in main take takes tk pt part comp final left right l r mono".split())


def names_a_section(filename: str) -> bool:
    """Whether a file's name is only a part of the song and take marks ("Hook", "Verse 2 Main", "Hook Dbl L")."""
    words = name_phrase(filename).split()
    return bool(set(words) & SECTION_WORDS) and all(
        w in SECTION_WORDS or w in _TAKE_WORDS or w.isdigit() for w in words)


def names_instrumental(filename: str) -> bool:
    """Whether a file's name says it holds the song without its vocals ("Beat", "Instrumental", "no_vocals", "伴奏")."""
    text = unicodedata.normalize("NFKC", filename)
    return _INSTRUMENTAL.search(name_phrase(filename)) is not None or any(t in text for t in MINUS_ONE_TERMS)


def two_track_files(folder: str | Path, mapping: str | Path | Assigned | None = None) -> dict[str, list[Path]] | None:
    """{"instrumental": files, "vocals": files} when a stems folder holds a two-track: files named as the song without
    its vocals and files of the vocals (named as vocals, or by a part of the song alone: :func:`names_a_section`),
    and no other stem (files skipped by name, a mix or a guide track, and one
    named as the song, aside: :func:`named_as_the_song`); else None."""
    from ..corpus.stems_folder import _sorted_files, song_audio_files
    from .stems_input import folder_mapping

    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = folder_mapping(folder, mapping)
    files = song_audio_files(folder, found)
    parts: dict[str, list[Path]] = {INSTRUMENTAL: [], "vocals": []}
    for p, stem, _ in _sorted_files(folder, files, found):
        hand = found.assigned_to(p.name)         # given by hand (advise --map): that, whatever the name says
        if hand == INSTRUMENTAL or (hand is None and stem != "vocals" and names_instrumental(p.name)):
            parts[INSTRUMENTAL].append(p)
        elif stem == "vocals" or (hand is None and stem is None and names_a_section(p.name)):
            parts["vocals"].append(p)
        elif stem != "" and not named_as_the_song(p, files):
            return None                    # a drums, bass or other file: the song's stems, not a two-track
    return parts if all(parts.values()) else None


def named_as_the_song(path: Path, files: list[Path]) -> bool:
    """Whether ``path``'s name is the start of every other file's name, as a remix pack names the song's own mix
    beside its parts ("Song.wav", "Song - Instrumental.wav", "Song - Acapella.wav")."""
    title = name_phrase(path.name)
    return bool(title) and len(files) > 2 and all(
        name_phrase(p.name).startswith(title + " ") for p in files if p != path)


def read_two_track(folder: str | Path, parts: dict[str, list[Path]], sample_rate: int | None, channels: int,
                   mix: str | Path | None = None) -> SongAudio:
    """The two-track's parts at ``sample_rate`` (None: their files' highest)/``channels``, read as a song of two
    stems is (each the sum of its
    files, the shorter zero-padded, with the stems folder's export checks: a file given in two formats, a copy, an
    older version left out; a silent part warned about, a DC offset taken out and noted, mono files noted), and their
    sum as the mix; a ``mix`` file given too is read as with a song's stems
    (:func:`~mixbuddy.predict.windows.with_mix`): a part exported from its first region placed where the mix has it,
    each vocal file fitted against the mix, a pan law's cut heard, a part the mix holds at another level noted."""
    from ..corpus.stems_folder import song_from_files
    from .stems_input import folder_stems

    folder = Path(folder)
    # the folder's export checks, as for four stems: a beat given as WAV and MP3, a second copy, an older version
    song = song_from_files(folder.name, "advise", folder, parts, {})
    song, signals = folder_stems(folder, sample_rate, channels, song=song)
    if set(signals) != set(TWO_TRACK):
        raise MixbuddyError(f"{folder}: a two-track with no {'vocals' if INSTRUMENTAL in signals else INSTRUMENTAL} "
                            "left once the files found to be copies of others are left out")
    rel = {k: " + ".join(p.relative_to(folder).as_posix() for p in v) for k, v in song.loader.files.items()}
    log.info("%s: a two-track, the instrumental (%s) and the vocals (%s): the vocals are judged against the "
             "instrumental", folder, rel[INSTRUMENTAL], rel["vocals"])
    return stems_audio(mix, folder, signals, sample_rate or song.sample_rate, channels, song)


def for_two_track(engine, anchor: str, folder: str | Path):
    """(the engine that judges a two-track, its anchor: the instrumental): the loudness engine with the two-track
    prior, moved to a reference song's balance of the two when one was given. A model engine, a reference without
    vocals or an instrumental, or the vocals as the anchor cannot judge one: said, naming ``folder``."""
    from .engines import LoudnessEngine
    from .prior import DEFAULT_TWO_TRACK_PRIOR, load_prior

    if not isinstance(engine, LoudnessEngine):
        raise MixbuddyError(f"{folder}: a two-track (the instrumental and the vocals): the loudness engine judges the "
                            "vocals against the instrumental; a model hears a song's four stems or its mix (drop "
                            "--checkpoint and --engine model, or give the mix file alone)")
    reference = engine.reference and engine.reference.get("two_track_lufs")
    if engine.reference and not reference:
        raise MixbuddyError(f"{folder}: a two-track: the reference ({engine.reference['song']}) has no vocals or no "
                            "other stem, so it sets no balance of the vocals against an instrumental")
    if anchor == "vocals":
        raise MixbuddyError(f"{folder}: a two-track: the vocals are judged against the instrumental, which is the "
                            "anchor (give --anchor drums or bass: both are in the instrumental)")
    judge = copy.copy(engine)
    judge.prior_path = str(engine.two_track_prior or DEFAULT_TWO_TRACK_PRIOR)
    judge.balance, judge.prior_meta = load_prior(judge.prior_path)
    if judge.balance.stems != TWO_TRACK:
        raise MixbuddyError(f"{judge.prior_path}: not a two-track prior (its stems are {list(judge.balance.stems)}, "
                            f"not {list(TWO_TRACK)}: make one with mixbuddy advise-prior --two-track)")
    if reference:        # the reference's vocals against its instrumental (predict.reference.use_reference)
        judge.balance = judge.balance.shifted_to(reference)
        judge.reference = {"song": engine.reference["song"], "windows": engine.reference["windows"],
                           "lufs": dict(reference)}
    return judge, INSTRUMENTAL

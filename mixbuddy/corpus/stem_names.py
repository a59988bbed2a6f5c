"""Which stem a file of a stems folder belongs to: the words of its name, or a mapping file.

Mapping file (YAML or JSON), given by ``CorpusConfig.mapping`` or placed in a song folder as
``mapping.yaml|mapping.yml|mapping.json`` (a per-song file overrides the corpus-wide one)::

    vocals: ["*vox*", "*vocal*"]     # a stem: a pattern or a list of patterns
    drums: ["*kick*", "*snare*", "*hat*"]
    bass: "*bass*"
    ignore: ["mix.*", "*click*"]     # optional: files skipped silently (default: mixture.*, mix.*)
    unmatched: other                 # optional: other (default, with a warning) | error | ignore

A mapping file replaces the default rules entirely; stems are tried in the order the file lists
them and a file goes to the first stem whose pattern matches.

Without a mapping file the *words* of a file name decide (:func:`default_mapping`), as a DAW's track export names
them: the name is cut into words at spaces, punctuation, case changes and digits ("01_LeadVox-final.wav" → 01 / lead
/ vox / final) and a file goes to the vocals when a word is a vocal word (vocals, vox, bv, harmony, choir, ...),
else to the drums (drums, kick, snare, hh, oh, tom, perc, clap, ...; a room microphone not named after another
instrument: ROOM_WORDS), else to the bass (bass, sub, 808, bassline,
...), else to "other" (guitars, keys, pads, ...: the rest of the music, as in MUSDB18), with the common German,
French, Spanish, Italian and Portuguese words too (Gesang, voix, voz, voce; Schlagzeug, batterie, batería, caja;
basse, bajo, baixo), accents dropped, and Japanese, Chinese and Korean ones looked for inside the name (ボーカル, ドラム,
ベース; 人声, 鼓, 贝斯; 보컬, 드럼, 베이스: :data:`STEM_TERMS`). Drums come before bass ("Bass Drum", "808 Kick" are drums). A file
with none of those words but one naming the whole mix (mix, mixture, master, bounce, ...) or a track that is never
part of it (click, metronome, talkback, timecode, a reference song) is skipped ("Full Mix.wav", "Click.wav", "REF -
Artist.wav"; "Vocals Master.wav" is vocals, "Perc Click.wav" drums), and so, with a warning, is an effect return
named as one ("A-Reverb.wav", "Delay Return.wav": the reverb or delay several tracks share holds several stems'
effects; "Vocal Reverb.wav" is vocals), and so is a file named as the song without a stem or more
("Instrumental.wav", "Karaoke.wav", "Song (Drumless).wav", Demucs' two-stem "no_vocals.wav":
:func:`holds_several_stems`, tried before the stem words, since "no_vocals" holds the word "vocals"). A start all
the names share and that holds one of those words, a project's name a DAW writes before each track's ("Oh
Darling_Kick.wav", "Oh Darling_Keys.wav"), is not read when the rest of the names name two stems or more
(:func:`shared_prefix`). Which file went where is logged.

Before any of that, files may be given their stems by hand (:class:`Assigned`: ``advise --map 'drums=Audio 1'``, the
web page's "Stems by hand" box), for names that say nothing ("Audio 1.wav", "Track 3.wav").
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from ..config import yaml_problem
from ..constants import INSTRUMENTAL, STEMS
from ..errors import ConfigError

UNMATCHED_POLICIES = ("other", "error", "ignore")
DEFAULT_IGNORE: tuple[str, ...] = ("mixture.*", "mix.*")
SONG_MAPPING_NAMES = ("mapping.yaml", "mapping.yml", "mapping.json")


# The default mapping's words (see the module docstring), in the order they are tried.
STEM_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("vocals", frozenset("""vocal vocals vox voc vocs voice voices leadvox leadvocal leadvocals bv bvs bgv bgvs bvox
        backingvocals harmony harmonies choir choirs adlib adlibs acapella acappella singer singers rap chant chants
        spoken spokenword
        gesang stimme stimmen chor voix choeur choeurs voz voces vozes coro coros voce voci cori""".split())),
    ("drums", frozenset("""drum drums drm drms drumkit kit kick kicks kik bd bassdrum kickdrum snare snares snr
        snaredrum hat hats hihat hihats hh oh ohs overhead overheads ride rides crash crashes cymbal cymbals tom toms
        floortom floortoms perc percs percussion clap claps rim rims rimshot rimshots shaker shakers tamb tambs
        tambourine tambourines conga congas bongo bongos cowbell cowbells tops toploop toploops cajon cajons djembe
        djembes tabla tablas timpani woodblock woodblocks fingersnap fingersnaps
        snap snaps breakbeat schlagzeug trommel trommeln becken batterie bateria bombo caja platillos tambor
        batteria cassa rullante piatti caixa bumbo caisse""".split())),
    ("bass", frozenset("""bass basses bassline basslines sub subs subbass 808 808s synthbass reese contrabass kontrabass basse
        bajo contrabajo basso baixo""".split())),
)
# Japanese, Chinese and Korean names run words together without separators ("リードボーカル", lead vocal), so these
# are looked for inside the name (NFKC: half-width katakana read as full-width), for the same stem as the words
STEM_TERMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vocals", tuple("ボーカル ヴォーカル ボイス ヴォイス コーラス ハモリ 歌声 人声 人聲 主唱 和声 和聲 合唱 伴唱 歌唱 보컬 코러스 "
                    "목소리".split())),
    ("drums", tuple("ドラム キック スネア ハイハット シンバル フロアタム パーカッション クラップ 鼓 镲 鑔 打击乐 打擊樂 드럼 킥 스네어 하이햇 "
                   "심벌 퍼커션".split())),
    ("bass", tuple("ベース 贝斯 貝斯 低音 베이스".split())),
)
# a room microphone is the drums' in a band's session ("Room", "Rooms L", Cambridge-MT's "Room.wav") unless the name
# says which instrument it hears ("Piano Room", "Gtr Room": "other"; "Vocal Room" is already the vocals)
ROOM_WORDS = frozenset("room rooms".split())
INSTRUMENT_WORDS = frozenset("""piano pianos pno keys keyboard keyboards organ rhodes wurli synth synths pad pads gtr
    gtrs guitar guitars egtr agtr acgtr acoustic strings string violin violins viola violas cello cellos brass horn
    horns trumpet trumpets tpt trombone sax saxophone flute flutes clarinet harp orchestra orch marimba vibes
    vibraphone accordion banjo mandolin ukulele uke""".split())
MIX_WORDS = frozenset("mix mixture master mastered premaster fullmix bounce stereoout".split())
GUIDE_WORDS = frozenset("click clicktrack metronome talkback timecode smpte ref reference".split())  # never in the mix
# an effect return (a reverb or delay the tracks share through sends: Ableton's "A-Reverb", "B-Delay"): it holds
# several stems' effects, so it belongs to none; summed into "other" it would sound wherever anything has reverb
RETURN_WORDS = frozenset("reverb reverbs verb verbs rvb delay delays dly echo return returns fxreturn".split())
# a file that holds the song without one stem or more, so no one stem: Demucs' two-stem "no_vocals.wav", an
# instrumental, a karaoke or "minus one" track, a drummer's "drumless" play-along (words in order, camelCase split)
_WITHOUT = r"\b(?:no|without|minus|sans|sin|ohne|senza|sem) (?:the )?(?:lead )?"
NO_VOCALS = (_WITHOUT + r"(?:vocals?|vox|voc|voice|gesang|voz|voix)\b|"     # the song without its vocals, by name
             r"\b(?:instrumentals?|accompaniment|karaoke|minus ?one|off ?vocals?|(?:un)?tagged)\b")
# ("(Untagged)", "(Tagged)": a beat store's beat, with or without the producer's voice tag)
_MINUS_ONE = re.compile(NO_VOCALS + "|" + _WITHOUT + r"(?:drums?|bass|bateria|batterie|schlagzeug)\b|"
                        r"\b(?:drum|bass|vocal|vox)less\b")
MINUS_ONE_TERMS = ("オフボーカル", "インスト", "カラオケ", "伴奏", "纯音乐", "純音樂", "반주", "인스트")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def name_words(filename: str) -> set[str]:
    """Lower-case words of a file name without its extension: each run of letters/digits between
    separators, and the parts of it cut at case changes and digits ("LeadVox2" → leadvox2, lead, vox, 2);
    accents are dropped first ("Batería" → bateria, "Chœur" → choeur)."""
    words: set[str] = set()
    for run in re.split(r"[^0-9A-Za-z]+", _plain(filename)):
        if run:
            words.add(run.lower())
            words.update(w.lower() for w in _WORD.findall(run))
    return words


def name_phrase(filename: str) -> str:
    """The words of a file name (without its extension) in their order, lower case, one space between them, accents
    dropped ("Song_(NoVocals)" → "song no vocals")."""
    return " ".join(w.lower() for w in _WORD.findall(_plain(filename)))


def _plain(filename: str) -> str:
    """A file name without its extension, ligatures spelled out and accents dropped."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return "".join(c for c in unicodedata.normalize("NFKD", stem.translate(_LIGATURES)) if not unicodedata.combining(c))


def holds_several_stems(filename: str) -> bool:
    """Whether a file's name says it holds the song without one stem or more (:data:`_MINUS_ONE`): "no_vocals.wav"
    (Demucs --two-stems), "Instrumental.wav", "Karaoke.wav", "Song (Drumless).wav", "オフボーカル.wav"."""
    text = unicodedata.normalize("NFKC", filename)
    return _MINUS_ONE.search(name_phrase(filename)) is not None or any(t in text for t in MINUS_ONE_TERMS)


@dataclass(frozen=True)
class StemMapping:
    """Filename patterns per stem (in priority order), files to skip, and what to do with the rest;
    ``words`` (the default mapping): stems chosen by the words of a name (see :func:`name_words`)."""

    patterns: tuple[tuple[str, tuple[str, ...]], ...]
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    unmatched: str = "other"
    source: str = "default mapping"
    words: tuple[tuple[str, frozenset[str]], ...] = ()
    ignore_words: frozenset[str] = frozenset()
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()   # looked for inside the name (STEM_TERMS)
    assigned: tuple[tuple[str, str], ...] = ()   # files given their stem by hand (:class:`Assigned`), before all else

    def assigned_to(self, filename: str) -> str | None:
        """What a file was given by hand (a stem, "instrumental" or "ignore"; :class:`Assigned`), None if nothing."""
        return _assigned_to(self.assigned, filename)

    def stem_of(self, filename: str) -> str | None:
        """The stem a file name belongs to, ``""`` for an ignored file, None when nothing matches."""
        name = filename.lower()
        if any(fnmatch.fnmatchcase(name, p) for p in self.ignore):
            return ""
        for stem, pats in self.patterns:
            if any(fnmatch.fnmatchcase(name, p) for p in pats):
                return stem
        if self.words and holds_several_stems(filename):
            return ""                                   # "no_vocals.wav": not one stem
        words = name_words(filename) if self.words or self.ignore_words else set()
        text, terms = unicodedata.normalize("NFKC", filename), dict(self.terms)
        for stem, vocabulary in self.words:
            if words & vocabulary or any(t in text for t in terms.get(stem, ())):
                return stem
        if self.words and words & ROOM_WORDS and not words & (INSTRUMENT_WORDS | self.ignore_words):
            return "drums"                              # "Room L.wav": the drum kit's room microphone
        if self.words and re.search(r"\btop loops?\b", name_phrase(filename)):
            return "drums"                              # "Top Loop 2.wav": EDM's hats and percussion loop
        return "" if words & self.ignore_words else None   # "Mix.wav" is skipped, "Vocals Master.wav" is not


def default_mapping() -> StemMapping:
    """Files sorted by the words of their names (vocal, drum, bass words; the rest is "other"); files
    named after the whole mix are skipped. See the module docstring."""
    return StemMapping((), ignore=(), unmatched="other", words=STEM_WORDS,
                       ignore_words=MIX_WORDS | GUIDE_WORDS | RETURN_WORDS, terms=STEM_TERMS)


def load_mapping(path: str | Path) -> StemMapping:
    """Parse a YAML/JSON mapping file; any problem raises ConfigError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: stem mapping file not found")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: cannot parse stem mapping (invalid YAML at {yaml_problem(e)})") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: cannot parse stem mapping ({e})") from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: stem mapping must be a non-empty mapping of stem name -> patterns")

    def _patterns(key: str, value: object) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(p, str) and p for p in items):
            raise ConfigError(f"{path}: {key!r} must be a pattern or a non-empty list of patterns, got {value!r}")
        return tuple(p.lower() for p in items)

    patterns, ignore, unmatched = [], DEFAULT_IGNORE, "other"
    for key, value in data.items():
        if key == "ignore":
            ignore = () if value in (None, []) else _patterns(key, value)
        elif key == "unmatched":
            if value not in UNMATCHED_POLICIES:
                raise ConfigError(f"{path}: 'unmatched' must be one of {list(UNMATCHED_POLICIES)}, got {value!r}")
            unmatched = value
        elif key in STEMS:
            patterns.append((key, _patterns(key, value)))
        else:
            raise ConfigError(f"{path}: unknown key {key!r}; valid keys: {list(STEMS)} + ['ignore', 'unmatched']")
    return StemMapping(tuple(patterns), ignore, unmatched, str(path))


ASSIGN_KEYS = (*STEMS, INSTRUMENTAL, "ignore")


def _hand_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).lower()


def _assigned_to(pairs: Sequence[tuple[str, str]], filename: str) -> str | None:
    """The key of the first of ``pairs`` whose pattern matches ``filename`` whole or without its extension."""
    name = _hand_name(filename)
    bare = name.rsplit(".", 1)[0] if "." in name else name
    return next((key for key, pat in pairs if fnmatch.fnmatchcase(name, _hand_name(pat))
                 or fnmatch.fnmatchcase(bare, _hand_name(pat))), None)


@dataclass(frozen=True)
class Assigned:
    """Files given their stem by hand, before any rule sorts them: ``advise --map STEM=FILE`` or the web page's box,
    for names that say nothing ("Audio 1.wav", "Track 3.wav"). ``pairs``: (a stem, "instrumental" for a two-track's
    beat, or "ignore" to leave a file out; a file name, with or without its extension, or a pattern: "Audio 1",
    "Gtr*.wav"), the first that matches a file wins; ``mapping``: a mapping file given too, which sorts the rest
    instead of the words of their names."""

    pairs: tuple[tuple[str, str], ...]
    mapping: str | None = None

    def __str__(self) -> str:
        return " ".join([*(f"--map '{k}={p}'" for k, p in self.pairs), *([self.mapping] if self.mapping else [])])

    def check(self, folder: str | Path, names: Sequence[str]) -> None:
        """A pattern that matches none of the stems folder's ``names`` (its audio files), or a file named in full by
        two entries that give it different stems, is a mistake: say so (of patterns, the first that matches wins)."""
        for key, pat in self.pairs:
            if not any(_assigned_to([(key, pat)], n) is not None for n in names):
                shown = ", ".join(sorted(names)[:12]) + (", ..." if len(names) > 12 else "")
                raise ConfigError(f"--map '{key}={pat}': no audio file of {folder} is named so (its audio files: "
                                  f"{shown or 'none'})")
        named = [(k, p) for k, p in self.pairs if not any(c in p for c in "*?[")]
        for n in names:
            given = [(k, p) for k, p in named if _assigned_to([(k, p)], n) is not None]
            if len({k for k, _ in given}) > 1:
                raise ConfigError(f"{folder}: {n} is given two stems, "
                                  + " and ".join(f"--map '{k}={p}'" for k, p in given) + ": give it one")


def parse_assignments(entries: Sequence[str], mapping: str | Path | None = None) -> Assigned:
    """``STEM=FILE`` entries (``advise --map``, one file name or pattern each) → :class:`Assigned`; a malformed
    entry or an unknown stem raises ConfigError naming it."""
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        key, eq, pat = (part.strip() for part in str(entry).partition("="))
        key = key.lower()
        if not eq or not key or not pat:
            raise ConfigError(f"--map {entry!r}: write STEM=FILE, e.g. --map 'drums=Audio 1' (the file's name, "
                              "with or without its extension, or a pattern such as 'Gtr*')")
        if key not in ASSIGN_KEYS:
            raise ConfigError(f"--map {entry!r}: {key!r} is not a stem; give one of {', '.join(STEMS)}, "
                              f"'{INSTRUMENTAL}' (a two-track's beat) or 'ignore' (leave the file out)")
        pairs.append((key, pat))
    return Assigned(tuple(pairs), None if mapping is None else str(mapping))


def shared_prefix(names: Sequence[str], mapping: StemMapping) -> str:
    """The start every file name shares, up to a separator, when it holds a word of ``mapping``'s vocabulary and the
    rest of the names alone name two stems or more; else "". A DAW writes the project's name before each track's
    ("Oh Darling_Kick.wav", "Bass Odyssey - Lead Vox.wav": FL Studio, Cubase, Reaper's $project): sorted by the whole
    name, every file would go where the project's name says ("oh" is an overhead microphone, so the bass and the
    keys would be drums). A start shared by one stem's files only ("Vocals_Lead", "Vocals_BV") is kept. Files skipped
    by their whole names ("Mix.wav", "Click.wav") need not share it."""
    if not mapping.words:
        return ""
    names = [n for n in names if mapping.stem_of(n) != ""]
    if len(names) < 2:
        return ""
    bare = [n.rsplit(".", 1)[0] if "." in n else n for n in names]
    common = os.path.commonprefix(bare)
    cut = max(common.rfind(c) for c in " _-.–—") + 1          # through the last separator
    if cut == 0 or any(len(b) <= cut for b in bare):
        return ""
    vocabulary = frozenset().union(*(words for _, words in mapping.words), mapping.ignore_words, ROOM_WORDS)
    if not name_words(common[:cut]) & vocabulary:
        return ""
    named = {mapping.stem_of(n[cut:]) for n in names} - {None, ""}
    return common[:cut] if len(named) >= 2 else ""

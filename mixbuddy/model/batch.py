"""Model inputs: one :class:`Example` per conversation, and the collation both training and
inference use (so the prompt a model is trained on is, token for token, the one it is asked).

An example's audio is a float32 numpy array: ``(T,)`` for the ``mix`` input mode, ``(C, T)`` for
``stems`` (clips in the model's fixed order, a missing stem all zeros). Collation pads the audio to
the longest clip of the batch and keeps every clip's true length, so the audio side produces
exactly ``num_tokens(length)`` tokens per clip, the number of placeholders in the prompt.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ..constants import TARGET_STEMS
from .prompt import IGNORE_INDEX, PromptExample, collate

RawAudio = Any
"""A mono waveform (numpy array or tensor, ``(T,)`` or ``(T, 1)``), or for stems a mapping stem → waveform."""


@dataclass
class Example:
    """One conversation ready for collation.

    ``anchor`` is :func:`mixbuddy.model.heads.anchor_index` of the anchor stem; ``label`` the aux-head
    class (``IGNORE_INDEX`` when unknown, e.g. at inference); ``present``: for each of ``TARGET_STEMS``,
    whether the instruction says the mix holds that stem (a stem it leaves out can never be the verdict's
    target).
    """

    id: str
    prompt: PromptExample
    audio: np.ndarray
    anchor: int
    label: int = IGNORE_INDEX
    present: tuple[bool, ...] = (True,) * len(TARGET_STEMS)


def present_targets(stems: Sequence[str] | None) -> tuple[bool, ...]:
    """:attr:`Example.present` of a mix said to hold ``stems`` (None: nothing said, every stem may be there)."""
    return tuple(stems is None or s in stems for s in TARGET_STEMS)


def _mono(x: Any, what: str) -> np.ndarray:
    """A 1-D float32 array from a numpy array / tensor of shape (T,) or (T, 1)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{what}: expected mono audio of shape (T,) or (T, 1), got {a.shape}; downmix first")
    if a.shape[0] == 0:
        raise ValueError(f"{what}: empty audio")
    return a


def clip_audio(audio: RawAudio, mode: str, clip_names: Sequence[str]) -> np.ndarray:
    """Normalise one item's raw audio: ``(T,)`` for mode ``mix``, ``(C, T)`` for ``stems``.

    Stems: one row per name of ``clip_names``; a stem absent from the mapping is silence. Stems of
    different lengths are zero padded to the longest (their own lengths are not tracked: give the
    stems of one item equal lengths).
    """
    if mode == "mix":
        if isinstance(audio, Mapping):
            raise ValueError("input mode 'mix' takes one waveform per item, got a mapping of stems")
        return _mono(audio, "mix")
    if not isinstance(audio, Mapping):
        raise ValueError(f"input mode 'stems' takes a mapping stem -> waveform per item, got {type(audio).__name__}")
    unknown = sorted(set(audio) - set(clip_names))
    if unknown:
        raise ValueError(f"unknown stem(s) {unknown}; the model takes {list(clip_names)}")
    stems = {k: _mono(v, f"stem {k!r}") for k, v in audio.items()}
    if not stems:
        raise ValueError("no stems given")
    n = max(x.shape[0] for x in stems.values())
    out = np.zeros((len(clip_names), n), dtype=np.float32)
    for i, name in enumerate(clip_names):
        if name in stems:
            out[i, : stems[name].shape[0]] = stems[name]
    return out


def num_samples(audio: np.ndarray) -> int:
    """Samples per clip of a normalised item (see :func:`clip_audio`)."""
    return int(audio.shape[-1])


def collate_examples(examples: Sequence[Example], pad_id: int, padding_side: str = "right") -> dict[str, Any]:
    """Batch dict: ``input_ids``, ``attention_mask``, ``labels``, ``audio_positions`` (see
    :func:`mixbuddy.model.prompt.collate`) plus ``wave`` (B, T) or (B, C, T) float32, ``lengths`` (B,)
    or (B, C), ``anchor`` (B,), ``present`` (B, 3) bool, ``aux_labels`` (B,) (``None`` unless every example has
    a label) and ``ids``."""
    batch = collate([e.prompt for e in examples], pad_id, padding_side)
    width = max(num_samples(e.audio) for e in examples)
    lead = examples[0].audio.shape[:-1]
    if any(e.audio.shape[:-1] != lead for e in examples):
        raise ValueError("examples of one batch must have the same number of clips")
    wave = torch.zeros((len(examples), *lead, width), dtype=torch.float32)
    lengths = torch.zeros((len(examples), *lead), dtype=torch.long)
    for b, e in enumerate(examples):
        n = num_samples(e.audio)
        wave[b, ..., :n] = torch.from_numpy(np.ascontiguousarray(e.audio))
        lengths[b] = n
    labels = [e.label for e in examples]
    batch.update(wave=wave, lengths=lengths, anchor=torch.tensor([e.anchor for e in examples], dtype=torch.long),
                 present=torch.tensor([e.present for e in examples], dtype=torch.bool),
                 aux_labels=None if IGNORE_INDEX in labels else torch.tensor(labels, dtype=torch.long),
                 ids=[e.id for e in examples])
    return batch


class Collator:
    """Picklable collate function for DataLoaders (right padding: training and teacher-forced eval)."""

    def __init__(self, pad_id: int, padding_side: str = "right"):
        self.pad_id = int(pad_id)
        self.padding_side = padding_side

    def __call__(self, examples: Sequence[Example]) -> dict[str, Any]:
        return collate_examples(examples, self.pad_id, self.padding_side)

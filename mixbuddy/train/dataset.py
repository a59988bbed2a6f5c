"""Training data: recipes rendered on the fly and tokenised, with deterministic order and augmentation.

``RecipeDataset[(epoch, i)]`` renders recipe ``i`` (mono, at the model's sample rate) with
augmentation seeded by ``(seed, epoch, recipe id)`` when training, and tokenises the conversation
with the model's :class:`~mixbuddy.model.prompt.PromptBuilder`, with exactly ``clip_tokens``
placeholders per clip. The key carries the epoch so that DataLoader workers, which hold copies of
the dataset, need no shared state: any item renders identically in any worker, in any order.

:class:`StepBatches` yields the index lists of the micro-batches from a given position on: epoch
``e`` is a seeded permutation of the recipes; global micro-batch ``m`` takes ``batch_size x world``
consecutive indices and process ``rank`` every ``world``-th of them. A resumed run starts at the
exact micro-batch where it stopped.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np
import torch

from ..data.recipe import Recipe
from ..data.render import Renderer
from ..errors import DataError
from ..model.batch import Example, present_targets
from ..model.heads import anchor_index, labels_from_recipe
from ..model.prompt import PromptBuilder
from ..rng import derive_seed, rng_for


class RecipeDataset(torch.utils.data.Dataset):
    """Map-style dataset over ``(epoch, index)`` keys (a plain int index means epoch 0)."""

    def __init__(self, recipes: Sequence[Recipe], renderer: Renderer, prompts: PromptBuilder, mode: str,
                 clip_names: Sequence[str], clip_samples: int, clip_tokens: int, augment: bool = False,
                 seed: int = 0, with_response: bool = True, thin: float = 0.0, master: float = 0.0):
        self.recipes = list(recipes)
        if not self.recipes:
            raise DataError("the dataset holds no recipes")
        self.renderer = renderer
        self.prompts = prompts
        self.mode = mode
        self.clip_names = list(clip_names)
        self.clip_samples = int(clip_samples)
        self.clip_tokens = int(clip_tokens)
        self.augment = bool(augment)
        self.thin = float(thin)
        self.master = float(master)
        self.seed = int(seed)
        self.with_response = with_response

    def __len__(self) -> int:
        return len(self.recipes)

    def _fit(self, x: np.ndarray) -> np.ndarray:
        """Zero pad / cut a clip to ``clip_samples`` (recipes are clip-length windows already)."""
        n = self.clip_samples
        if x.shape[0] >= n:
            return x[:n]
        return np.concatenate([x, np.zeros(n - x.shape[0], dtype=np.float32)])

    def audio(self, i: int, epoch: int = 0) -> np.ndarray:
        """Model input audio of recipe ``i``: ``(T,)`` mix or ``(C, T)`` stems (missing stems silent)."""
        r = self.recipes[i]
        seed = derive_seed(self.seed, "epoch", epoch)
        out = self.renderer.render(r, augment=self.augment, seed=seed, return_stems=self.mode == "stems",
                                   thin=self.thin, master=self.master)
        if self.mode == "mix":
            return self._fit(np.asarray(out.mix[:, 0], dtype=np.float32))
        stems = out.stems or {}
        rows = [self._fit(stems[name][:, 0]) if name in stems else np.zeros(self.clip_samples, dtype=np.float32)
                for name in self.clip_names]
        return np.stack(rows)

    def __getitem__(self, key: int | tuple[int, int]) -> Example:
        epoch, i = key if isinstance(key, tuple) else (0, key)
        r = self.recipes[i]
        prompt = self.prompts.build(r.system, r.instruction, [self.clip_tokens] * len(self.clip_names),
                                    r.response if self.with_response else None, self.mode,
                                    self.clip_names if self.mode == "stems" else None)
        return Example(r.id, prompt, self.audio(i, epoch), anchor_index(r.anchor), labels_from_recipe(r),
                       present_targets(r.stems))


class StepBatches(torch.utils.data.Sampler):
    """Micro-batch index lists ``[(epoch, i), ...]`` for one process, from global micro-batch ``start`` on.

    ``count`` micro-batches are produced (None = endless); ``stream`` names the permutation stream
    so that two stages walk the data independently.
    """

    def __init__(self, n: int, batch_size: int, seed: int, stream: str = "train", rank: int = 0, world: int = 1,
                 start: int = 0, count: int | None = None):
        self.n, self.batch_size, self.seed, self.stream = int(n), int(batch_size), int(seed), stream
        self.rank, self.world, self.start, self.count = int(rank), int(world), int(start), count
        self.per_epoch = self.n // (self.batch_size * self.world)
        if self.per_epoch < 1:
            raise DataError(f"{self.n} training recipes cannot fill one batch of {self.batch_size} x {self.world} "
                            "process(es); lower optim.batch_size (stage 1: optim.stage1_batch_size)")

    def __len__(self) -> int:
        return self.count if self.count is not None else 2 ** 31

    def _perm(self, epoch: int) -> np.ndarray:
        return rng_for(self.seed, "order", self.stream, epoch).permutation(self.n)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        m = self.start
        end = None if self.count is None else self.start + self.count
        cached: tuple[int, np.ndarray] | None = None
        width = self.batch_size * self.world
        while end is None or m < end:
            epoch, j = divmod(m, self.per_epoch)
            if cached is None or cached[0] != epoch:
                cached = (epoch, self._perm(epoch))
            chunk = cached[1][j * width:(j + 1) * width][self.rank::self.world]
            yield [(epoch, int(i)) for i in chunk]
            m += 1


def eval_batches(n: int, batch_size: int, rank: int = 0, world: int = 1) -> list[list[int]]:
    """Contiguous evaluation batches over this process's share (every ``world``-th index)."""
    mine = list(range(rank, n, world))
    return [mine[s:s + batch_size] for s in range(0, len(mine), batch_size)]


def eval_subset(recipes: Sequence[Recipe], k: int | None, seed: int) -> list[Recipe]:
    """A seeded subset of ``k`` recipes, in dataset order (all when ``k`` is None or larger)."""
    if k is None or k >= len(recipes):
        return list(recipes)
    idx = np.sort(rng_for(seed, "eval-subset").choice(len(recipes), size=k, replace=False))
    return [recipes[int(i)] for i in idx]


def loader(dataset: RecipeDataset, batch_sampler: Any, collate_fn: Any,
           num_workers: int) -> torch.utils.data.DataLoader:
    """A DataLoader with workers rendering in parallel (forked after the stem cache was warmed).

    It gets its own generator: a DataLoader iterator otherwise draws its worker base seed from
    torch's global RNG, shifting the dropout stream of a resumed run by one draw (items are keyed
    by ``(epoch, index)``, so the loader needs no randomness of its own).
    """
    kw: dict[str, Any] = {}
    if num_workers > 0:
        kw = {"prefetch_factor": 2, "persistent_workers": False, "multiprocessing_context": "fork"}
    return torch.utils.data.DataLoader(dataset, batch_sampler=batch_sampler, collate_fn=collate_fn,
                                       num_workers=num_workers, generator=torch.Generator().manual_seed(0), **kw)

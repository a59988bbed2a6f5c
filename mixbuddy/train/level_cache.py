"""Stage 1 on cached level features (``train.stage1_cache``).

With ``aux.source: levels`` the aux head reads only parameter-free level statistics, so stage 1 need not
render and analyse every example again at every step: :func:`build_level_cache` renders each training
recipe once (its epoch-0 augmentation draw), computes the level features of every clip with the model's
own :class:`~mixbuddy.model.levels.LevelFeatures`, and keeps them in memory (a few hundred floats per
record: ~85 MB for 80k mixes with ``rich`` features). Stage 1 then runs its ``stage1_steps`` batches over
this cache, many passes for the price of one rendering: on 2 CPU cores ~5 min to build for 80k records,
then thousands of head steps per minute. The features are computed in the DataLoader workers.
"""
from __future__ import annotations

import copy
from typing import Any, Sequence

import numpy as np
import torch

from ..model.heads import anchor_index, labels_from_recipe
from .dataset import RecipeDataset, eval_batches, loader


class LevelCache(torch.utils.data.Dataset):
    """(N, C, D) level features + anchors + class labels, indexed like a :class:`RecipeDataset`."""

    def __init__(self, levels: torch.Tensor, anchor: torch.Tensor, labels: torch.Tensor, ids: Sequence[str]):
        self.levels, self.anchor, self.labels, self.ids = levels, anchor, labels, list(ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key: int | tuple[int, int]) -> int:
        return key[1] if isinstance(key, tuple) else int(key)

    def collate(self, idx: Sequence[int]) -> dict[str, Any]:
        i = torch.as_tensor(list(idx), dtype=torch.long)
        return {"ids": [self.ids[k] for k in idx], "levels": self.levels[i], "anchor": self.anchor[i],
                "aux_labels": self.labels[i]}


class _Rows(torch.utils.data.Dataset):
    """Renders recipe ``i`` (epoch 0) and computes its clips' level features where it runs: in a worker."""

    def __init__(self, dataset: RecipeDataset, levels: Any):
        self.dataset, self.levels = dataset, levels

    def __len__(self) -> int:
        return len(self.dataset)

    @torch.no_grad()
    def __getitem__(self, i: int) -> tuple[torch.Tensor, int, int, str]:
        if torch.utils.data.get_worker_info() is not None:
            torch.set_num_threads(1)            # one thread per worker; never the main process's setting
        a = self.dataset.audio(i, 0)
        x = torch.from_numpy(np.ascontiguousarray(a.reshape(-1, a.shape[-1])))
        r = self.dataset.recipes[i]
        return (self.levels(x, torch.full((x.shape[0],), x.shape[1])).reshape(*a.shape[:-1], -1),
                anchor_index(r.anchor), labels_from_recipe(r), r.id)


def _stack(items: Sequence[tuple]) -> tuple:
    return (torch.stack([it[0] for it in items]), torch.tensor([it[1] for it in items]),
            torch.tensor([it[2] for it in items]), [it[3] for it in items])


def build_level_cache(levels: Any, dataset: RecipeDataset, batch_size: int = 64, num_workers: int = 0,
                      progress: bool = False) -> LevelCache:
    """Render every recipe of ``dataset`` once (epoch 0) and keep the ``levels`` features (a
    :class:`~mixbuddy.model.levels.LevelFeatures`, e.g. ``model.stack.levels``) of its clips, computed in
    the DataLoader workers, one thread each."""
    from tqdm import tqdm

    if levels is None:
        raise ValueError("stage1_cache needs level features (aux.levels: true)")
    levels = copy.deepcopy(levels).cpu().eval()
    rows, anchors, labels, ids = [], [], [], []
    bar = tqdm(total=len(dataset), desc="stage 1 level cache", unit="rec", disable=not progress, dynamic_ncols=True)
    for x, a, y, i in loader(_Rows(dataset, levels), eval_batches(len(dataset), batch_size), _stack, num_workers):
        rows.append(x.float())
        anchors.append(a)
        labels.append(y)
        ids.extend(i)
        bar.update(len(i))
    bar.close()
    return LevelCache(torch.cat(rows), torch.cat(anchors), torch.cat(labels), ids)


__all__ = ["LevelCache", "build_level_cache"]

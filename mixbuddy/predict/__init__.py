"""Prediction and advice.

* :mod:`.engines`: the ``AdviceEngine`` protocol, ``ModelEngine`` (trained checkpoint) and
  ``LoudnessEngine`` (Bayes decision on per-stem loudness, packaged prior in ``data/``);
* :mod:`.windows`: reading a whole song (mix and/or stems) and cutting it into analysis windows;
* :mod:`.advise`: per-window findings → song summary (``mixbuddy advise``);
* :mod:`.predict`: resumable batched predictions over a dataset (``mixbuddy predict``).

Nothing heavy is imported here, so ``mixbuddy --help`` stays fast.
"""

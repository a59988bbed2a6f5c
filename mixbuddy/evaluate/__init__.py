"""Evaluation of gain advice: text → findings (:mod:`.parse`), scores in the paper's layout with
song-bootstrap CIs (:mod:`.metrics`), report files (:mod:`.report`), ``mixbuddy evaluate`` (:mod:`.cli`).

Entry points: ``parse.parse_advice(text)``, ``run.evaluate_files(predictions, dataset, out_dir, ...)``.
Submodules are imported on demand so ``mixbuddy --help`` stays fast.
"""

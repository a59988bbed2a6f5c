"""Where a model engine's ``advise`` time goes, and what batching and the shared prompt start save.

For each checkpoint, the engine is built once and ``advise()`` timed warm on one song under each setting in
turn, for a few rounds: windows per ``generate()`` call (``--batch``, repeatable) and the shared prompt start
read once per batch or once per row (``mixbuddy.model.prefix``). Every setting's ``advise --json`` output is
compared with the first setting's; a field that differs is named.

The LLM's own time is split by a hook on its forward pass: reading the prompts (the calls with embeddings, the
shared start included) and decoding (one token per row per call).

    python benchmarks/bench_advise.py --repeat 1 --skip-loudness --keep /tmp/song
    python benchmarks/advise_batching.py --song /tmp/song --checkpoint default-real --checkpoint default-stems
"""
from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path


def differences(a, b, path: str = "") -> list[str]:
    """Paths of the JSON values that differ between ``a`` and ``b``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a} / {b}"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--song", required=True, help="a folder with mix.wav and stems/ (bench_advise.py --keep)")
    ap.add_argument("--checkpoint", action="append", required=True, help="model to time (repeatable)")
    ap.add_argument("--batch", type=int, action="append", help="windows per generate() call (default: 8 and 32)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.INFO)
    from mixbuddy.predict.advise import advise
    from mixbuddy.predict.engines import ModelEngine

    song = Path(args.song)
    settings = [(b, share) for b in (args.batch or [8, 32]) for share in (False, True)]
    for ckpt in args.checkpoint:
        engine = ModelEngine(ckpt)
        stems = song / "stems" if engine.needs_stems else None
        advise(song / "mix.wav", "drums", engine, stems_dir=stems)  # loads the model; warms the caches
        llm = engine.model.alm.llm
        spent = {"prompt": 0.0, "decode": 0.0}

        def before(module, a, kw):
            module._t0 = time.perf_counter()

        reads: list[tuple[int, int]] = []   # (rows, tokens) of each prompt read, in the last advise
        shared = whole = None                # a prompt's tokens, and how many every row shares (read once)

        def after(module, a, kw, out):
            embeds = kw.get("inputs_embeds")
            spent["prompt" if embeds is not None else "decode"] += time.perf_counter() - module._t0
            if embeds is not None:
                reads.append(tuple(embeds.shape[:2]))

        core = llm.get_base_model().model if hasattr(llm, "get_base_model") else llm.model
        hooks = [core.register_forward_pre_hook(before, with_kwargs=True),
                 core.register_forward_hook(after, with_kwargs=True)]
        times: dict[tuple[int, bool], list[tuple[float, float, float]]] = {s: [] for s in settings}
        outputs: dict[tuple[int, bool], dict] = {}
        for _ in range(args.rounds):
            for batch, share in settings:
                engine.batch_size, engine.model.alm.share_start = batch, share
                spent.update(prompt=0.0, decode=0.0)
                reads.clear()
                t0 = time.perf_counter()
                report = advise(song / "mix.wav", "drums", engine, stems_dir=stems)
                times[(batch, share)].append((time.perf_counter() - t0, spent["prompt"], spent["decode"]))
                outputs.setdefault((batch, share), report.to_dict())
                if share and reads[0][0] == 1:   # the shared start (1 row), then every row's own part
                    shared, whole = reads[0][1], reads[0][1] + reads[1][1]
        for h in hooks:
            h.remove()
        first = settings[0]
        print(f"{ckpt} on {song} ({len(outputs[first]['windows'])} windows; a prompt of {whole} tokens, {shared} of "
              f"them shared; seconds, median of {args.rounds} rounds)")
        for s in settings:
            wall, prompt, decode = (statistics.median(x[i] for x in times[s]) for i in range(3))
            diff = differences(outputs[first], outputs[s])
            same = "same output" if not diff else f"{len(diff)} values differ: " + "; ".join(diff[:4])
            print(f"  batch {s[0]:>2}, shared start {'read once' if s[1] else 'per row  '}: advise {wall:6.2f} "
                  f"(rounds {' / '.join(f'{x[0]:.1f}' for x in times[s])}), LLM prompt {prompt:5.2f}, "
                  f"decode {decode:5.2f}; {same}")
        print(json.dumps({"checkpoint": ckpt, "verdict": outputs[first]["verdict"]["line"]}, ensure_ascii=False))


if __name__ == "__main__":
    main()

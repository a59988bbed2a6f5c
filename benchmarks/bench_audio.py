"""Benchmark: audio-side forward time per 10 s clip (mel encoder, full mel stack, tiny HF path).

Times, on ``--threads`` CPU threads, eval-mode ``no_grad`` forwards of random 10 s clips at batch 1
and ``--batch`` (median of ``--repeats`` after one warm-up), and a training step (forward +
backward) of the mel stack with the aux loss. The tiny HF model (random weights, MERT-like conv
stack, 2 layers of width 32) only checks that the HF path is batched and cheap outside the backbone.

    python benchmarks/bench_audio.py --threads 2 --batch 8 --repeats 5
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from typing import Callable

import torch

from mixbuddy.model.audio import build_audio_stack
from mixbuddy.model.audio_config import AudioConfig, EncoderConfig, HFEncoderConfig, ProjectorConfig
from mixbuddy.model.encoders import MelEncoder


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _per_clip(module: torch.nn.Module, sr: int, batch: int, repeats: int, seconds: float) -> float:
    wave = 0.1 * torch.randn(batch, int(seconds * sr))
    with torch.no_grad():
        return _median_ms(lambda: module(wave), repeats) / batch


def _tiny_hf_dir() -> str:
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    d = tempfile.mkdtemp(prefix="mixbuddy-tiny-hf-")
    cfg = HubertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                       conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    HubertModel(cfg).save_pretrained(d)
    Wav2Vec2FeatureExtractor(sampling_rate=24000, do_normalize=True).save_pretrained(d)
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--llm-hidden", type=int, default=576, help="LLM width (SmolLM2-135M: 576)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out: dict[str, object] = {"threads": args.threads, "batch": args.batch, "seconds": args.seconds}

    enc = MelEncoder().eval()
    out["mel_encoder_params"] = sum(p.numel() for p in enc.parameters())
    out["mel_encoder_ms_per_clip_b1"] = round(_per_clip(enc, enc.sample_rate, 1, args.repeats, args.seconds), 2)
    out["mel_encoder_ms_per_clip_bN"] = round(_per_clip(enc, enc.sample_rate, args.batch, args.repeats,
                                                        args.seconds), 2)

    cfg = AudioConfig()
    stack = build_audio_stack(cfg, args.llm_hidden).eval()
    n = int(args.seconds * stack.sample_rate)
    out["stack_tokens_per_clip"] = stack.num_tokens(n)
    out["stack_params"] = sum(p.numel() for p in stack.parameters())
    out["projector_params"] = sum(p.numel() for p in stack.projector.parameters())
    out["stack_ms_per_clip_bN"] = round(_per_clip(stack, stack.sample_rate, args.batch, args.repeats,
                                                  args.seconds), 2)
    paper = build_audio_stack(AudioConfig(projector=ProjectorConfig(preset="paper")), args.llm_hidden).eval()
    out["paper_projector_params"] = sum(p.numel() for p in paper.projector.parameters())
    out["paper_stack_ms_per_clip_bN"] = round(_per_clip(paper, paper.sample_rate, args.batch, args.repeats,
                                                        args.seconds), 2)
    stack.train()
    wave = 0.1 * torch.randn(args.batch, n)
    labels = torch.randint(0, 13, (args.batch,))

    def step() -> None:
        o = stack.forward_with_aux(wave, labels=labels)
        (o.tokens.square().mean() + o.aux.loss).backward()

    out["stack_train_step_ms_per_clip_bN"] = round(_median_ms(step, args.repeats) / args.batch, 2)

    hf_cfg = AudioConfig(encoder=EncoderConfig(kind="hf", hf=HFEncoderConfig(name_or_path=_tiny_hf_dir())))
    hf = build_audio_stack(hf_cfg, args.llm_hidden).eval()
    out["tiny_hf_frame_rate"] = hf.encoder.frame_rate
    out["tiny_hf_tokens_per_clip"] = hf.num_tokens(int(args.seconds * hf.sample_rate))
    out["tiny_hf_stack_ms_per_clip_bN"] = round(_per_clip(hf, hf.sample_rate, args.batch, args.repeats,
                                                          args.seconds), 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

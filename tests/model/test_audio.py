"""Audio side: encoders (mel, tiny random HF models), pooling, projector, aux head, the stack."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from mixbuddy.config import from_dict, to_dict
from mixbuddy.constants import TARGET_STEMS
from mixbuddy.errors import ConfigError
from mixbuddy.model.audio import build_audio_stack, load_trainable_state_dict, trainable_state_dict
from mixbuddy.model.audio_config import AudioConfig, EncoderConfig, HFEncoderConfig, MelEncoderConfig
from mixbuddy.model.encoders import LogMel, MelEncoder, build_encoder, mel_filterbank
from mixbuddy.model.heads import (NUM_CLASSES, AuxHead, anchor_index, class_index, class_names, decode_class,
                                  labels_from_recipe)
from mixbuddy.model.pooling import TemporalPool
from mixbuddy.model.projector import Projector, build_projector
from mixbuddy.model.audio_config import ProjectorConfig

SMALL_MEL = MelEncoderConfig(channels=32, out_dim=24, res_blocks=1, transformer_layers=1, heads=2, n_mels=32,
                             n_fft=512)


def _odd_lengths(sr: int) -> list[int]:
    """1 s ... 30 s, each with an odd, length-dependent extra sample count."""
    return [s * sr + (2 * ((s * 37) % 101) + 1) for s in range(1, 31)]


def _batch(lengths: list[int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    wave = torch.zeros(len(lengths), max(lengths))
    for i, n in enumerate(lengths):
        wave[i, :n] = 0.1 * torch.randn(n, generator=g)
    return wave, torch.tensor(lengths)


# ---------------------------------------------------------------- tiny HF models (random weights)
def _save_tiny_hf(kind: str, d: Path) -> Path:
    from transformers import HubertConfig, HubertModel, Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    kw = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
              conv_dim=(8,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
              num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    if kind == "hubert":
        model = HubertModel(HubertConfig(**kw))
    else:
        model = Wav2Vec2Model(Wav2Vec2Config(feat_extract_norm="layer", **kw))
    model.save_pretrained(d)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=True,
                             return_attention_mask=kind == "wav2vec2").save_pretrained(d)
    return d


@pytest.fixture(scope="module", params=["hubert", "wav2vec2"])
def tiny_hf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _save_tiny_hf(request.param, tmp_path_factory.mktemp(f"tiny_{request.param}"))


def _hf_cfg(path: Path, **kw) -> AudioConfig:
    cfg = AudioConfig()
    cfg.encoder = EncoderConfig(kind="hf", hf=HFEncoderConfig(name_or_path=str(path), **kw))
    cfg.pooling.tokens_per_second = 5.0             # MERT-like conv stack: 16 kHz / 320 = 50 Hz -> window 10
    cfg.projector.preset = "mlp2"
    return cfg


def test_hf_frame_count_matches_backbone(tiny_hf: Path) -> None:
    enc = build_encoder(_hf_cfg(tiny_hf).encoder)
    assert enc.frame_rate == 50.0 and enc.sample_rate == 16000 and enc.out_dim == 32
    for n in [400, 719, 720, 999, 1000, 16000, 16001, 33333, 48017, 240000]:
        with torch.no_grad():
            actual = enc.backbone(torch.randn(1, n)).last_hidden_state.shape[1]
        assert enc.num_frames(n) == actual, n


def test_hf_frozen_and_layer_weights(tiny_hf: Path) -> None:
    enc = build_encoder(_hf_cfg(tiny_hf).encoder)
    assert [n for n, p in enc.named_parameters() if p.requires_grad] == ["layer_logits"]
    assert len(enc.layers) == 3                                            # embeddings + 2 layers
    with torch.no_grad():
        enc.layer_logits.copy_(torch.tensor([0.3, -1.0, 2.0]))
    assert torch.isclose(enc.layer_weights.sum(), torch.tensor(1.0))
    enc.train()
    assert not enc.backbone.training                                       # frozen stays in eval
    wave, lengths = _batch([16000, 9001])
    frames, mask = enc(wave, lengths)
    assert frames.shape == (2, 49, 32) and mask.sum(1).tolist() == [49, enc.num_frames(9001)]
    assert not frames[1, ~mask[1]].any()
    frames.sum().backward()
    assert enc.layer_logits.grad is not None and enc.layer_logits.grad.abs().sum() > 0
    sd = trainable_state_dict(enc)
    assert list(sd) == ["layer_logits"]                                   # no frozen backbone weights
    fresh = build_encoder(_hf_cfg(tiny_hf).encoder)
    assert not torch.equal(fresh.layer_logits, sd["layer_logits"])
    load_trainable_state_dict(fresh, sd)                                  # the learnt layer mix comes back
    assert torch.equal(fresh.layer_logits, sd["layer_logits"])
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(wave, lengths)[0], enc.eval()(wave, lengths)[0])


_MERT_LIKE_CONFIG = """from transformers import HubertConfig


class TinyMertConfig(HubertConfig):
    model_type = "tinymert"
"""
_MERT_LIKE_MODEL = """from transformers import HubertModel
from transformers.modeling_outputs import BaseModelOutput

from .configuration_tinymert import TinyMertConfig


class TinyMertModel(HubertModel):
    \"\"\"Shaped like MERT's own modelling code: forward runs the front end and calls the encoder directly.\"\"\"
    config_class = TinyMertConfig

    def forward(self, input_values, attention_mask=None, output_hidden_states=None, return_dict=None, **kwargs):
        features = self.feature_extractor(input_values).transpose(1, 2)
        hidden = self.feature_projection(features)
        out = self.encoder(hidden, attention_mask=None, output_hidden_states=output_hidden_states, return_dict=True)
        return BaseModelOutput(last_hidden_state=out[0], hidden_states=out.hidden_states)
"""


def test_a_model_whose_own_code_returns_no_hidden_states_is_tapped(tmp_path: Path) -> None:
    """MERT ships its modelling code (trust_remote_code); its forward calls the encoder itself, and under
    transformers 5 that returns no hidden states. The encoder takes them with hooks: the same frames as the
    plain model with the same weights."""
    import json
    import shutil

    tiny = _save_tiny_hf("hubert", tmp_path / "tiny_hubert")
    d = Path(shutil.copytree(tiny, tmp_path / "tiny_mert"))
    (d / "configuration_tinymert.py").write_text(_MERT_LIKE_CONFIG)
    (d / "modeling_tinymert.py").write_text(_MERT_LIKE_MODEL)
    conf = json.loads((d / "config.json").read_text())
    conf.update(model_type="tinymert", architectures=["TinyMertModel"],
                auto_map={"AutoConfig": "configuration_tinymert.TinyMertConfig",
                          "AutoModel": "modeling_tinymert.TinyMertModel"})
    (d / "config.json").write_text(json.dumps(conf))
    mert = build_encoder(EncoderConfig(kind="mert", hf=HFEncoderConfig(name_or_path=str(d), trust_remote_code=True)))
    assert type(mert.backbone).__name__ == "TinyMertModel"
    wave, lengths = _batch([16000, 9001])
    with torch.no_grad():
        assert mert.backbone(wave, output_hidden_states=True).hidden_states is None   # what MERT's code gives
        plain = build_encoder(_hf_cfg(tiny).encoder)
        for enc in (mert, plain):
            enc.layer_logits.copy_(torch.tensor([0.3, -1.0, 2.0]))
        (f_mert, m_mert), (f_plain, m_plain) = mert(wave, lengths), plain(wave, lengths)
    assert torch.equal(m_mert, m_plain) and torch.allclose(f_mert, f_plain, atol=1e-6)
    assert not mert.backbone._forward_hooks and not mert.backbone.encoder.layers[0]._forward_pre_hooks


def test_hf_normalisation_matches_feature_extractor(tiny_hf: Path) -> None:
    from transformers import Wav2Vec2FeatureExtractor

    enc = build_encoder(_hf_cfg(tiny_hf).encoder)
    fe = Wav2Vec2FeatureExtractor.from_pretrained(tiny_hf)
    wave, lengths = _batch([16000, 9001, 4003])
    ref = fe([wave[i, :n].numpy() for i, n in enumerate(lengths.tolist())], sampling_rate=16000,
             padding=True, return_attention_mask=True, return_tensors="pt").input_values
    ours, _ = enc.preprocess(wave + 0.05, lengths)                         # DC offset removed too
    ref_dc = fe([(wave[i, :n] + 0.05).numpy() for i, n in enumerate(lengths.tolist())], sampling_rate=16000,
                padding=True, return_attention_mask=True, return_tensors="pt").input_values
    assert torch.allclose(ours, ref_dc, atol=1e-4) and ref.shape == ours.shape


def test_hf_remote_code_flag_required_for_mert() -> None:
    with pytest.raises(ConfigError, match="trust_remote_code"):
        build_encoder(EncoderConfig(kind="mert"))


# ---------------------------------------------------------------- token counts for both encoders
def _mel_cfg() -> AudioConfig:
    cfg = AudioConfig()
    cfg.encoder.mel = SMALL_MEL
    cfg.projector.preset = "linear"
    return cfg


@pytest.mark.parametrize("pool", ["mean", "attention"])
def test_token_counts_exact_mel(pool: str) -> None:
    cfg = _mel_cfg()
    cfg.pooling.kind = pool
    stack = build_audio_stack(cfg, 16).eval()
    lengths = _odd_lengths(16000)
    wave, lens = _batch(lengths)
    with torch.no_grad():
        tokens, mask = stack(wave, lens)
    assert tokens.shape == (30, stack.num_tokens(max(lengths)), 16)
    assert mask.sum(1).tolist() == [stack.num_tokens(n) for n in lengths]
    assert [stack.num_tokens(n) for n in lengths] == [math.ceil(n / 6400) for n in lengths]
    assert stack.num_tokens(160000) == 25                                   # 2.5 tokens/s default
    for n in (1, 159, 160, 161, 6399, 6400, 6401, 23457):                    # unpadded, odd, tiny
        with torch.no_grad():
            t, m = stack(0.1 * torch.randn(1, n))
        assert t.shape[1] == m.sum() == stack.num_tokens(n), n


def test_token_counts_exact_hf(tiny_hf: Path) -> None:
    stack = build_audio_stack(_hf_cfg(tiny_hf), 16).eval()
    lengths = _odd_lengths(16000)[::2] + [401, 1023, 3841]
    wave, lens = _batch(lengths)
    with torch.no_grad():
        tokens, mask = stack(wave, lens)
    assert tokens.shape[1] == stack.num_tokens(max(lengths))
    assert mask.sum(1).tolist() == [stack.num_tokens(n) for n in lengths]
    with pytest.raises(ValueError, match="resample"):
        stack.num_tokens(16000, sample_rate=24000)


def test_pooling_excludes_padding_and_rejects_bad_rates() -> None:
    pool = TemporalPool(frame_rate=25, tokens_per_second=2.5, dim=3)
    frames = torch.arange(2 * 23 * 3, dtype=torch.float32).view(2, 23, 3)
    mask = torch.ones(2, 23, dtype=torch.bool)
    mask[1, 14:] = False
    frames[1, 14:] = 1e6                                                     # garbage in padding
    tokens, tmask = pool(frames, mask)
    assert tokens.shape == (2, 3, 3) and tmask.tolist() == [[True] * 3, [True, True, False]]
    assert torch.allclose(tokens[1, 1], frames[1, 10:14].mean(0))
    assert torch.allclose(tokens[0, 2], frames[0, 20:23].mean(0)) and not tokens[1, 2].any()
    with pytest.raises(ConfigError, match="frame rate"):
        TemporalPool(frame_rate=75, tokens_per_second=4, dim=3)
    assert TemporalPool(75, 2.5, 3).window == 30 and TemporalPool(75, 5, 3).window == 15


# ---------------------------------------------------------------- mel encoder
def test_mel_filterbank_and_level_sensitivity() -> None:
    fb = mel_filterbank(16000, 1024, 64)
    assert fb.shape == (64, 513) and (fb.max(1) > 0).all()
    assert mel_filterbank(16000, 1024, 64, scale="htk").shape == (64, 513)
    front = LogMel(MelEncoderConfig())
    t = torch.arange(16000) / 16000
    x = (0.05 * torch.sin(2 * math.pi * 440 * t) + 0.01 * torch.randn(16000))[None]
    lengths = torch.tensor([16000])
    a, _ = front(x, lengths)
    b, _ = front(x * 10 ** (6 / 20), lengths)
    diff_db = (b - a) * front.cfg.db_scale                                  # back to dB
    assert torch.allclose(diff_db, torch.full_like(diff_db, 6.0), atol=1e-3)  # every bin, level channel too


def test_mel_encoder_shapes_padding_invariance_and_determinism() -> None:
    torch.manual_seed(0)
    enc = MelEncoder(SMALL_MEL).eval()
    assert enc.frame_rate == 25.0 and enc.trainable
    wave, lengths = _batch([16000, 12345, 801])
    with torch.no_grad():
        frames, mask = enc(wave, lengths)
        again, _ = enc(wave, lengths)
        alone, _ = enc(wave[1:2, :12345])
    assert frames.shape == (3, 25, 24) and mask.sum(1).tolist() == [enc.num_frames(n) for n in (16000, 12345, 801)]
    assert torch.equal(frames, again)                                       # deterministic in eval
    assert torch.allclose(frames[1, : alone.shape[1]], alone[0], atol=1e-5)  # batch padding has no effect
    assert not frames[2, ~mask[2]].any()
    louder, _ = enc(wave * 2.0, lengths)
    assert not torch.allclose(louder, frames, atol=1e-3)                   # level reaches the output
    n_params = sum(p.numel() for p in MelEncoder().parameters())
    assert 1_000_000 < n_params < 5_000_000                                 # the default encoder stays small
    with pytest.raises(ValueError, match="mono"):
        enc(torch.zeros(1, 2, 1600))


def test_mel_trainable_state_dict_roundtrip() -> None:
    stack = build_audio_stack(_mel_cfg(), 16)
    sd = trainable_state_dict(stack)
    assert set(sd) == set(stack.state_dict()) and not any(k.endswith((".fb", ".window")) for k in sd)
    other = build_audio_stack(_mel_cfg(), 16)
    load_trainable_state_dict(other, sd)
    assert all(torch.equal(v, other.state_dict()[k]) for k, v in sd.items())
    with pytest.raises(KeyError):
        load_trainable_state_dict(other, {k: v for k, v in list(sd.items())[1:]})


# ---------------------------------------------------------------- projector
def test_projector_presets() -> None:
    paper = build_projector(ProjectorConfig(preset="paper"), 1024, 3584)
    assert paper.dims == (1024, 2048, 4096, 4096, 2048, 3584)
    dims = paper.dims
    expected = sum(a * b + b for a, b in zip(dims[:-1], dims[1:])) + 2 * sum(dims[1:-1])  # + LayerNorm
    assert sum(p.numel() for p in paper.parameters()) == expected == 43_032_064
    kinds = [type(m).__name__ for m in paper.net[:4]]
    assert kinds == ["Linear", "GELU", "LayerNorm", "Dropout"]
    lin = build_projector(ProjectorConfig(preset="linear"), 256, 576)
    assert lin.dims == (256, 576) and len(lin.net) == 1
    assert build_projector(ProjectorConfig(preset="mlp2", layernorm=False, dropout=0.0), 256, 576).dims == (256, 576, 576)
    custom = Projector(8, 4, (16,), activation="silu")
    assert custom(torch.randn(2, 5, 8)).shape == (2, 5, 4)


# ---------------------------------------------------------------- aux head
def test_class_mapping() -> None:
    names = class_names()
    assert len(names) == NUM_CLASSES == 13 and names[0] == "no_error"
    for i, name in enumerate(names):
        target, cat = decode_class(i)
        assert class_index(target, cat) == i and (name == cat if target is None else name == f"{target}/{cat}")
    assert labels_from_recipe({"target": "drums", "category": "no_error"}) == 0
    assert names[labels_from_recipe({"target": "vocals", "category": "loud"})] == "vocals/loud"
    with pytest.raises(ValueError, match=r"^no aux class for target='other', category='loud'$"):
        class_index("other", "loud")


@pytest.mark.parametrize("clips", [("mix",), ("bass", "drums", "other", "vocals")])
def test_aux_head_learns_toy_problem(clips: tuple[str, ...]) -> None:
    """Class k is encoded by a shift of feature k (in the mix or in the target's clip)."""
    torch.manual_seed(0)
    B, N, D = 128, 5, 16
    labels = torch.randint(0, NUM_CLASSES, (B,))
    x = 0.3 * torch.randn(B, len(clips), N, D)
    x[torch.arange(B), 0, :, labels] += 2.0
    mask = torch.ones(B, len(clips), N, dtype=torch.bool)
    mask[:, :, 4] = False
    x[:, :, 4] = 50.0                                                        # padding must not matter
    head = AuxHead(D, hidden=32, clips=clips, dropout=0.0)
    anchor = torch.tensor([anchor_index(TARGET_STEMS[i % 3]) for i in range(B)])
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        out = head(x if len(clips) > 1 else x[:, 0], mask if len(clips) > 1 else mask[:, 0], anchor, labels)
        first = first if first is not None else out.loss.item()
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    assert out.loss.item() < 0.2 * first
    assert (out.logits.argmax(-1) == labels).float().mean() > 0.95
    assert out.p_error.shape == (B,) and ((out.p_error >= 0) & (out.p_error <= 1)).all()


def test_stack_aux_both_modes() -> None:
    cfg = _mel_cfg()
    stack = build_audio_stack(cfg, 16)
    out = stack.forward_with_aux(0.1 * torch.randn(2, 16000), labels=torch.tensor([0, 5]))
    assert out.tokens.shape == (2, 3, 16) and out.aux.loss is not None
    out.aux.loss.backward()
    assert stack.projector.net[0].weight.grad is not None                  # projector gets gradient
    cfg.aux.clips = ["bass", "drums", "other", "vocals"]
    stems = build_audio_stack(cfg, 16)
    out = stems.forward_with_aux(0.1 * torch.randn(2, 4, 8000), torch.tensor([[8000, 8000, 4000, 8000]] * 2),
                                 anchor=torch.tensor([0, 2]))
    assert out.tokens.shape == (2, 4, 2, 16) and out.mask.shape == (2, 4, 2) and out.aux.logits.shape == (2, 13)
    assert out.mask[:, 2].sum(-1).tolist() == [stems.num_tokens(4000)] * 2


def test_audio_config_yaml_roundtrip() -> None:
    cfg = AudioConfig()
    cfg.encoder.kind = "mert"
    cfg.pooling.tokens_per_second = 5.0
    d = to_dict(cfg)
    assert from_dict(AudioConfig, d) == cfg
    with pytest.raises(ConfigError, match=r"pooling: unknown key 'tokens_per_secnd'; valid keys: \['kind', "
                                          r"'tokens_per_second'\]"):
        from_dict(AudioConfig, {"pooling": {"tokens_per_secnd": 5}})
    with pytest.raises(ConfigError, match=r"encoder.kind must be one of \['mel', 'hf', 'mert'\], got 'whisper'"):
        from_dict(AudioConfig, {"encoder": {"kind": "whisper"}})
    assert np.isclose(MelEncoder(MelEncoderConfig(strides=[2])).frame_rate, 50.0)


def test_band_levels_track_gain_and_ignore_padding() -> None:
    """Fixed level statistics: +6 dB moves every mean by 6/db_scale and every energy by 6 dB; padding past
    ``lengths`` changes nothing; a model built with levels rejects a head call without them."""
    from mixbuddy.model.heads import AuxHead
    from mixbuddy.model.levels import LevelFeatures

    lv = LevelFeatures(16000, bands=16)
    assert lv.dim == 3 * 17 and sum(p.numel() for p in lv.parameters()) == 0
    w = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 32000)).astype(np.float32) * 0.1)
    n = torch.tensor([32000])
    base, louder = lv(w, n), lv(w * 10 ** (6 / 20), n)
    k = 17
    assert torch.allclose(louder[0, :k] - base[0, :k], torch.full((k,), 6 / 20), atol=1e-4)          # mean dB
    assert torch.allclose(louder[0, k:2 * k], base[0, k:2 * k], atol=1e-4)                           # spread
    assert torch.allclose((louder[0, 2 * k:] - base[0, 2 * k:]) * 20, torch.full((k,), 6.0), atol=1e-3)
    padded = torch.cat([w, torch.zeros(1, 8000)], dim=1)                  # batch padding (silence)
    assert torch.allclose(lv(padded, n), base, atol=1e-5)
    assert not torch.allclose(lv(padded, torch.tensor([40000])), base, atol=1e-2)   # counted as silence
    overall = LevelFeatures(16000, bands=16, kind="overall")
    assert overall.dim == 3
    assert torch.allclose(overall(w, n), base[:, [k - 1, 2 * k - 1, 3 * k - 1]])       # the level channel's three
    head = AuxHead(8, hidden=16, clips=("mix",), level_dim=lv.dim)
    with pytest.raises(ValueError, match="aux head needs token features"):
        AuxHead(0, hidden=16, clips=("mix",))
    with pytest.raises(ValueError, match="pass levels"):
        head(torch.zeros(2, 3, 8), torch.ones(2, 3, dtype=torch.bool))


def test_loudness_features_match_bs1770_and_follow_gain() -> None:
    """``loudness``: the gated integrated loudness agrees with pyloudnorm (BS.1770) within 0.2 dB on a gated
    signal (loud and near-silent halves), shifts by exactly the gain, and a silent clip reads -70 LUFS."""
    import pyloudnorm as pyln

    from mixbuddy.model.levels import LevelFeatures

    sr = 16000
    rng = np.random.default_rng(1)
    t = np.arange(4 * sr) / sr
    x = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    x[2 * sr:] *= 0.001                                          # the quiet half falls below the relative gate
    ref = pyln.Meter(sr).integrated_loudness(x.astype(np.float64))
    lf = LevelFeatures(sr, kind="loudness")
    n = torch.tensor([x.size])
    out = lf(torch.from_numpy(x)[None], n)[0]
    lufs = float(out[0]) * lf.cfg.db_scale + lf.cfg.db_offset
    assert abs(lufs - ref) < 0.2, (lufs, ref)
    ungated = float(out[1]) * lf.cfg.db_scale + lf.cfg.db_offset
    assert ungated < lufs - 2.0                                  # the quiet half pulls the ungated level down
    louder = lf(torch.from_numpy(x * 10 ** (-4.5 / 20))[None], n)[0]
    assert abs(float(louder[0] - out[0]) * lf.cfg.db_scale + 4.5) < 1e-3
    assert abs(float(louder[2] - out[2])) < 1e-4                 # spread is level-free
    silent = lf(torch.zeros(1, x.size), n)[0]
    assert float(silent[0]) * lf.cfg.db_scale + lf.cfg.db_offset == pytest.approx(-70.0)


def test_rich_features_shape_gain_and_padding() -> None:
    """``rich``: 265 numbers per clip with 32 bands; a gain moves the level-like entries by exactly the gain
    (mean, energy, percentiles, harmonic/percussive energies, loudness) and leaves the level-free ones
    (spread, onsets, block spread) alone; batch padding changes nothing; unknown kinds are refused."""
    from mixbuddy.model.levels import LevelFeatures

    lf = LevelFeatures(16000, bands=32, kind="rich")
    assert lf.dim == 265
    rng = np.random.default_rng(2)
    w = torch.from_numpy((rng.standard_normal((2, 48000)) * np.linspace(0.01, 0.3, 48000)).astype(np.float32))
    n = torch.tensor([48000, 40000])
    base = lf(w, n)
    gained = lf(w * 10 ** (6 / 20), n)
    d = (gained - base) * lf.cfg.db_scale
    k = 33
    level_like = np.r_[0:k, 2 * k:5 * k, 6 * k:6 * k + 64, 6 * k + 64, 6 * k + 65]
    level_free = np.r_[k:2 * k, 5 * k:6 * k, 6 * k + 66]
    assert torch.allclose(d[:, level_like], torch.full_like(d[:, level_like], 6.0), atol=2e-2)
    assert torch.allclose(d[:, level_free], torch.zeros_like(d[:, level_free]), atol=2e-2)
    padded = lf(torch.cat([w, torch.zeros(2, 4000)], 1), n)
    assert torch.allclose(padded, base, atol=1e-4)
    with pytest.raises(ValueError, match="level_features must be one of"):
        LevelFeatures(16000, kind="spectral")


def test_full_features_add_gain_free_descriptors() -> None:
    """``full``: ``rich`` followed by 166 descriptors on log-spaced bands. A gain moves the band means and the
    RMS level by exactly the gain and leaves band spreads and ranges, the per-frame balance between bands,
    centroid, flux and crest alone; a 1 kHz sine has its centroid at 1 kHz and a crest factor of 3 dB;
    batch padding changes nothing."""
    from mixbuddy.model.levels import LevelFeatures

    lf, rich = LevelFeatures(16000, bands=32, kind="full"), LevelFeatures(16000, bands=32, kind="rich")
    assert lf.dim == 431
    rng = np.random.default_rng(3)
    w = torch.from_numpy((rng.standard_normal((2, 48000)) * np.linspace(0.01, 0.3, 48000)).astype(np.float32))
    n = torch.tensor([48000, 40000])
    base = lf(w, n)
    assert torch.allclose(base[:, :265], rich(w, n), atol=1e-6)
    d = (lf(w * 10 ** (6 / 20), n) - base)[:, 265:] * lf.cfg.db_scale
    moved = np.r_[0:32, 165]
    still = np.r_[32:165]
    assert torch.allclose(d[:, moved], torch.full_like(d[:, moved], 6.0), atol=2e-2)
    assert torch.allclose(d[:, still], torch.zeros_like(d[:, still]), atol=2e-2)
    assert torch.allclose(lf(torch.cat([w, torch.zeros(2, 4000)], 1), n), base, atol=1e-4)
    t = torch.arange(32000) / 16000
    sine = lf(0.5 * torch.sin(2 * np.pi * 1000 * t)[None], torch.tensor([32000]))[0, 265:]
    assert abs(float(sine[160]) - 1.0) < 0.02                      # centroid mean, kHz
    assert abs(float(sine[164]) * lf.cfg.db_scale - 3.01) < 0.05   # crest factor, dB


@pytest.mark.parametrize("kind", ["loudness", "bands", "full"])
def test_level_reference_makes_the_statistics_blind_to_gain(kind: str) -> None:
    """``aux.level_reference``: each clip is moved to that gated loudness first, so the same clip 10 dB up or
    down gives the same numbers (the gated loudness then reads the reference); without it they differ; a
    silent clip stays finite; the config rejects a reference outside (-70, 0) LUFS."""
    from mixbuddy.model.audio_config import AuxHeadConfig
    from mixbuddy.model.levels import LevelFeatures

    rng = np.random.default_rng(5)
    w = torch.from_numpy((rng.standard_normal((2, 48000)) * np.linspace(0.02, 0.2, 48000)).astype(np.float32))
    n = torch.tensor([48000, 36000])
    ref, plain = LevelFeatures(16000, 32, kind, reference_lufs=-20.0), LevelFeatures(16000, 32, kind)
    base = ref(w, n)
    for g_db in (-10.0, 10.0):
        g = 10 ** (g_db / 20)
        assert torch.allclose(ref(w * g, n), base, atol=1e-4)
        assert not torch.allclose(plain(w * g, n), plain(w, n), atol=1e-2)
    if kind == "loudness":
        assert torch.allclose(base[:, 0] * ref.cfg.db_scale + ref.cfg.db_offset, torch.full((2,), -20.0), atol=0.05)
    assert torch.isfinite(ref(torch.zeros(1, 16000), torch.tensor([16000]))).all()
    with pytest.raises(ValueError, match="aux.level_reference is a loudness in LUFS"):
        AuxHeadConfig(levels=True, level_reference=3.0)


@pytest.mark.parametrize("kind", ["bands", "loudness"])
def test_level_statistics_are_float32_under_bf16_autocast(kind: str) -> None:
    """Training evaluates under accelerate's bf16 autocast; the stage-1 cache, predict and calibrate do not. The
    statistics must not depend on it (they moved by up to 0.4 dB when the matmuls ran in bf16)."""
    from mixbuddy.model.levels import LevelFeatures

    lv = LevelFeatures(16000, 32, kind)
    w = torch.from_numpy(np.random.default_rng(3).standard_normal((2, 48000)).astype(np.float32) * 0.1)
    n = torch.tensor([48000, 30000])
    plain = lv(w, n)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under = lv(w, n)
    assert under.dtype == torch.float32 and torch.equal(under, plain)


def test_level_norm_standardises_per_clip_and_feature() -> None:
    """A head with ``level_norm`` fitted on some features gives exactly the logits of the same head without
    it fed the standardised features; fitting is refused on a head built without it or with the wrong shape."""
    from mixbuddy.model.heads import AuxHead

    torch.manual_seed(0)
    x = torch.randn(50, 2, 5) * torch.tensor([1.0, 10.0, 0.1, 3.0, 100.0]) + 7.0
    normed = AuxHead(0, 16, ("bass", "drums"), True, 0.0, 5, level_norm=True).eval()
    normed.fit_level_norm(x)
    assert torch.allclose(normed.level_mean, x.mean(0)) and torch.allclose(normed.level_std, x.std(0))
    plain = AuxHead(0, 16, ("bass", "drums"), True, 0.0, 5).eval()
    plain.load_state_dict({k: v for k, v in normed.state_dict().items() if not k.startswith("level_")})
    a = torch.zeros(50, dtype=torch.long)
    with torch.no_grad():
        z = (x - x.mean(0)) / x.std(0)
        assert torch.allclose(normed(None, None, anchor=a, levels=x).logits, plain(None, None, anchor=a, levels=z).logits,
                              atol=1e-5)
    with pytest.raises(ValueError, match="without level_norm"):
        plain.fit_level_norm(x)
    with pytest.raises(ValueError, match="2 clip"):
        normed.fit_level_norm(torch.randn(50, 3, 5))
    with pytest.raises(ValueError, match="level_dim"):
        AuxHead(8, 16, ("mix",), level_norm=True)

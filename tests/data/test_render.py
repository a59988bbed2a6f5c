"""Renderer: exact mix arithmetic, determinism, augmentation ranges, peak policy, cache."""
from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from data_helpers import SR, data_config, make_song
from mixbuddy.data.build import build_records
from mixbuddy.data.recipe import Recipe
from mixbuddy.data.render import Renderer
from mixbuddy.errors import DataError


@pytest.fixture
def song():
    return make_song("s", "test", seconds=20, seed=7)


@pytest.fixture
def recipes(song) -> list[Recipe]:
    return build_records([song], data_config())[0]["test"]


def by_category(recipes, cat, start=10.0):
    return next(r for r in recipes if r.category == cat and r.start_s == start)


def test_mix_is_sum_with_target_scaled_exactly(song, recipes):
    rd = Renderer([song], sample_rate=SR, channels=2)
    for cat in ("very_quiet", "no_error", "loud"):
        r = by_category(recipes, cat)
        out = rd.render(r, return_stems=True)
        win = {s: song.meta["arrays"][s][10 * SR:20 * SR] for s in song.stem_names}
        g = np.float32(10 ** (r.gain_db / 20))
        expected = np.zeros_like(win["bass"])
        for s in song.stem_names:
            expected += win[s] * g if s == r.target else win[s]
        assert out.info["peak_scale_db"] == 0.0
        np.testing.assert_array_equal(out.mix, expected)
        assert out.mix.dtype == np.float32 and out.mix.shape == (10 * SR, 2)
        np.testing.assert_array_equal(out.stems[r.target], win[r.target] * g)
        np.testing.assert_allclose(sum(out.stems.values()), out.mix, atol=1e-6)
        ratio_db = 20 * np.log10(np.std(out.stems[r.target]) / np.std(win[r.target]))
        assert ratio_db == pytest.approx(r.gain_db, abs=1e-3)


def test_deterministic_and_seeded_augmentation(song, recipes):
    rd = Renderer([song], sample_rate=SR, channels=2)
    r = by_category(recipes, "quiet")
    a = rd.render(r, augment=True, seed=3).mix
    b = pickle.loads(pickle.dumps(Renderer([song], sample_rate=SR, channels=2))).render(r, augment=True, seed=3).mix
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, rd.render(r, augment=True, seed=4).mix)
    np.testing.assert_array_equal(rd.render(r).mix, rd.render(r).mix)


def test_augmentation_ranges(song, recipes):
    rd = Renderer([song], sample_rate=SR, channels=2)
    seen = []
    for i, r in enumerate(recipes[:40]):
        plain = rd.render(r)
        clean = plain.mix / 10 ** (plain.info["peak_scale_db"] / 20)  # undo the clean render's own peak scaling
        aug = rd.render(r, augment=True, seed=i)
        info = aug.info
        assert -3 <= info["aug_gain_db"] <= 3 and abs(info["aug_dc"]) <= 0.005 and 40 <= info["aug_snr_db"] <= 60
        scale = 10 ** (info["peak_scale_db"] / 20)
        gained = clean * 10 ** (info["aug_gain_db"] / 20)
        resid = aug.mix / scale - gained
        assert resid.mean() == pytest.approx(info["aug_dc"], abs=2e-4)
        noise = resid - info["aug_dc"]
        snr = 10 * np.log10(np.mean(gained.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2))
        assert snr == pytest.approx(info["aug_snr_db"], abs=0.2)
        seen.append((info["aug_gain_db"], snr))
        if i < 5:  # the noise is white, Gaussian-like and independent across channels
            z = noise / noise.std()
            assert abs(np.mean(z[1:, 0] * z[:-1, 0])) < 0.03
            assert abs(np.mean(z[:, 0] * z[:, 1])) < 0.03
            assert np.mean(z ** 4) == pytest.approx(3.0, abs=0.3)
    gains, snrs = np.array(seen).T
    assert gains.min() < -1.5 and gains.max() > 1.5 and snrs.min() < 45 and snrs.max() > 55


def test_thinning_touches_only_bystanders(song, recipes):
    """``thin``: only stems that are neither target nor anchor change; each becomes absent (all zero), quiet
    (the same signal 10-40 dB down) or sparse (one stretch of <= 20% of the window, zero elsewhere); the
    mix is still the sum of the stems; seeded; every kind shows up; p = 0 renders exactly as before."""
    rd = Renderer([song], sample_rate=SR, channels=2)
    kinds = set()
    for i, r in enumerate(recipes[:60]):
        plain = rd.render(r, return_stems=True, seed=i)
        out = rd.render(r, return_stems=True, seed=i, thin=0.5)
        rescale = np.float32(10 ** ((out.info["peak_scale_db"] - plain.info["peak_scale_db"]) / 20))  # peak ceiling
        np.testing.assert_allclose(sum(out.stems.values()), out.mix, atol=1e-6)
        thinned = out.info.get("thinned", {})
        assert not {r.target, r.anchor} & set(thinned)
        for s, x in out.stems.items():
            ref = plain.stems[s] * rescale
            if s not in thinned:
                np.testing.assert_allclose(x, ref, rtol=1e-6, atol=1e-7)
            elif thinned[s] == "absent":
                assert not x.any()
            elif thinned[s] == "quiet":
                db = 20 * np.log10(np.std(x) / np.std(ref))
                assert -40.01 <= db <= -9.99
                np.testing.assert_allclose(x, ref * 10 ** (db / 20), atol=1e-6)
            else:
                on = np.flatnonzero(np.any(x != 0, axis=1))
                assert on.size <= 0.2 * len(x)
                if on.size:
                    np.testing.assert_allclose(x[on[0]:on[-1] + 1], ref[on[0]:on[-1] + 1], rtol=1e-6, atol=1e-7)
            kinds.update(thinned.values())
        np.testing.assert_array_equal(rd.render(r, seed=i, thin=0.5).mix, out.mix)
        np.testing.assert_array_equal(rd.render(r, seed=i, thin=0.0).mix, plain.mix)
    assert kinds == {"absent", "quiet", "sparse"}


def test_mastering_limits_the_mix_and_leaves_the_stems(song, recipes):
    """``master``: with probability p the mix goes through master_mix (one gain into a limiter) to a loudness
    drawn in MASTER_LUFS, recorded in info; seeded; peaks end near full scale, never above the render
    ceiling; the stems are not touched; p = 0 renders exactly as before."""
    from mixbuddy.data.render import DEFAULT_CEILING, MASTER_LUFS, master_mix
    from mixbuddy.evaluate.baselines.loudness import loudness

    rd = Renderer([song], sample_rate=SR, channels=2)
    hit = 0
    for i, r in enumerate(recipes[:24]):
        plain = rd.render(r, return_stems=True, seed=i)
        out = rd.render(r, return_stems=True, seed=i, master=0.5)
        np.testing.assert_array_equal(rd.render(r, seed=i, master=0.5).mix, out.mix)
        np.testing.assert_array_equal(rd.render(r, seed=i, master=0.0).mix, plain.mix)
        if "master_lufs" not in out.info:
            np.testing.assert_array_equal(out.mix, plain.mix)
            continue
        hit += 1
        target = out.info["master_lufs"]
        assert MASTER_LUFS[0] <= target <= MASTER_LUFS[1]
        lufs = loudness(out.mix.mean(axis=1), SR)
        assert target - 4.0 <= lufs <= target + 4.0, (target, lufs)     # near the target (limiting moves it)
        crest = lambda x: np.abs(x).max() / np.sqrt(np.mean(np.square(x)))  # noqa: E731
        assert crest(out.mix) < crest(plain.mix)                            # squeezed: peaks limited
        assert 0.8 <= np.abs(out.mix).max() <= DEFAULT_CEILING + 1e-6
        for s, x in out.stems.items():                 # the stems stay as mixed (bar the common peak scaling)
            g = np.float32(10 ** ((out.info["peak_scale_db"] - plain.info["peak_scale_db"]) / 20))
            np.testing.assert_allclose(x, plain.stems[s] * g, rtol=1e-6, atol=1e-7)
    assert 6 <= hit <= 18                               # about half of 24
    silent = np.zeros((SR, 2), np.float32)
    np.testing.assert_array_equal(master_mix(silent, SR, -10.0), silent)


def test_peak_scaling_preserves_balance():
    loud = make_song("hot", "test", seconds=10, levels={s: -6.0 for s in ("bass", "drums", "other", "vocals")})
    recs = build_records([loud], data_config())[0]["test"]
    r = next(x for x in recs if x.category == "very_loud")
    rd = Renderer([loud], sample_rate=SR, channels=2)
    out = rd.render(r, return_stems=True)
    assert out.info["peak"] > 1.0 and out.info["peak_scale_db"] < 0
    assert np.max(np.abs(out.mix)) <= 0.999 + 1e-6
    assert out.info["peak_scale_db"] == pytest.approx(20 * np.log10(0.999 / out.info["peak"]))
    s = np.float32(10 ** (out.info["peak_scale_db"] / 20))
    win = loud.meta["arrays"]
    np.testing.assert_allclose(out.stems[r.target], win[r.target] * np.float32(10 ** (r.gain_db / 20)) * s, rtol=1e-6)
    np.testing.assert_allclose(out.stems[r.anchor], win[r.anchor] * s, rtol=1e-6)
    np.testing.assert_allclose(sum(out.stems.values()), out.mix, atol=1e-5)
    # the same song with its target turned down: scaled only if it still peaks over the ceiling, and less
    q = rd.render(next(x for x in recs if x.category == "very_quiet")).info
    assert q["peak_scale_db"] == (pytest.approx(20 * np.log10(0.999 / q["peak"])) if q["peak"] > 0.999 else 0.0)
    assert q["peak_scale_db"] > out.info["peak_scale_db"]


def test_disk_cache_decodes_once_and_is_shared(song, recipes, tmp_path):
    before = song.meta["calls"]
    rd = Renderer([song], sample_rate=SR, channels=1, cache_dir=tmp_path)
    first = rd.render(recipes[0]).mix
    calls = song.meta["calls"]
    assert calls == before + 4  # one decode per stem
    assert len(list(tmp_path.rglob("*.npy"))) == 4 and len(list(tmp_path.rglob("source.json"))) == 1
    rd2 = Renderer([song], sample_rate=SR, channels=1, cache_dir=tmp_path)  # e.g. another worker
    for r in recipes:
        rd2.render(r)
    assert song.meta["calls"] == calls  # everything came from the memory-mapped cache
    np.testing.assert_array_equal(rd2.render(recipes[0]).mix, first)
    assert first.shape == (10 * SR, 1)
    stale = dataclasses.replace(song, num_frames=song.num_frames + 1)  # fingerprint mismatch → decode again
    Renderer([stale], sample_rate=SR, channels=1, cache_dir=tmp_path).render(recipes[0])
    assert song.meta["calls"] == calls + 4


def test_an_edited_stem_file_is_decoded_again_not_read_from_the_cache(tmp_path):
    """A corpus folder's stem file replaced by another of the same length (a fixed export): the cache keyed on
    the song alone would hand back the old audio; its fingerprint holds each file's size and modification time."""
    from corpus_fixtures import make_song_dir
    from mixbuddy.corpus.config import CorpusConfig
    from mixbuddy.corpus.load import load_corpus

    rng = np.random.default_rng(0)
    stems = {k: (rng.standard_normal((SR, 2)) * 0.1).astype(np.float32) for k in ("bass", "drums", "vocals")}
    make_song_dir(tmp_path / "corpus" / "s", stems, SR, "wav")
    cfg = CorpusConfig(kind="stems_folder", root=str(tmp_path / "corpus"))

    def vocals() -> np.ndarray:
        rd = Renderer(load_corpus(cfg), sample_rate=SR, channels=2, cache_dir=tmp_path / "c")
        return np.array(rd.stems_of("s")["vocals"])

    first = vocals()
    np.testing.assert_allclose(first, stems["vocals"], atol=1e-4)
    np.testing.assert_array_equal(vocals(), first)                       # unchanged: read back from the cache
    make_song_dir(tmp_path / "corpus" / "s", {"vocals": stems["vocals"] * 0.5}, SR, "wav")
    np.testing.assert_allclose(vocals(), stems["vocals"] * 0.5, atol=1e-4)


def test_bad_inputs(song, recipes):
    rd = Renderer([song], sample_rate=SR, channels=2)
    with pytest.raises(DataError, match="song 'ghost' is not in corpus"):
        rd.render(dataclasses.replace(recipes[0], song_id="ghost"))
    with pytest.raises(DataError, match="runs past the end"):
        rd.render(dataclasses.replace(recipes[0], start_s=15.0))


def test_other_rate_and_channels_match_song_decoding(song, recipes):
    rd = Renderer([song], sample_rate=16000, channels=1)
    r = by_category(recipes, "no_error", start=0.0)
    out = rd.render(r, return_stems=True)
    assert out.sample_rate == 16000 and out.mix.shape == (160000, 1)
    for s in song.stem_names:
        ref = song.stem(s, sr=16000, channels=1)[:160000]
        np.testing.assert_allclose(out.stems[s], ref * 10 ** (out.info["peak_scale_db"] / 20), atol=1e-6)

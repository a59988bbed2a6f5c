"""Build: enumeration counts, sampling statistics, determinism, split hygiene, files and CLI."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from data_helpers import data_config, make_song
from mixbuddy.cli import main
from mixbuddy.constants import CATEGORY_BY_NAME, CATEGORY_NAMES
from mixbuddy.data.build import build_dataset, build_records, chunk_records
from mixbuddy.data.gate import ChunkInfo
from mixbuddy.data.recipe import load_recipes
from mixbuddy.errors import DataError

ROLES = ("bass", "drums", "vocals")


def chunk(song="s", start_ms=0, roles=ROLES) -> ChunkInfo:
    return ChunkInfo(song, "train", start_ms, -20.0, {}, {}, roles)


def test_enumeration_30_per_chunk(songs):
    recs, gating = build_records(songs, data_config(modes={}))  # every split enumerated
    for split, rs in recs.items():
        per_chunk = Counter((r.song_id, r.start_s) for r in rs)
        assert set(per_chunk.values()) == {30}
        assert len(per_chunk) == gating[split]["chunks_kept"] > 0
        for key in per_chunk:
            group = [r for r in rs if (r.song_id, r.start_s) == key]
            combos = {(r.target, r.anchor, r.category) for r in group}
            assert len(combos) == 30
            assert {(t, a) for t, a, _ in combos} == {(t, a) for t in ROLES for a in ROLES if t != a}
    allrecs = [r for rs in recs.values() for r in rs]
    assert all(r.target != r.anchor for r in allrecs)
    assert not any("other" in (r.target, r.anchor) for r in allrecs)
    assert all(r.gain_db == 0.0 for r in allrecs if r.category == "no_error")
    assert len({r.id for r in allrecs}) == len(allrecs)
    assert sum(len(v) for v in recs.values()) == 30 * (3 + 3 + 3 + 3 + 2)


def test_gated_chunk_yields_nothing():
    song = make_song("s", "test", seconds=30, edits=lambda a: a["bass"].__setitem__(slice(80000, 160000), 0.0))
    recs, gating = build_records([song], data_config())
    assert gating["test"]["chunks_rejected"] == 1 and gating["test"]["rejected:stem_quiet:bass"] == 1
    assert sorted({r.start_s for r in recs["test"]}) == [0.0, 20.0]


def test_sampling_statistics():
    cfg = data_config(passes=6000)
    recs = chunk_records(chunk(), ("bass", "drums", "other", "vocals"), "sample", cfg, "c")
    assert len(recs) == 6000 and len({r.id for r in recs}) == 6000
    # categories uniform: chi-square with 4 dof, critical value 18.47 at p = 0.001
    counts = Counter(r.category for r in recs)
    exp = len(recs) / 5
    assert sum((counts[c] - exp) ** 2 / exp for c in CATEGORY_NAMES) < 18.47, counts
    pairs = Counter((r.target, r.anchor) for r in recs)
    assert len(pairs) == 6 and sum((v - 1000) ** 2 / 1000 for v in pairs.values()) < 20.5  # 5 dof
    gains = np.array([r.gain_db for r in recs])
    assert not np.any((np.abs(gains) > 0) & (np.abs(gains) < 3))
    for c in CATEGORY_NAMES:
        cat = CATEGORY_BY_NAME[c]
        g = np.array([r.gain_db for r in recs if r.category == c])
        if not cat.is_error:
            assert np.all(g == 0)
            continue
        lo, hi = cat.magnitude
        mag = np.abs(g)
        assert np.all(np.sign(g) == (-1 if cat.direction == "increase" else 1))
        assert mag.min() >= lo and (mag.max() < hi if hi == 6 else mag.max() <= hi)
        # roughly uniform: 4 equal bins, chi-square 3 dof, critical 16.27 at p = 0.001
        hist = np.histogram(mag, bins=np.linspace(lo, hi, 5))[0]
        e = len(mag) / 4
        assert ((hist - e) ** 2 / e).sum() < 16.27, (c, hist)
        assert mag.min() < lo + 0.05 * (hi - lo) and mag.max() > hi - 0.05 * (hi - lo)


def test_sample_mode_never_uses_inactive_or_other():
    recs = chunk_records(chunk(roles=("bass", "drums")), ("bass", "drums", "other", "vocals"), "sample",
                         data_config(passes=300), "c")
    assert {(r.target, r.anchor) for r in recs} == {("bass", "drums"), ("drums", "bass")}


def test_records_do_not_depend_on_order_or_corpus(songs):
    cfg = data_config()
    a, _ = build_records(songs, cfg)
    b, _ = build_records(list(reversed(songs[1:])), cfg)  # other order, one song fewer
    assert [r for r in a["test"]] == [r for r in b["test"]]
    assert [r for r in a["train"] if r.song_id == "tr_b"] == b["train"]
    c, _ = build_records(songs, data_config(seed=1))
    assert [r.gain_db for r in c["test"]] != [r.gain_db for r in a["test"]]


def test_build_files_byte_identical(songs, tmp_path):
    cfg = data_config()
    m1 = build_dataset(songs, cfg, tmp_path / "a", progress=False)
    m2 = build_dataset(list(reversed(songs)), cfg, tmp_path / "b", progress=False)
    for split in ("train", "validation", "test"):
        assert (tmp_path / "a" / f"{split}.jsonl").read_bytes() == (tmp_path / "b" / f"{split}.jsonl").read_bytes()
        assert m1["splits"][split]["sha256"] == m2["splits"][split]["sha256"]
    m = json.loads((tmp_path / "a" / "dataset.json").read_text())
    assert m["splits"]["train"]["mode"] == "sample" and m["splits"]["test"]["mode"] == "enumerate"
    assert m["splits"]["train"]["records"] == 2 * 3 * cfg.passes
    assert m["splits"]["test"]["counts"]["category"] == {c: 30 for c in sorted(CATEGORY_NAMES)}
    assert m["data_config"]["seed"] == 0 and m["code_version"]
    assert not list(tmp_path.glob("a/.*"))  # no temp files left behind


def test_split_hygiene(songs, tmp_path):
    build_dataset(songs, data_config(), tmp_path, progress=False)
    seen: dict[str, str] = {}
    for split in ("train", "validation", "test"):
        for r in load_recipes(tmp_path / f"{split}.jsonl"):
            assert r.split == split and seen.setdefault(r.song_id, split) == split
    with pytest.raises(DataError, match="'tr_a' occurs twice"):
        build_records(songs + [make_song("tr_a", "test")], data_config())


def test_cli_build_stats_render(tiny_musdb, tmp_path, capsys):
    out = tmp_path / "ds"
    assert main(["data", "build", "--kind", "musdb_hq", "--root", str(tiny_musdb), "--val-songs", "1",
                 "-o", str(out), "--no-progress", "-q"]) == 0
    assert {p.name for p in out.iterdir()} == {"train.jsonl", "validation.jsonl", "test.jsonl", "dataset.json"}
    test = load_recipes(out / "test.jsonl")
    assert len(test) == 2 * 2 * 30 and test[0].corpus == "musdb"
    capsys.readouterr()
    assert main(["data", "stats", str(out), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert sorted(stats) == ["test", "train", "validation"]
    # 25 s songs: 2 chunks each; train 2 songs (sampled), validation 1 and test 2 songs (enumerated, 30 per chunk)
    expected = {"train": (2, 4), "validation": (1, 2), "test": (2, 4)}
    for split, (songs, chunks) in expected.items():
        st, recs = stats[split], load_recipes(out / f"{split}.jsonl")
        assert (st["records"], st["songs"], st["chunks"]) == (len(recs), songs, chunks), split
        by_cat = Counter(r.category for r in recs)
        assert st["category"] == dict(by_cat) and sum(by_cat.values()) == len(recs)
        assert st["target"] == dict(Counter(r.target for r in recs))
        assert st["anchor"] == dict(Counter(r.anchor for r in recs))
        if split != "train":
            assert st["records"] == 30 * chunks and by_cat == {c: 6 * chunks for c in CATEGORY_NAMES}
        for c in CATEGORY_NAMES:
            g = st["gain_by_category"][c]
            assert g["n"] == by_cat.get(c, 0), (split, c)
            if not g["n"]:
                assert g == {"n": 0}
                continue
            gains = [r.gain_db for r in recs if r.category == c]
            assert g["min"] == pytest.approx(min(gains)) and g["max"] == pytest.approx(max(gains))
            assert g["mean"] == pytest.approx(float(np.mean(gains)))
            cat = CATEGORY_BY_NAME[c]
            if not cat.is_error:
                assert g["min"] == g["max"] == 0.0
                continue
            lo, hi = cat.magnitude
            sign = -1 if cat.direction == "increase" else 1
            mags = sorted(sign * g[k] for k in ("min", "max"))
            assert lo <= mags[0] <= mags[1] <= hi, (split, c, g)
            assert lo <= abs(g["mean"]) <= hi and np.sign(g["mean"]) == sign
        hist = st["gain_histogram"]
        assert hist["zero"] == by_cat["no_error"] and sum(hist["counts"]) == len(recs) - by_cat["no_error"]
    assert main(["data", "stats", str(out)]) == 0                    # the text table: same numbers
    text = capsys.readouterr().out
    assert text.splitlines()[2].split() == ["records", str(stats["train"]["records"]), "60", "120"]
    assert "category=very_loud" in text
    # the gain table's fields line up: every row's slashes sit in the same columns
    lines = text.splitlines()
    first = lines.index("applied gain (dB) by category: n / min / mean / max") + 3
    rows = lines[first:first + 5]
    assert [r.split()[0] for r in rows] == ["very_quiet", "quiet", "no_error", "loud", "very_loud"]
    slashes = [{i for i, ch in enumerate(r) if ch == "/"} for r in rows]     # (an empty cell is a bare "0")
    full = max(slashes, key=len)
    assert len(full) == 9 and all(s <= full for s in slashes) and sum(s == full for s in slashes) >= 2
    wav = tmp_path / "x.wav"
    rec = test[7]
    assert main(["data", "render", rec.id, "--dataset", str(out / "test.jsonl"), "-o", str(wav),
                 "--stems-dir", str(tmp_path / "stems"), "--sr", "22050"]) == 0
    import soundfile as sf
    from mixbuddy.data.render import open_renderer

    x, sr = sf.read(wav, dtype="float32")
    assert sr == 22050 and x.shape == (220500, 2)
    ref = open_renderer(out / "test.jsonl", 22050, 2).render(rec, return_stems=True)
    assert ref.sample_rate == 22050 and ref.mix.shape == x.shape and np.abs(ref.mix).max() > 0.01
    np.testing.assert_allclose(x, ref.mix, rtol=0, atol=1e-6)    # float32 WAV: the renderer's own mix
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]
    for name, y in ref.stems.items():
        z, zsr = sf.read(tmp_path / "stems" / f"{name}.wav", dtype="float32")
        assert zsr == 22050
        np.testing.assert_allclose(z, y, rtol=0, atol=1e-6, err_msg=name)
    assert main(["data", "render", "nope", "--dataset", str(out / "test.jsonl"), "-o", str(wav)]) == 1
    assert "record id 'nope' not found in" in capsys.readouterr().err


def test_the_shipped_data_recipe_differs_from_the_defaults_as_the_help_says(capsys):
    """`data build --help`: without --config the built-in defaults apply, which differ from configs/data.yaml in
    the number of draws per training chunk only."""
    from pathlib import Path

    import yaml

    from mixbuddy.config import to_dict
    from mixbuddy.data.config import DataConfig

    repo = Path(__file__).resolve().parents[2]
    shipped, default = yaml.safe_load((repo / "configs" / "data.yaml").read_text()), to_dict(DataConfig())
    assert {k: (default[k], shipped[k]) for k in default if shipped.get(k) != default[k]} == {"passes": (4, 40)}
    with pytest.raises(SystemExit):
        main(["data", "build", "--help"])
    assert "passes 4 instead of 40 draws per training chunk" in " ".join(capsys.readouterr().out.split())

"""Bad input to the data, corpus, evaluate and baseline verbs: a clear error naming the file or option
and the problem (exit code 1, or argparse's 2 for a bad option value), never a traceback from inside a
library, never a half-written output."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixbuddy.cli import main
from mixbuddy.errors import DataError

EXTS = ".wav, .flac, .ogg, .aiff"


def run(capsys, *argv: str) -> tuple[int, str]:
    """(exit code, stderr) of ``mixbuddy argv``; argparse errors give their own exit code 2."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> Path:
    """A built dataset (train / validation / test + dataset.json) of a tiny MUSDB-style corpus."""
    from corpus_fixtures import build_recipes

    return build_recipes(tmp_path_factory.mktemp("bad_inputs_data"), val_songs=1, n_train=3, n_test=1,
                         seconds=20.0, sr=22050)


@pytest.fixture
def dsc(ds: Path, tmp_path: Path) -> Path:
    """A private copy of the dataset folder (the corpus root in its dataset.json stays valid)."""
    return Path(shutil.copytree(ds, tmp_path / "ds"))


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    p = tmp_path / "afile"
    p.write_text("not a folder\n")
    return p


# ---- 0. an output never writes over what the command reads -----------------------------------------------
def test_outputs_never_write_over_an_input(capsys, ds, dsc, tmp_path):
    """`baseline -o test.jsonl` replaced the dataset with predictions, `calibrate -o validation.jsonl` the
    validation split with its curve, and `data render` and `data build` wrote into the corpus they read (a
    second file for a stem, or a dataset folder taken for a song, breaks every later read). Each is refused
    before anything is written."""
    corpus = Path(shutil.copytree(ds.parent / "corpus", tmp_path / "corpus"))
    (tmp_path / "a.json").write_text("{}")
    before = {p: p.read_bytes() for p in [*dsc.iterdir(), *corpus.rglob("*.*")]}
    test, train, val = (str(dsc / f"{s}.jsonl") for s in ("test", "train", "validation"))
    song = next(p for p in (corpus / "train").iterdir() if p.is_dir())
    render = ["data", "render", "--dataset", test, "--index", "0", "--root", corpus]
    cases = [(["baseline", "random", "--dataset", test, "-o", test], f"-o {test}: is the dataset"),
             (["baseline", "majority", "--dataset", test, "--train", train, "-o", train],
              f"-o {train}: is the training split"),
             (["predict", "--checkpoint", "default", "--dataset", test, "-o", test], f"-o {test}: is the dataset"),
             (["calibrate", "--checkpoint", "default", "--dataset", val, "-o", val], f"-o {val}: is the dataset"),
             (["advise-prior", "--dataset", train, "-o", train], f"-o {train}: is the dataset"),
             (["compare", "--dataset", test, str(tmp_path / "a.json"), test, "-o", tmp_path / "a"],
              f"-o {tmp_path / 'a.json'}: is A"),
             ([*render, "-o", song / "new.wav"], f"-o {song / 'new.wav'}: is inside the corpus ({corpus})"),
             ([*render, "-o", tmp_path / "m.wav", "--stems-dir", song],
              f"--stems-dir {song / 'bass.wav'}: is inside the corpus ({corpus})"),
             (["data", "build", "--root", corpus, "-o", corpus / "ds"], f"-o {corpus / 'ds'}: is inside the corpus"),
             # another split of the dataset is not read here, but is no place for an output either
             (["baseline", "random", "--dataset", test, "-o", train], f"-o {train}: is a split of a dataset"),
             (["calibrate", "--checkpoint", "default", "--dataset", val, "-o", test], f"-o {test}: is a split"),
             (["advise-prior", "--dataset", train, "-o", val], f"-o {val}: is a split of a dataset")]
    for argv, message in cases:
        rc, err = run(capsys, *argv)
        assert rc == 1 and message in err and err.rstrip().endswith("; write it elsewhere"), err
    assert {p: p.read_bytes() for p in [*dsc.iterdir(), *corpus.rglob("*.*")]} == before
    assert not (tmp_path / "m.wav").exists() and not (song / "new.wav").exists() and not (corpus / "ds").exists()


# ---- 1. folder outputs whose path or parent is a file ------------------------------------------------
@pytest.mark.parametrize("sub", ["", "sub"])
def test_data_build_output_is_or_under_a_file(capsys, tmp_path, afile, sub):
    out = afile / sub if sub else afile
    rc, err = run(capsys, "data", "build", "--root", tmp_path, "-o", out, "--no-progress", "-q")
    assert rc == 1 and str(out) in err and "is a file" in err
    assert afile.read_text() == "not a folder\n"


def test_corpus_synth_output_under_a_file_fails_before_rendering(capsys, afile):
    rc, err = run(capsys, "corpus", "synth", "-o", afile / "corpus", "--songs", "2", "--seconds", "4",
                  "--workers", "1", "--no-progress")
    assert rc == 1 and f"{afile} is a file" in err and ".tmp-" not in err


def test_evaluate_output_is_a_file_or_under_one(capsys, ds, afile):
    preds = afile.parent / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "text": r["response"]}) + "\n"
                             for r in map(json.loads, (ds / "test.jsonl").read_text().splitlines())))
    for out in (afile, afile / "rep"):
        rc, err = run(capsys, "evaluate", "--predictions", preds, "--dataset", ds / "test.jsonl", "-o", out,
                      "--bootstrap", "0")
        assert rc == 1 and str(out) in err and "is a file" in err
    assert afile.read_text() == "not a folder\n"


def test_one_report_file_in_the_way_leaves_nothing_half_made(capsys, ds, tmp_path):
    """A folder where one of a report's files goes: refused before any of them is written."""
    preds = _preds(ds, tmp_path / "preds.jsonl", lambda i, row: row)
    for name in ("tradeoff.png", "report.md"):
        (tmp_path / name / "rep" / name).mkdir(parents=True)
        rc, err = run(capsys, "evaluate", "--predictions", preds, "--dataset", ds / "test.jsonl", "-o",
                      tmp_path / name / "rep", "--bootstrap", "0")
        assert rc == 1 and f"{name}: is a folder; give a file name" in err
        assert files_under(tmp_path / name / "rep") == [name]


def test_data_build_with_its_manifest_in_the_way_writes_no_split(capsys, ds, tmp_path):
    root = json.loads((ds / "dataset.json").read_text())["corpus_config"]["root"]
    (tmp_path / "out" / "dataset.json").mkdir(parents=True)
    rc, err = run(capsys, "data", "build", "--kind", "musdb_hq", "--root", root, "-o", tmp_path / "out",
                  "--no-progress", "-q")
    assert rc == 1 and "dataset.json: is a folder; give a file name" in err
    assert files_under(tmp_path / "out") == ["dataset.json"]


def test_an_output_folder_that_cannot_be_written(capsys, ds, tmp_path, monkeypatch):
    """No permission (or a read-only disk; root may write anywhere, so the check is made to see one): refused
    before the work, naming the folder; a temp file that cannot be made is the same clear error."""
    import os

    from mixbuddy.errors import OutputError
    from mixbuddy.io import write_text

    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real(p, mode))
    preds = tmp_path / "preds.jsonl"
    preds.write_text("")
    rc, err = run(capsys, "evaluate", "--predictions", preds, "--dataset", ds / "test.jsonl", "-o",
                  locked / "rep", "--bootstrap", "0")
    assert rc == 1 and f"{locked / 'rep'}: cannot write here: {locked} is not writable" in err
    monkeypatch.undo()

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("mixbuddy.io.fresh_path", refuse)
    with pytest.raises(OutputError, match=r"out\.txt: cannot write here \(Permission denied\)"):
        write_text(tmp_path / "out.txt", "x")
    assert files_under(tmp_path) == ["locked", "preds.jsonl"]


def test_outputs_are_made_as_any_new_file_is(tmp_path):
    """Outputs written to a temp file and renamed get the usual permissions (0666 / 0777 less the umask), not
    tempfile's private 0600 / 0700, which left reports, rendered fixes and exported models unreadable to
    other users (a DAW running as another user, a shared folder)."""
    import os

    from mixbuddy.audio import write_audio
    from mixbuddy.io import fresh_path, write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "report.txt", "x")
        write_audio(tmp_path / "fixed.wav", np.zeros((100, 2), np.float32), 8000)
        folder = fresh_path(tmp_path, ".model.", folder=True)      # how export and the LLM cache stage theirs
        os.umask(0o077)
        write_text(tmp_path / "private.txt", "x")
    finally:
        os.umask(old)
    assert {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir() if p.is_file()} == {
        "report.txt": 0o644, "fixed.wav": 0o644, "private.txt": 0o600}
    assert folder.name.startswith(".model.") and folder.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("content, line", [("{\"id\": 1}\n".encode("utf-16"), 1),
                                           (b'{"id": "a"}\n{"id": "caf\xe9"}\n', 2)])
def test_a_jsonl_file_that_is_not_utf8_names_the_line(capsys, ds, tmp_path, content, line):
    (tmp_path / "p.jsonl").write_bytes(content)
    rc, err = run(capsys, "evaluate", "--predictions", tmp_path / "p.jsonl", "--dataset", ds / "test.jsonl", "-o",
                  tmp_path / "rep")
    assert rc == 1 and f"p.jsonl:{line}: not UTF-8 text (save the file as UTF-8)" in err
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("content", ['\ufeff{"id": "a"}\n{"id": "b"}\n'.encode("utf-8"),    # a byte-order mark
                                     b'{"id": "a"}\r\n{"id": "b"}\r\n', b'{"id": "a"}\r{"id": "b"}\r',
                                     b'\xef\xbb\xbf{"id": "a"}\r\n\r\n{"id": "b"}'])
def test_byte_order_marks_and_any_line_ending_are_read(tmp_path, content):
    from mixbuddy.io import read_jsonl_numbered

    (tmp_path / "p.jsonl").write_bytes(content)
    assert [row["id"] for _, row in read_jsonl_numbered(tmp_path / "p.jsonl")] == ["a", "b"]


# ---- 2. malformed / empty dataset.json -------------------------------------------------------------
@pytest.mark.parametrize("content,problem", [("{not json", "not valid JSON"), ("", "not valid JSON"),
                                             ("[1, 2]", "JSON object")])
def test_malformed_dataset_json_is_named(capsys, dsc, tmp_path, content, problem):
    (dsc / "dataset.json").write_text(content)
    manifest = str(dsc / "dataset.json")
    out = tmp_path / "out"
    rc, err = run(capsys, "data", "render", "--dataset", dsc / "test.jsonl", "--index", "0", "-o", out / "mix.wav")
    assert rc == 1 and manifest in err and problem in err
    rc, err = run(capsys, "baseline", "oracle-stems", "--dataset", dsc / "test.jsonl", "-o", out / "p.jsonl",
                  "--workers", "1")
    assert rc == 1 and manifest in err and problem in err
    rc, err = run(capsys, "advise-prior", "--dataset", dsc / "train.jsonl", "-o", out / "prior.json")
    assert rc == 1 and manifest in err and problem in err
    assert files_under(out) == []


def test_render_without_corpus_config_says_which_corpus_is_unknown(capsys, dsc, tmp_path):
    meta = json.loads((dsc / "dataset.json").read_text())
    meta["corpus_config"] = None
    (dsc / "dataset.json").write_text(json.dumps(meta))
    rc, err = run(capsys, "data", "render", "--dataset", dsc / "test.jsonl", "--index", "0", "-o", tmp_path / "m.wav")
    assert rc == 1 and f"{dsc / 'dataset.json'}: has no corpus_config" in err and "--root" in err
    assert not (tmp_path / "m.wav").exists()


def test_a_relative_corpus_root_not_found_from_here_names_the_dataset(capsys, dsc, tmp_path, monkeypatch):
    """A dataset built with a relative corpus root, used from another folder: the error says which dataset.json
    recorded it and why it is not found; --root still renders (and the dataset built here still works)."""
    meta = json.loads((dsc / "dataset.json").read_text())
    corpus = Path(meta["corpus_config"]["root"])
    (tmp_path / "built_here").mkdir()
    monkeypatch.chdir(tmp_path / "built_here")
    meta["corpus_config"]["root"] = str(Path("..") / "corpus")
    shutil.copytree(corpus, tmp_path / "corpus")
    (dsc / "dataset.json").write_text(json.dumps(meta))
    assert run(capsys, "data", "render", "--dataset", dsc / "test.jsonl", "--index", "0", "-o", tmp_path / "a.wav")[0] == 0
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    said = (f"{dsc / 'dataset.json'}: the corpus this dataset was built from, {Path('..') / 'corpus'}, is not found "
            f"from {elsewhere} (a relative corpus root is read from the folder mixbuddy runs in")
    rc, err = run(capsys, "data", "render", "--dataset", dsc / "test.jsonl", "--index", "0", "-o", tmp_path / "b.wav")
    assert rc == 1 and said in err and "give --root DIR" in err and not (tmp_path / "b.wav").exists()
    rc, err = run(capsys, "baseline", "oracle-stems", "--dataset", dsc / "test.jsonl", "-o", tmp_path / "p.jsonl")
    assert rc == 1 and said in err and not (tmp_path / "p.jsonl").exists()
    rc, _ = run(capsys, "data", "render", "--dataset", dsc / "test.jsonl", "--index", "0", "-o", tmp_path / "c.wav",
                "--root", tmp_path / "corpus", "--kind", meta["corpus_config"]["kind"])
    assert rc == 0 and (tmp_path / "c.wav").read_bytes() == (tmp_path / "a.wav").read_bytes()


# ---- 3. --sr / --channels at the parser --------------------------------------------------------------
@pytest.mark.parametrize("opt,value,msg", [("--sr", "0", "must be >= 1"), ("--sr", "-1", "must be >= 1"),
                                           ("--channels", "0", "must be 1 (mono) or 2"),
                                           ("--channels", "3", "must be 1 (mono) or 2")])
def test_render_and_baseline_check_rate_and_channels(capsys, ds, tmp_path, opt, value, msg):
    rc, err = run(capsys, "data", "render", "--dataset", ds / "test.jsonl", "--index", "0",
                  "-o", tmp_path / "m.wav", opt, value)
    assert rc == 2 and f"argument {opt}: {msg}" in err
    rc, err = run(capsys, "baseline", "oracle-stems", "--dataset", ds / "test.jsonl", "-o", tmp_path / "p.jsonl",
                  opt, value)
    assert rc == 2 and f"argument {opt}: {msg}" in err
    assert files_under(tmp_path) == []


# ---- 4. data build: stale splits, zero records, typo'd corpus config --------------------------------
def test_rebuild_removes_stale_split_files_only(capsys, ds, tmp_path):
    corpus = ds.parent / "corpus"
    out = tmp_path / "ds"
    assert main(["data", "build", "--root", str(corpus), "--val-songs", "1", "-o", str(out), "--no-progress", "-q"]) == 0
    assert (out / "validation.jsonl").is_file()
    (out / "notes.jsonl").write_text('{"mine": 1}\n')
    (out / "subset.jsonl").write_text((out / "test.jsonl").read_text().splitlines()[0] + "\n")
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # built otherwise (no validation songs): refused, nothing touched, unless --overwrite
    assert main(["data", "build", "--root", str(corpus), "-o", str(out), "--no-progress", "-q"]) == 1
    assert capsys.readouterr().err == (f"mixbuddy: error: {out}: holds a dataset built otherwise (differs in "
                                       "['corpus.val_songs']); pass --overwrite to replace it, or use another folder\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert main(["data", "build", "--root", str(corpus), "--val-songs", "1", "-o", str(out), "--no-progress",
                 "-q"]) == 0                                            # the same build again: fine, same bytes
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert main(["data", "build", "--root", str(corpus), "--val-songs", "1", "-o", str(out), "--no-progress",
                 "-q", "--workers", "2"]) == 0                          # other worker counts write the same recipes
    assert main(["data", "build", "--root", str(corpus), "-o", str(out), "--no-progress", "-q", "--overwrite"]) == 0
    assert not (out / "validation.jsonl").exists()
    assert (out / "notes.jsonl").is_file() and (out / "subset.jsonl").is_file()  # not the build's own files
    manifest = json.loads((out / "dataset.json").read_text())
    assert sorted(manifest["splits"]) == ["test", "train"]


def test_build_with_no_record_is_an_error(capsys, ds, tmp_path):
    corpus = ds.parent / "corpus"
    cfg = tmp_path / "data.yaml"
    cfg.write_text("gate:\n  mix_rms_db: 0.0\n")  # no mix is that loud: every chunk is rejected
    out = tmp_path / "ds"
    rc, err = run(capsys, "data", "build", "--root", corpus, "--config", cfg, "-o", out, "--no-progress", "-q")
    assert rc == 1 and "no chunk passed the gate" in err and "corpus 'corpus'" in err and str(corpus) in err
    assert not out.exists()


def test_corpus_config_typo_is_reported(capsys, tmp_path):
    cfg = tmp_path / "corpus.yaml"
    cfg.write_text(f"kind: musdb_hq\nrot: {tmp_path}\n")
    rc, err = run(capsys, "data", "build", "--corpus-config", cfg, "-o", tmp_path / "ds", "--no-progress")
    assert rc == 1 and str(cfg) in err and "unknown key" in err and "'rot'" in err and "no corpus given" not in err
    cfg.write_text("kind: musdb_hq\n")
    rc, err = run(capsys, "data", "build", "--corpus-config", cfg, "-o", tmp_path / "ds", "--no-progress")
    assert rc == 1 and str(cfg) in err and "no corpus 'root'" in err
    assert not (tmp_path / "ds").exists()


# ---- 5. data render ----------------------------------------------------------------------------------
def test_render_stems_dir_is_a_file_writes_nothing(capsys, ds, tmp_path, afile):
    out = tmp_path / "mix.wav"
    rc, err = run(capsys, "data", "render", "--dataset", ds / "test.jsonl", "--index", "0", "-o", out,
                  "--stems-dir", afile)
    assert rc == 1 and "--stems-dir" in err and str(afile) in err and "is a file" in err
    assert not out.exists() and afile.read_text() == "not a folder\n"


def test_render_cache_dir_is_a_file(capsys, ds, tmp_path, afile):
    rc, err = run(capsys, "data", "render", "--dataset", ds / "test.jsonl", "--index", "0",
                  "-o", tmp_path / "mix.wav", "--cache-dir", afile)
    assert rc == 1 and "--cache-dir" in err and "is a file" in err
    assert not (tmp_path / "mix.wav").exists()


@pytest.mark.parametrize("name", ["mix", "mix.txt", "mix.npy"])
def test_render_output_needs_an_audio_extension(capsys, ds, tmp_path, name):
    rc, err = run(capsys, "data", "render", "--dataset", ds / "test.jsonl", "--index", "0", "-o", tmp_path / name)
    assert rc == 1 and "-o" in err and "unsupported audio file extension" in err and EXTS in err
    assert files_under(tmp_path) == []


def test_render_index_and_id_checks(capsys, ds, tmp_path):
    rid = json.loads((ds / "test.jsonl").read_text().splitlines()[0])["id"]
    out = tmp_path / "m.wav"
    rc, err = run(capsys, "data", "render", "--dataset", ds / "test.jsonl", "--index", "-1", "-o", out)
    assert rc == 2 and "argument --index: must be >= 0" in err
    rc, err = run(capsys, "data", "render", rid, "--dataset", ds / "test.jsonl", "--index", "1", "-o", out)
    assert rc == 1 and "not both" in err and rid in err
    rc, err = run(capsys, "data", "render", "--dataset", ds / "test.jsonl", "--index", "0", "-o", out,
                  "--kind", "bogus")
    assert rc == 2 and "argument --kind" in err and "dataset.json" not in err
    assert not out.exists()


def test_a_filled_cache_on_a_read_only_disk_is_still_read(capsys, ds, tmp_path, monkeypatch):
    """A cache is only read once filled: that its folder cannot be written is no reason to refuse it (an output
    folder that cannot be written is; the message names it)."""
    import os

    cache = tmp_path / "cache"
    args = ["data", "render", "--dataset", ds / "test.jsonl", "--index", "0", "--sr", "8000", "--channels", "1",
            "--cache-dir", cache]
    assert run(capsys, *args, "-o", tmp_path / "a.wav")[0] == 0 and any(cache.rglob("*.npy"))
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) in (cache, tmp_path / "ro") else real(p, mode))
    assert run(capsys, *args, "-o", tmp_path / "b.wav")[0] == 0
    assert sf.read(str(tmp_path / "b.wav"))[0].tolist() == sf.read(str(tmp_path / "a.wav"))[0].tolist()
    (tmp_path / "ro").mkdir()
    rc, err = run(capsys, *args, "-o", tmp_path / "c.wav", "--stems-dir", tmp_path / "ro")
    assert rc == 1 and f"--stems-dir {tmp_path / 'ro'}: cannot write into this folder: it is not writable" in err


def test_render_still_writes_mix_and_stems(capsys, ds, tmp_path):
    out, stems = tmp_path / "m.flac", tmp_path / "stems"
    assert main(["data", "render", "--dataset", str(ds / "test.jsonl"), "--index", "0", "-o", str(out),
                 "--stems-dir", str(stems), "--sr", "8000", "--channels", "1"]) == 0
    assert out.is_file() and sorted(p.name for p in stems.iterdir()) == [
        "bass.wav", "drums.wav", "other.wav", "vocals.wav"]


# ---- 6. evaluate -------------------------------------------------------------------------------------
def _preds(ds: Path, path: Path, edit) -> Path:
    rows = [json.loads(x) for x in (ds / "test.jsonl").read_text().splitlines()]
    path.write_text("".join(json.dumps(edit(i, {"id": r["id"], "text": r["response"]})) + "\n"
                            for i, r in enumerate(rows)))
    return path


@pytest.mark.parametrize("opt,value", [("--seed", "-3"), ("--bootstrap", "-1")])
def test_evaluate_negative_seed_or_bootstrap(capsys, ds, tmp_path, opt, value):
    preds = _preds(ds, tmp_path / "p.jsonl", lambda i, r: r)
    rc, err = run(capsys, "evaluate", "--predictions", preds, "--dataset", ds / "test.jsonl",
                  "-o", tmp_path / "rep", opt, value)
    assert rc == 2 and f"argument {opt}: must be >= 0" in err
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("edit,msg", [
    (lambda i, r: {**r, "finding": "garbage"} if i == 2 else r, ":3: 'finding' must be a JSON object"),
    (lambda i, r: {**r, "finding": [1, 2]} if i == 2 else r, ":3: 'finding' must be a JSON object"),
    (lambda i, r: {**r, "finding": {"x": 1}} if i == 2 else r, ":3: finding lacks key 'no_error'"),
    (lambda i, r: {**r, "finding": {"no_error": False, "target": ["vocals"]}} if i == 2 else r,
     ":3: 'finding' has an unknown target/direction"),
    (lambda i, r: {**r, "confidence": 7.5} if i == 4 else r, ":5: confidence must be a probability within [0, 1]"),
    (lambda i, r: {**r, "confidence": -0.1} if i == 4 else r, ":5: confidence must be a probability within [0, 1]"),
])
def test_evaluate_bad_prediction_lines(capsys, ds, tmp_path, edit, msg):
    preds = _preds(ds, tmp_path / "p.jsonl", edit)
    rc, err = run(capsys, "evaluate", "--predictions", preds, "--dataset", ds / "test.jsonl",
                  "-o", tmp_path / "rep", "--bootstrap", "0")
    assert rc == 1 and f"{preds}{msg}" in err
    assert not (tmp_path / "rep").exists()


def test_evaluate_predictions_or_dataset_is_a_folder(capsys, ds, tmp_path):
    preds = _preds(ds, tmp_path / "p.jsonl", lambda i, r: r)
    rc, err = run(capsys, "evaluate", "--predictions", ds, "--dataset", ds / "test.jsonl", "-o", tmp_path / "rep")
    assert rc == 1 and f"{ds}: is a folder" in err
    rc, err = run(capsys, "evaluate", "--predictions", preds, "--dataset", ds, "-o", tmp_path / "rep")
    assert rc == 1 and f"{ds}: is a folder" in err
    assert not (tmp_path / "rep").exists()


def test_evaluate_still_works(capsys, ds, tmp_path):
    preds = _preds(ds, tmp_path / "p.jsonl", lambda i, r: {**r, "confidence": 0.5})
    assert main(["evaluate", "--predictions", str(preds), "--dataset", str(ds / "test.jsonl"),
                 "-o", str(tmp_path / "rep" / "deep"), "--bootstrap", "0", "--seed", "0"]) == 0
    assert (tmp_path / "rep" / "deep" / "metrics.json").is_file()


# ---- 7. baselines and the balance prior --------------------------------------------------------------
@pytest.mark.parametrize("opt,value,msg", [("--max-train", "-5", "must be >= 1"), ("--max-train", "0", "must be >= 1"),
                                           ("--workers", "-2", "must be >= 0"), ("--seed", "-1", "must be >= 0")])
def test_baseline_option_checks(capsys, ds, tmp_path, opt, value, msg):
    rc, err = run(capsys, "baseline", "majority", "--dataset", ds / "test.jsonl", "-o", tmp_path / "p.jsonl",
                  opt, value)
    assert rc == 2 and f"argument {opt}: {msg}" in err
    assert files_under(tmp_path) == []


def test_workers_zero_measures_in_this_process_and_answers_as_a_pool_does(ds, tmp_path, monkeypatch):
    """``--workers 0`` (like 1) measures in this process, for a baseline and for advise-prior alike, and gives
    the answers a pool of two gives (the training split holds three songs, so a pool would be used)."""
    train = str(ds / "train.jsonl")

    def both(tag: str, workers: str) -> tuple[bytes, dict]:
        preds, prior = tmp_path / f"{tag}.jsonl", tmp_path / f"{tag}.json"
        assert main(["baseline", "oracle-stems", "--dataset", train, "-o", str(preds), "--workers", workers]) == 0
        assert main(["advise-prior", "--dataset", train, "-o", str(prior), "--workers", workers]) == 0
        fitted = json.loads(prior.read_text())
        return preds.read_bytes(), {k: fitted[k] for k in ("chunks", "balance", "contrast_std_db")}

    pooled = both("pool", "2")

    def no_pool(*a, **k):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr("mixbuddy.evaluate.baselines.common.get_context", no_pool)
    assert both("here", "0") == pooled and pooled[1]["chunks"] > 1


def test_baseline_cache_dir_or_output_in_the_way(capsys, ds, tmp_path, afile):
    rc, err = run(capsys, "baseline", "oracle-stems", "--dataset", ds / "test.jsonl", "-o", tmp_path / "p.jsonl",
                  "--cache-dir", afile, "--workers", "1")
    assert rc == 1 and f"--cache-dir {afile}" in err and "is a file" in err
    rc, err = run(capsys, "baseline", "random", "--dataset", ds / "test.jsonl", "-o", afile / "p.jsonl")
    assert rc == 1 and f"{afile} is a file" in err
    assert not (tmp_path / "p.jsonl").exists() and afile.read_text() == "not a folder\n"


def test_loudness_baseline_with_too_few_training_chunks(capsys, ds, tmp_path):
    out = tmp_path / "p.jsonl"
    rc, err = run(capsys, "baseline", "loudness-stems", "--dataset", ds / "test.jsonl", "-o", out,
                  "--max-train", "2", "--workers", "1")
    assert rc == 1 and str(ds / "train.jsonl") in err and "too few training chunks" in err
    assert not out.exists() and not Path(str(out) + ".json").exists()


def test_advise_prior_with_too_few_chunks(capsys, dsc, tmp_path):
    one_chunk = [x for x in (dsc / "validation.jsonl").read_text().splitlines()
                 if json.loads(x)["start_s"] == 0.0][:5]
    (dsc / "few.jsonl").write_text("\n".join(one_chunk) + "\n")
    out = tmp_path / "prior.json"
    rc, err = run(capsys, "advise-prior", "--dataset", dsc / "few.jsonl", "-o", out)
    assert rc == 1 and str(dsc / "few.jsonl") in err and "too few training chunks" in err
    assert not out.exists()


def test_fit_balance_with_a_stem_rarely_active_names_the_source():
    from mixbuddy.corpus.song import Song
    from mixbuddy.data.build import build_records
    from mixbuddy.data.config import DataConfig, GateConfig
    from mixbuddy.data.render import Renderer
    from mixbuddy.evaluate.baselines.bayes import GaussianBalance, TooFewChunksError
    from mixbuddy.evaluate.baselines.loudness import fit_balance

    sr = 8000

    def song(i: int) -> Song:  # 30 s of noise per stem, "other" silent throughout
        rng = np.random.default_rng(i)
        arrays = {s: (0.1 * rng.standard_normal((30 * sr, 1))).astype(np.float32) for s in ("bass", "drums", "vocals")}
        arrays["other"] = np.zeros((30 * sr, 1), np.float32)
        return Song(id=f"s{i}", split="train", sample_rate=sr, stem_names=tuple(sorted(arrays)),
                    loader=arrays.__getitem__, source=f"memory:s{i}", num_frames=30 * sr)

    songs = [song(i) for i in range(2)]
    cfg = DataConfig(analysis_sr=sr, gate=GateConfig(stems=["bass", "drums", "vocals"]))
    records = build_records(songs, cfg)[0]["train"]
    assert len({(r.song_id, r.start_s) for r in records}) == 6  # enough chunks, but "other" is never active
    with pytest.raises(DataError, match=r"^my-train\.jsonl: too few training chunks.*other 0"):
        fit_balance(records, Renderer(songs, sample_rate=sr, channels=1), workers=1, source="my-train.jsonl")
    with pytest.raises(TooFewChunksError):
        GaussianBalance.fit(np.zeros((2, 4)))
    with pytest.raises(ValueError):  # still a ValueError for library callers
        GaussianBalance.fit(np.zeros((2, 4)))


# ---- 8. corpus synth / list messages -----------------------------------------------------------------
def test_synth_config_and_overrides_name_the_file(capsys, tmp_path):
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("test_songs: 5\n")
    rc, err = run(capsys, "corpus", "synth", "--config", cfg, "-o", tmp_path / "c", "--songs", "3", "--seconds", "4")
    assert rc == 1 and str(cfg) in err and "--songs 3" in err and "test_songs" in err
    cfg.write_text("songs: 3\nsplit_pool: 4\n")
    rc, err = run(capsys, "corpus", "synth", "--config", cfg, "-o", tmp_path / "c")
    assert rc == 1 and str(cfg) in err and "split_pool" in err
    cfg.write_text("song: 3\n")
    rc, err = run(capsys, "corpus", "synth", "--config", cfg, "-o", tmp_path / "c", "--seconds", "4")
    assert rc == 1 and str(cfg) in err and "'song'" in err
    assert not (tmp_path / "c").exists()


def test_corpus_list_bogus_split(capsys, tmp_path):
    rc, err = run(capsys, "corpus", "list", "--root", tmp_path, "--split", "bogus")
    assert rc == 2 and "argument --split" in err and "'train', 'validation', 'test'" in err


# ---- 9. data stats -----------------------------------------------------------------------------------
def test_data_stats_wants_the_dataset_folder(capsys, ds, tmp_path):
    rc, err = run(capsys, "data", "stats", tmp_path / "missing")
    assert rc == 1 and "dataset folder not found" in err
    rc, err = run(capsys, "data", "stats", ds / "test.jsonl")
    assert rc == 1 and "pass the dataset folder, not a file" in err and str(ds) in err
    rc, err = run(capsys, "data", "stats", ds / "dataset.json")
    assert rc == 1 and "pass the dataset folder, not a file" in err


def test_a_dataset_folder_where_its_file_is_wanted(capsys, ds, tmp_path):
    rc, err = run(capsys, "data", "render", "x", "--dataset", ds, "-o", tmp_path / "x.wav")
    assert rc == 1 and f"{ds}: is a folder; give the JSONL dataset file, e.g. {ds / 'test.jsonl'}" in err
    assert files_under(tmp_path) == []

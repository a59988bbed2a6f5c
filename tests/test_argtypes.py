"""The shared argparse checkers (mixbuddy/argtypes.py) and the output-folder check (io.check_output_dir)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mixbuddy.argtypes import channel_count, non_negative_int, number, positive_int, probability
from mixbuddy.errors import OutputError
from mixbuddy.io import blocking_file, check_output_dir, ensure_dir


def _refused(check, text: str) -> str:
    with pytest.raises(argparse.ArgumentTypeError) as e:
        check(text)
    return str(e.value)


def test_whole_numbers() -> None:
    assert positive_int("3") == 3 and non_negative_int("0") == 0
    assert _refused(positive_int, "0") == "must be >= 1, got 0"
    assert _refused(non_negative_int, "-2") == "must be >= 0, got -2"
    assert _refused(positive_int, "2.5") == "expected a whole number, got '2.5'"


def test_numbers_in_a_range() -> None:
    assert probability("0") == 0.0 and probability("1") == 1.0 and probability("0.62") == 0.62
    for bad in ("1.5", "-0.1", "nan", "inf"):
        assert _refused(probability, bad) == f"must be a number in [0, 1], got {bad}"
    assert _refused(probability, "high") == "expected a number in [0, 1], got 'high'"
    seconds = number(0.0, low_open=True, unit="seconds")
    assert seconds("0.5") == 0.5
    assert _refused(seconds, "0") == "must be a number of seconds > 0, got 0"
    db = number(0.0, 24.0, low_open=True, unit="dB")
    assert db("24") == 24.0
    assert _refused(db, "24.5") == "must be a number of dB in (0, 24], got 24.5"


def test_channel_count() -> None:
    assert channel_count("1") == 1 and channel_count("2") == 2
    assert _refused(channel_count, "0") == "must be 1 (mono) or 2 (stereo), got 0"
    assert _refused(channel_count, "two") == "expected 1 (mono) or 2 (stereo), got 'two'"


def test_output_folder_check_names_what_is_in_the_way(tmp_path: Path) -> None:
    f = tmp_path / "a_file"
    f.write_text("x")
    assert check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()                       # checks, creates nothing
    assert blocking_file(tmp_path / "new") is None and blocking_file(f / "sub") == f
    with pytest.raises(OutputError, match=r"^--cache-dir .*a_file: is a file, not a folder$"):
        check_output_dir(f, "--cache-dir")
    with pytest.raises(OutputError, match=r"^.*a_file/sub/x: cannot create this folder: .*a_file is a file$"):
        check_output_dir(f / "sub" / "x")
    with pytest.raises(OutputError, match="a_file is a file"):
        ensure_dir(f / "sub")
    assert ensure_dir(tmp_path / "made" / "here").is_dir()

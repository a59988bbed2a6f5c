"""mixbuddy: an audio-language model that gives gain-balance advice on music mixes."""
import os as _os

# numpy's OpenBLAS spins its threads on vector-sized work: on a 2-core machine a 441k-sample dot
# product measured 70x slower with 2 BLAS threads than with 1 (docs/BENCHMARKS.md). mixbuddy
# parallelises over processes instead, so default numpy's BLAS to one thread unless the user chose.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

"""Why mixbuddy sets OPENBLAS_NUM_THREADS=1 by default: time numpy BLAS calls at 1 and 2 threads.

    python benchmarks/bench_blas.py
Each setting runs in a fresh interpreter (OpenBLAS reads the variable at import time).
"""
import os
import subprocess
import sys

CODE = r"""
import time, numpy as np
y = np.random.default_rng(0).standard_normal(441000)   # a 10 s stereo clip at 22.05 kHz, flattened
a = np.random.default_rng(1).standard_normal((500, 500))
def t(f, n):
    f(); t0 = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - t0) / n * 1e3
print(f"dot 441k: {t(lambda: y @ y, 200):8.3f} ms   matmul 500x500: {t(lambda: a @ a, 20):8.3f} ms")
"""

for n in ("1", "2"):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n)
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True).stdout
    print(f"OPENBLAS_NUM_THREADS={n}: {out.strip()}")

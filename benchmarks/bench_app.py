"""Cost of the local web page (`mixbuddy app`): import + page build + server start, then the bundled
example mix through the page's HTTP API (files uploaded as a browser does) with a model, twice (the first
request loads the model), and once from the stems with the loudness engine. Peak RSS of the process.
With --each-model: the mix (default-stems: the stems) through every shipped model in turn (then the first again), printing the
process's RSS after each, to show what the page's --keep-models bound holds.

    python benchmarks/bench_app.py [--engine default-real]
    python benchmarks/bench_app.py --each-model [--keep-models 2]
"""
import argparse
import resource
import socket
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium"


def rss_gb() -> float:
    """The process's resident memory now (VmRSS), in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e9
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="default-real")
    ap.add_argument("--each-model", action="store_true", help="every shipped model in turn, RSS after each")
    ap.add_argument("--keep-models", type=int, default=2, help="the page's bound on models kept loaded")
    a = ap.parse_args()
    t0 = time.perf_counter()
    from mixbuddy.app.ui import AdviceService, build_app
    from mixbuddy.model.checkpoint import SHIPPED
    app = build_app(AdviceService(keep_models=a.keep_models))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    print(f"page served after {time.perf_counter() - t0:.1f} s (imports, build, start)")
    from gradio_client import Client, handle_file
    c = Client(f"http://127.0.0.1:{port}/", verbose=False)
    stems = [handle_file(str(f)) for f in sorted((EXAMPLE / "stems").iterdir())]
    mix = handle_file(str(EXAMPLE / "mix.ogg"))
    if a.each_model:
        runs = [("stems, " + m, None, stems, m) if m == "default-stems" else ("mix, " + m, mix, None, m)
                for m in [*SHIPPED, next(iter(SHIPPED))]]
    else:
        runs = [("mix, " + a.engine + " (loads it)", mix, None, a.engine),
                ("mix, " + a.engine + " (loaded)", mix, None, a.engine),
                ("stems, loudness", None, stems, "loudness")]
    try:
        for name, mix, st, engine in runs:
            t = time.perf_counter()
            text, _, _ = c.predict(mix, st, "drums", engine, False, 0.6, False, None, api_name="/run")
            print(f"{name}: {time.perf_counter() - t:.1f} s, RSS now {rss_gb():.2f} GB -> {text.splitlines()[-1]}")
    finally:
        app.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9:.2f} GB")


if __name__ == "__main__":
    main()

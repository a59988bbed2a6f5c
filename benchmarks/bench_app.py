"""Cost of the local web page (`mixbuddy app`): import + page build + server start, then the bundled
example mix through the page's HTTP API (files uploaded as a browser does) with a model, twice (the first
request loads the model), and once from the stems with the loudness engine. Peak RSS of the process.

    python benchmarks/bench_app.py [--engine default-real]
"""
import argparse
import resource
import socket
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "lithium"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="default-real")
    a = ap.parse_args()
    t0 = time.perf_counter()
    from mixbuddy.app.ui import build_app
    app = build_app()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    print(f"page served after {time.perf_counter() - t0:.1f} s (imports, build, start)")
    from gradio_client import Client, handle_file
    c = Client(f"http://127.0.0.1:{port}/", verbose=False)
    stems = [handle_file(str(f)) for f in sorted((EXAMPLE / "stems").iterdir())]
    runs = [("mix, " + a.engine + " (loads it)", handle_file(str(EXAMPLE / "mix.ogg")), None, a.engine),
            ("mix, " + a.engine + " (loaded)", handle_file(str(EXAMPLE / "mix.ogg")), None, a.engine),
            ("stems, loudness", None, stems, "loudness")]
    try:
        for name, mix, st, engine in runs:
            t = time.perf_counter()
            text, _, _ = c.predict(mix, st, "drums", engine, False, 0.6, False, None, api_name="/run")
            print(f"{name}: {time.perf_counter() - t:.1f} s -> {text.splitlines()[-1]}")
    finally:
        app.close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()

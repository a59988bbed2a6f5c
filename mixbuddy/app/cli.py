"""``mixbuddy app``: the local web page for advice (mixbuddy/app/ui.py)."""
from __future__ import annotations

import argparse

from ..argtypes import device_name, port, whole


KEEP_MODELS = 2     # the page's default (app/ui.py, which imports gradio, is loaded only to serve)


def run_app(args: argparse.Namespace) -> int:
    from .ui import serve

    serve(args.host, args.port, args.device, args.keep_models)
    return 0


def register(sub) -> None:
    p = sub.add_parser("app", help="local web page for advice (needs the 'app' extra: gradio)",
                       description="Serve a page on this machine where you drop a mix and/or stems and read "
                                   "mixbuddy's advice (the advise verb behind a form). Nothing is uploaded.")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: this machine only)")
    p.add_argument("--port", type=port, default=7860)
    p.add_argument("--device", type=device_name, default=None, help="model device (cpu, cuda, ...)")
    p.add_argument("--keep-models", type=whole(1), default=KEEP_MODELS, metavar="N",
                   help=f"models kept loaded, the ones used last (default {KEEP_MODELS}: auto's pair for a mix); "
                        "each holds its own LLM, ~0.7 GB once used, and one not kept reloads in about a second")
    p.set_defaults(func=run_app)

"""Thin command line: ``mixbuddy <group> <verb>``. Each stage registers its own verbs; heavy
imports happen only inside the verb that needs them."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import MixbuddyError

# Stage modules exposing ``register(subparsers)``; each sets ``func`` on its parsers.
STAGE_CLIS = (
    "mixbuddy.corpus.cli",
    "mixbuddy.data.cli",
    "mixbuddy.evaluate.cli",
    "mixbuddy.train.cli",
    "mixbuddy.predict.cli",
    "mixbuddy.app.cli",
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mixbuddy", description="Gain-balance advice for music mixes.")
    p.add_argument("--version", action="version", version=f"mixbuddy {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", metavar="<command>")
    for name in STAGE_CLIS:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # stage not built yet
                continue
            raise
        mod.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # the command line as given, for provenance notes
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except MixbuddyError as e:
        print(f"mixbuddy: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mixbuddy: interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())

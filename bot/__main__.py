"""`python -m bot` is the `digestbot` command."""

from __future__ import annotations

import sys

from bot.cli import main as _main


def main() -> None:
    sys.exit(_main())


if __name__ == "__main__":
    main()

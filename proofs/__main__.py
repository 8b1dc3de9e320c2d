"""``python -m trust.proofs``: the same command as ``care-trust prove``."""

from __future__ import annotations

import sys

from trust._cli._outputs import broken_pipe
from trust._cli._prove import main

if __name__ == "__main__":
    try:
        sys.exit(main(prog="python -m trust.proofs"))
    except BrokenPipeError:
        sys.exit(broken_pipe())

"""Run ``python -m clearcourse`` scenario commands in this process (tests of the CLI door).

Starting a Python interpreter per case cost about half a second each (hundreds of cases); the door is
the same function either way (``clearcourse.__main__.main``), so the cases run it in-process with its
standard input, output and error captured. A few tests per command still start the real subprocess,
to prove the installed entry point, its exit status and that no traceback ever reaches the terminal.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

from clearcourse.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def run_in_process(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m clearcourse ARGS`` with ``stdin`` as standard input, in this process."""
    out, err = io.StringIO(), io.StringIO()
    real_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse-style exits
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = real_stdin
    return subprocess.CompletedProcess(["clearcourse", *args], code, out.getvalue(), err.getvalue())


def run_subprocess(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real thing: a new interpreter running ``python -m clearcourse ARGS``."""
    return subprocess.run([sys.executable, "-m", "clearcourse", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, cwd=ROOT, check=False)

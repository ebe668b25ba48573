"""``python -m clearcourse``: the single command-line entry.

- Scenario commands (``assess``, ``plan``, ``decide``, ``screen``, ``fhir``) read one JSON case
  and print one JSON object; they need no database and never start Django.
- ``serve`` and ``demo`` are ClearCourse's own management commands.
- Every other word is handed to Django's management (``migrate``, ``check --deploy``, ...).
"""

from __future__ import annotations

import os
import sys

from clearcourse.scenarios.cli import SCENARIO_COMMANDS, run_scenario_command


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SCENARIO_COMMANDS:
        return run_scenario_command(args[0], args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearcourse.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clearcourse", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())

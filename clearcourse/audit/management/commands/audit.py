"""``python -m clearcourse audit verify``: check the audit trail's hash chain.

Exit 0 when every chain is intact (it prints the number of entries and a digest of every chain's last
hash; keep it somewhere else, e.g. in the backup log, to detect even a rewrite of whole chains); exit 1
naming the first bad entry (chain and sequence number) when an entry was changed, removed or reordered.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.audit.selectors import verify_trail

BROKEN = "audit chain {chain} broken at entry #{seq}: {reason}"
INTACT = "audit chain intact: {count} entries, last hash {last_hash}"


def verify_or_fail(stdout: Any) -> None:
    problem, count, last_hash = verify_trail()
    if problem is not None:
        raise CommandError(BROKEN.format(chain=problem.chain, seq=problem.seq, reason=problem.reason),
                           returncode=1)
    stdout.write(INTACT.format(count=count, last_hash=last_hash))


class Command(BaseCommand):
    help = "Audit trail tools. `audit verify` checks the hash chain (exit 1 at the first bad entry)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="check that no entry was changed, removed or reordered")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            verify_or_fail(self.stdout)

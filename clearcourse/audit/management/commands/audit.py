"""``python -m clearcourse audit ...``: check and anchor the audit trail's hash chains.

- ``audit verify``: exit 0 when every chain is intact (it prints the number of entries and a digest of every
  chain's last hash); exit 1 naming the first bad entry (chain and sequence number) when an entry was
  changed, removed or reordered. With ``--against CHECKPOINT`` it also checks the trail against a signed
  checkpoint kept outside the database: exit 1 on a bad signature, a chain missing, fewer entries than the
  checkpoint records, or a changed entry at or before the checkpointed position (truncated tables, a chain
  deleted with its head, newest entries deleted and the head moved back).
- ``audit checkpoint [--out FILE]``: prints (or writes) a signed checkpoint: per chain its number of
  entries and the hash of its last entry, and the time.
- ``audit checkpoint-key --out FILE``: creates the signing key (mode 0600) and its public key ``FILE.pub``.
- ``audit partitions [--ahead N]``: PostgreSQL keeps the trail in monthly partitions (``audit/partitions.py``);
  lists them with their estimated entries and, with ``--ahead N``, first creates this month's and the next N
  months' partitions (nightly: ``--ahead 2``). Exit 1 when entries sit in the default partition (a month was
  not created in time); SQLite has one table and says so.
- ``audit archive --month YYYY-MM --out DIR``: moves the oldest month, once older than the months kept online,
  to ``DIR/<partition>.csv.gz`` after verifying the trail and the written file (``audit/archive.py``);
  ``audit archive-check FILE`` proves an archived file unchanged.

The key file is ``--key FILE`` or the setting/environment variable ``CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE``;
verification works with the private key or the public key alone (docs/security.md, "Anchoring").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.audit import archive, archive_records, checkpoint, partitions
from clearcourse.audit.models import AuditArchive
from clearcourse.audit.selectors import snapshot, walk_trail
from clearcourse.core import clock

BROKEN = "audit chain {chain} broken at entry #{seq}: {reason}"
INTACT = "audit chain intact: {count} entries, last hash {last_hash}"
MATCHES = "audit trail matches the checkpoint of {at} ({chains} chains, {entries} entries checkpointed)"


def verify_or_fail(stdout: Any, *, against: Path | None = None, key: str | None = None) -> None:
    marks: dict[int, checkpoint.ChainMark] = {}
    at = ""
    if against is not None:
        try:
            at, marks = checkpoint.read_verified(against, checkpoint.key_path(key))
        except checkpoint.CheckpointError as exc:
            raise CommandError(str(exc), returncode=1) from exc
    try:
        with snapshot():
            walk = walk_trail({c: m.entries for c, m in marks.items()}, key=key)
    except archive_records.ArchiveRecordError as exc:
        raise CommandError(str(exc), returncode=1) from exc
    problem = walk.problem
    if problem is not None:
        raise CommandError(BROKEN.format(chain=problem.chain, seq=problem.seq, reason=problem.reason),
                           returncode=1)
    if against is not None:
        # A checkpointed position inside an archived month was checked when the month was archived (and the
        # file can be checked again with `audit archive-check`); at the archive's end the hash is known.
        for chain, base in walk.archived.items():
            mark = marks.get(chain)
            if mark is not None and mark.entries <= base.seq:
                if mark.entries == base.seq:
                    walk.hashes_at_marks[chain] = base.hash
                else:
                    marks = {c: m for c, m in marks.items() if c != chain}
        counts = {c: e.seq for c, e in walk.ends.items()}
        difference = checkpoint.compare(at=at, marks=marks, counts=counts, hashes_at_marks=walk.hashes_at_marks)
        if difference is not None:
            raise CommandError(difference, returncode=1)
    stdout.write(INTACT.format(count=walk.count, last_hash=walk.digest))
    if against is not None:
        stdout.write(MATCHES.format(at=at, chains=sum(1 for m in marks.values() if m.entries),
                                    entries=sum(m.entries for m in marks.values())))


def make_checkpoint(*, key: str | None = None) -> dict[str, Any]:
    """A signed checkpoint of the trail as it is now; refuses to sign a broken trail."""
    try:
        key_file = checkpoint.key_path(key)
    except checkpoint.CheckpointError as exc:
        raise CommandError(str(exc)) from exc
    try:
        with snapshot():
            walk = walk_trail(key=key_file)
    except archive_records.ArchiveRecordError as exc:
        raise CommandError(str(exc), returncode=1) from exc
    if walk.problem is not None:
        problem = walk.problem
        raise CommandError("not signing a broken trail: "
                           + BROKEN.format(chain=problem.chain, seq=problem.seq, reason=problem.reason), returncode=1)
    marks = {c: checkpoint.ChainMark(e.seq, e.hash) for c, e in walk.ends.items() if e.seq}
    body = checkpoint.build(at=clock.now().isoformat(timespec="seconds"), marks=marks)
    try:
        return checkpoint.sign(body, key_file)
    except checkpoint.CheckpointError as exc:
        raise CommandError(str(exc)) from exc


def _month(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
            raise ValueError
        return dt.date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in the form YYYY-MM (for example 2024-11)") from None


def _day(value: Any) -> str:
    return f"{value.day} {value:%b %Y}"


def _span(part: partitions.Partition) -> str:
    if part.start and part.end:
        if part.end == partitions.next_month(part.start) and part.start.day == 1:
            return f"{part.start:%B %Y}, UTC"
        return f"from {_day(part.start)} to before {_day(part.end)}, UTC"
    if part.end:
        return f"everything before {_day(part.end)}, UTC"
    return f"from {_day(part.start)} on, UTC" if part.start else "a range this command did not create"


def show_partitions(stdout: Any, *, ahead: int | None) -> None:
    if ahead is not None and not 0 <= ahead <= 24:
        raise CommandError("--ahead takes a number of months from 0 to 24")
    if not partitions.is_partitioned():
        stdout.write("the audit trail is one table on this database (SQLite); monthly partitions are a "
                     "PostgreSQL feature")
        return
    if ahead is not None:
        for result in partitions.ensure_ahead(clock.now(), ahead):
            if result.created:
                stdout.write(f"created {result.name} for {result.month:%B %Y}")
            elif result.note:
                stdout.write(f"not created for {result.month:%B %Y}: {result.note}")
    for part in partitions.partitions():
        estimate = part.estimated_entries
        entries = ("not yet counted" if estimate is None else "empty when last counted" if estimate == 0
                   else f"about {estimate:,} entries")
        span = "entries of months without a partition" if part.default else _span(part)
        stdout.write(f"{part.name}: {span}; {entries}")
    for record in AuditArchive.objects.order_by("range_end"):
        stdout.write(f"archived: {archive.describe(record)}")
    stray = partitions.default_entries()
    if stray:
        raise CommandError(f"{stray} {'entry is' if stray == 1 else 'entries are'} in the default partition: their "
                           "month had no partition when written. They are kept, searched and verified there; "
                           "run `audit partitions --ahead 2` nightly so that the coming months exist in time.",
                           returncode=1)


class Command(BaseCommand):
    help = ("Audit trail tools: `verify [--against CHECKPOINT]` checks the hash chains (exit 1 at the first "
            "bad entry); `checkpoint` prints a signed checkpoint to keep outside the database; "
            "`checkpoint-key --out FILE` creates its signing key.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="check that no entry was changed, removed or reordered")
        verify.add_argument("--against", type=Path, help="also check the trail against this signed checkpoint")
        verify.add_argument("--key", help="the checkpoint key file (private or .pub); default: "
                                          f"the {checkpoint.KEY_SETTING} setting")
        point = sub.add_parser("checkpoint", help="print a signed checkpoint: entries and last hash per chain")
        point.add_argument("--out", type=Path, help="write the checkpoint to this file instead of printing it")
        point.add_argument("--key", help=f"the private key file; default: the {checkpoint.KEY_SETTING} setting")
        parts = sub.add_parser("partitions", help="list the monthly partitions (PostgreSQL); --ahead N creates "
                                                  "this month's and the next N months' first")
        parts.add_argument("--ahead", type=int, default=None, help="create the partitions up to N months ahead")
        arch = sub.add_parser("archive", help="move the oldest month of the trail to a file (PostgreSQL)")
        arch.add_argument("--month", required=True, type=_month, help="the month to archive, YYYY-MM")
        arch.add_argument("--out", required=True, type=Path, help="the directory the archive file is written to")
        arch.add_argument("--key", help=f"the checkpoint's private key file; default: the {checkpoint.KEY_SETTING} setting")
        check = sub.add_parser("archive-check", help="prove an archive file unchanged")
        check.add_argument("file", type=Path)
        check.add_argument("--key", help=f"the checkpoint key file (private or .pub); default: the {checkpoint.KEY_SETTING} "
                                         "setting")
        make_key = sub.add_parser("checkpoint-key", help="create a checkpoint signing key (mode 0600) and FILE.pub")
        make_key.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "verify":
            verify_or_fail(self.stdout, against=options["against"], key=options["key"])
        elif command == "checkpoint":
            text = json.dumps(make_checkpoint(key=options["key"]), indent=2, sort_keys=True) + "\n"
            out: Path | None = options["out"]
            if out is None:
                self.stdout.write(text, ending="")
            else:
                out.write_text(text, encoding="utf-8")
                self.stdout.write(f"checkpoint written to {out}")
        elif command == "partitions":
            show_partitions(self.stdout, ahead=options["ahead"])
        elif command == "archive":
            try:
                record = archive.archive_month(options["month"], options["out"], key=options["key"])
            except archive.ArchiveError as exc:
                raise CommandError(str(exc), returncode=1) from exc
            self.stdout.write(f"archived {record.partition}: {archive.describe(record)}")
        elif command == "archive-check":
            try:
                record = archive.check_archive(options["file"], key=options["key"])
            except archive.ArchiveError as exc:
                raise CommandError(str(exc), returncode=1) from exc
            self.stdout.write(f"archive intact: {archive.describe(record)}")
        else:
            out = options["out"]
            if out.exists():
                raise CommandError(f"{out} exists; a key is never overwritten")
            ident = checkpoint.create_key(out)
            self.stdout.write(f"checkpoint key {ident} written to {out} (mode 0600; keep it off the database "
                              f"host's backups) and its public key to {out}.pub")

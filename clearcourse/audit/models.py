"""The audit trail: append-only, hash-chained, in independent chains.

Each entry belongs to one chain (``chain``; by patient, else by actor: ``chain.chain_for``) and stores
the hash of the entry before it in that chain; changing, removing or reordering any entry breaks its
chain from there on (``python -m clearcourse audit verify`` walks every chain). Several chains, each
with its own head row, let audited transactions on different chains commit in parallel instead of
queueing behind one head lock (docs/security.md). On PostgreSQL a trigger refuses UPDATE and DELETE
on the entries (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    chain = models.PositiveSmallIntegerField(default=0)
    # Consecutive from 1 within the chain, assigned under the chain's head lock: a gap means an entry
    # was removed. Insertion order across chains is ``id``.
    seq = models.BigIntegerField()
    at = models.DateTimeField(db_index=True)
    # Indexed with the time (``audit_entry_actor_at``), not alone.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60)
    # A plain id, not a foreign key: the trail must outlive and never cascade with the records.
    patient_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        # The search and the access report read newest first (``at``, then ``id``) through one of these per
        # filter, so a page costs the same at any size of the trail (docs/performance.md).
        indexes = [models.Index(fields=["patient_id", "at"]),
                   models.Index(fields=["actor", "at"], name="audit_entry_actor_at"),
                   models.Index(fields=["action", "at"], name="audit_entry_action_at")]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_entry_chain_seq_unique")]

    def __str__(self) -> str:
        return f"#{self.chain}.{self.seq} {self.action} by {self.actor_label} at {self.at:%Y-%m-%d %H:%M}"


class AuditHead(models.Model):
    """One row per chain (``id`` is the chain number) holding its last entry; locking it serialises
    appends to that chain only."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain {self.id} head at #{self.last_seq}"


class AuditArchive(models.Model):
    """One partition of the trail moved out of the database into a file (``audit archive``, PostgreSQL).

    Written once, never changed. ``chain_ends`` holds, per chain, the sequence number and hash of its last
    entry in this or any earlier archive: ``audit verify`` starts each chain there, so the entries kept
    online still have to follow on from the archived ones without a gap. ``file_sha256`` and the chain ends
    let ``audit archive-check FILE`` prove the file unchanged later."""

    range_start = models.DateTimeField(null=True, blank=True)  # None: everything before range_end
    range_end = models.DateTimeField(unique=True)
    partition = models.CharField(max_length=63)
    entries = models.BigIntegerField()
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    chain_starts = models.JSONField(default=dict)  # {chain: [seq, hash]} where this archive's entries link to
    chain_ends = models.JSONField(default=dict)  # {chain: [seq, hash]} after this archive (cumulative)
    archived_at = models.DateTimeField()
    archived_by = models.CharField(max_length=150)
    # Ed25519 over the record's content (``audit.archive_records.body``) with the checkpoint key: without it a
    # database administrator could forge a record that makes deleted entries look archived.
    signature = models.TextField(blank=True)

    class Meta:
        ordering = ["range_end"]

    def __str__(self) -> str:
        return f"audit archive of {self.partition} ({self.entries} entries)"

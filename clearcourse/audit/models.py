"""The audit trail: append-only, hash-chained.

Each entry stores the hash of the entry before it; changing, removing or reordering any entry breaks
the chain from there on (``python -m clearcourse audit verify``). On PostgreSQL a trigger refuses
UPDATE and DELETE on the table (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    # Consecutive from 1, assigned under the head lock: a gap means an entry was removed.
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    # A plain id, not a foreign key: the trail must outlive and never cascade with the records.
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["patient_id", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label} at {self.at:%Y-%m-%d %H:%M}"


class AuditHead(models.Model):
    """A single row holding the chain's last hash; locking it serialises appends to the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at #{self.last_seq}"

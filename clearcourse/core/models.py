"""Shared model bases."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} records are append-only; record a correction instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} records are append-only; record a correction instead")

    def current(self) -> AppendOnlyQuerySet:
        """Records that no later record supersedes."""
        return self.filter(superseded_by__isnull=True)


class ClinicalRecord(models.Model):
    """A clinical fact as recorded: inserted once, never updated or deleted.

    A correction is a new record whose ``supersedes`` points at the old one, with a reason; the old
    record stays visible in the history.
    """

    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    correction_reason = models.CharField(_("reason for correction"), max_length=500, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A guard, not logic: the only permitted write is the first insert.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(f"{type(self).__name__} records are append-only; record a correction instead")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} records are append-only; record a correction instead")

    @property
    def is_current(self) -> bool:
        try:
            self.superseded_by  # type: ignore[attr-defined]  # noqa: B018 - raises when absent
        except ObjectDoesNotExist:
            return True
        return False

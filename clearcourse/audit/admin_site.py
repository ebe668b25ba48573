"""The admin site, audited (issue 14, finding 2).

Every model registered on the site, ours or a library's, is served through :class:`AuditedAdminMixin`:

- every admin write (add, change, delete, bulk delete, list edits) appends an ``admin.add`` /
  ``admin.change`` / ``admin.delete`` entry to the hash-chained audit trail in the write's own
  transaction (Django's ``django_admin_log`` alone is an ordinary table anyone with the database can
  edit, and patients' access reports do not read it);
- every admin read of a patient's data (the change page and the history page of a patient, of a record
  of the patient's, or of the patient's own account) appends ``admin.view`` / ``admin.history`` with
  the patient's id, so the patient's access report names the administrator.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from clearcourse.audit.services import admin_action_record


def patient_id_of(obj: Any) -> int | None:
    """The patient whose data ``obj`` is (a patient, a record with ``patient`` or ``course``, a patient's
    account), or None."""
    if obj is None:
        return None
    if obj._meta.label == "courses.Patient":
        return int(obj.pk)
    patient_id = getattr(obj, "patient_id", None)
    if patient_id is not None:
        return int(patient_id)
    course = getattr(obj, "course", None)
    if course is not None and getattr(course, "patient_id", None) is not None:
        return int(course.patient_id)
    record = getattr(obj, "patient_record", None)  # a patient's own account
    return int(record.pk) if record is not None else None


def _detail(obj: Model, **extra: Any) -> dict[str, Any]:
    # The model and id only: object names can be a patient's name, and the entry outlives the object.
    return {"model": obj._meta.label, "object_id": str(obj.pk), **extra}


class AuditedAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    def _record(self, request: HttpRequest, action: str, obj: Model, **extra: Any) -> None:
        admin_action_record(actor=request.user, action=action, patient_id=patient_id_of(obj), obj=obj,  # type: ignore[arg-type]
                            detail=_detail(obj, **extra))

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._record(request, "admin.add", obj, change=str(message or ""))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._record(request, "admin.change", obj, change=str(message or ""))
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._record(request, "admin.delete", obj)
        return super().log_deletions(request, queryset)

    def response_action(self, request: HttpRequest, queryset: Any) -> Any:
        # An action (e.g. "delete selected") logs, then writes: both in one transaction, so the audit
        # entries never outlive a write that failed.
        with transaction.atomic():
            return super().response_action(request, queryset)

    def _record_read(self, request: HttpRequest, object_id: str, action: str) -> None:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and patient_id_of(obj) is not None:
            self._record(request, action, obj)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "GET":
            self._record_read(request, object_id, "admin.view")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request: HttpRequest, object_id: str,
                     extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self._record_read(request, object_id, "admin.history")
        return super().history_view(request, object_id, extra_context)


class AuditedAdminSite(admin.AdminSite):
    """The default admin site; each registered ModelAdmin is served with :class:`AuditedAdminMixin`."""

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)

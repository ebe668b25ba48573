from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "clearcourse.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(remember_preferred_language, dispatch_uid="portal.preferred_language")


def remember_preferred_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """At a patient's sign-in, queue their preferred language; the first portal page applies it (and sets
    the language cookie), after which the language switcher decides."""
    if request is None or getattr(user, "role", None) != "patient":
        return
    from clearcourse.courses.models import Patient

    patient = Patient.objects.filter(user=user).only("preferred_language").first()
    language = patient.preferred_language if patient is not None else getattr(user, "preferred_language", "")
    if language in ("en", "de") and hasattr(request, "session"):
        from clearcourse.portal.views import PENDING_LANGUAGE

        request.session[PENDING_LANGUAGE] = language

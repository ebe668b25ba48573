from __future__ import annotations

from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "clearcourse.pharmacy"
    label = "pharmacy"
    default_auto_field = "django.db.models.BigAutoField"

from __future__ import annotations

from django.apps import AppConfig


class PppConfig(AppConfig):
    name = "clearcourse.ppp"
    label = "ppp"
    default_auto_field = "django.db.models.BigAutoField"

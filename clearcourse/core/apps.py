from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clearcourse.core"
    label = "core"
    verbose_name = "ClearCourse core"

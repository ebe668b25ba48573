from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clearcourse.core"
    label = "core"
    verbose_name = "ClearCourse core"

    def ready(self) -> None:
        # Registers the deployment checks (check --deploy) on import.
        from clearcourse.core import checks  # noqa: F401

from __future__ import annotations

from django.apps import AppConfig


class PppConfig(AppConfig):
    name = "clearcourse.ppp"
    label = "ppp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The one loader of a course's state lives here (it reads the pharmacy's dispenses, which the
        # courses app below cannot); every app asks for the state through courses.state.
        # Imported here, not at the top: Django imports this module before the models are ready.
        from clearcourse.accounts import renewals
        from clearcourse.courses import state
        from clearcourse.ppp.selectors import renewals_for
        from clearcourse.ppp.state import LOADER

        state.provide(LOADER)
        # The pharmacy's and the clinic's pages ask for renewal items through accounts.renewals.
        renewals.provide(renewals_for)

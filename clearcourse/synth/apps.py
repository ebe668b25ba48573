from __future__ import annotations

from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "clearcourse.synth"
    label = "synth"
    verbose_name = "Synthetic population"

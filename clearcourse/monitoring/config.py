"""A clinic's monitoring configuration, as the rules core needs it.

Without a saved :class:`~clearcourse.monitoring.models.ClinicMonitoringConfig` the shipped defaults
apply: the program's schedule from :mod:`clearcourse.rules.monitoring` and the lab thresholds from
:data:`clearcourse.rules.labs.DEFAULT_THRESHOLDS` (fact sheet 3.4, open question #6). Those defaults
need clinical sign-off; the page says so until a prescriber signs a version off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clearcourse.monitoring.models import ClinicMonitoringConfig
from clearcourse.rules import labs
from clearcourse.rules import monitoring as rules_monitoring

#: The interval fields a clinic may set (they mirror rules.monitoring.MonitoringConfig).
INTERVAL_FIELDS: tuple[str, ...] = (
    "first_recheck_days", "liver_interval_days", "lipid_interval_days", "high_risk_interval_days",
    "peak_recheck_days", "baseline_max_age_days", "end_of_treatment_window_days", "mood_interval_days",
    "assess_sexual_function", "routine_cbc",
)

DEFAULT_REMINDER_DAYS_BEFORE = 2


def program_defaults(program: str) -> rules_monitoring.MonitoringConfig:
    """The shipped schedule for a program family: UK clinics add the MHRA 2023 sexual-function check."""
    if program.startswith("uk-"):
        return rules_monitoring.UK_CONFIG
    if program.startswith("us-"):
        return rules_monitoring.US_CONFIG
    return rules_monitoring.EU_CONFIG


@dataclass(frozen=True, slots=True)
class EffectiveConfig:
    """What applies to a clinic now: the schedule, the thresholds, and whether it is signed off."""

    schedule: rules_monitoring.MonitoringConfig
    thresholds: tuple[labs.LabThreshold, ...]
    reminder_days_before: int
    signed_off: bool
    version: ClinicMonitoringConfig | None

    @property
    def needs_clinical_signoff(self) -> bool:
        return not self.signed_off

    def threshold_bounds(self) -> dict[str, float]:
        return {t.code: t.bound for t in self.thresholds}


def build_thresholds(bounds: Mapping[str, Any]) -> tuple[labs.LabThreshold, ...]:
    """The shipped thresholds with the clinic's bounds; unknown codes are ignored, each bound checked by
    the core (a negative or non-finite bound raises :class:`labs.LabInputError`)."""
    result = []
    for threshold in labs.DEFAULT_THRESHOLDS:
        if threshold.code in bounds and bounds[threshold.code] is not None:
            threshold = dataclasses.replace(threshold, bound=float(bounds[threshold.code]))
        result.append(threshold)
    return labs.validate_thresholds(result)


def effective_from_version(program: str, version: ClinicMonitoringConfig | None) -> EffectiveConfig:
    if version is None:
        return EffectiveConfig(schedule=program_defaults(program), thresholds=labs.DEFAULT_THRESHOLDS,
                               reminder_days_before=DEFAULT_REMINDER_DAYS_BEFORE, signed_off=False, version=None)
    schedule = rules_monitoring.MonitoringConfig(**{name: getattr(version, name) for name in INTERVAL_FIELDS})
    return EffectiveConfig(schedule=schedule, thresholds=build_thresholds(version.thresholds),
                           reminder_days_before=version.reminder_days_before, signed_off=version.signed_off,
                           version=version)


def current_version(clinic_id: int) -> ClinicMonitoringConfig | None:
    return (ClinicMonitoringConfig.objects.current().filter(clinic_id=clinic_id)
            .order_by("-recorded_at", "-id").first())


def effective_config(clinic_id: int, program: str) -> EffectiveConfig:
    return effective_from_version(program, current_version(clinic_id))


def effective_configs(clinics: Iterable[tuple[int, str]]) -> dict[int, EffectiveConfig]:
    """Configs for several clinics in one query (the worklist must not query per patient)."""
    wanted = dict(clinics)
    versions: dict[int, ClinicMonitoringConfig] = {}
    for version in (ClinicMonitoringConfig.objects.current().filter(clinic_id__in=list(wanted))
                    .order_by("recorded_at", "id")):
        versions[version.clinic_id] = version  # the latest wins
    return {cid: effective_from_version(program, versions.get(cid)) for cid, program in wanted.items()}

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearcourse.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from clearcourse.monitoring import config, selectors, services
from clearcourse.monitoring.models import AlertAcknowledgement, ClinicMonitoringConfig


@pytest.fixture
def urgent_alert(prescriber: Any, active_course: Any, today: dt.date) -> Any:
    screen = services.mood_screen_record(actor=prescriber, course=active_course, instrument="phq9",
                                         answers=[0, 0, 0, 0, 0, 0, 0, 0, 2], screened_on=today, today=today)
    return screen.alerts.get()


def test_a_prescriber_acknowledges_an_alert_with_a_note(prescriber, urgent_alert):
    ack = services.alert_acknowledge(actor=prescriber, alert=urgent_alert, note="  Called the patient; referred.  ")
    assert ack.note == "Called the patient; referred."
    assert ack.recorded_by == prescriber


def test_the_note_is_required(prescriber, urgent_alert):
    with pytest.raises(DomainError) as exc:
        services.alert_acknowledge(actor=prescriber, alert=urgent_alert, note="   ")
    assert (exc.value.field, exc.value.message) == ("note", services.ACK_NOTE_REQUIRED)
    assert AlertAcknowledgement.objects.count() == 0


@pytest.mark.parametrize("persona", ["delegate", "pharmacist", "admin_user", "patient_user"])
def test_only_a_prescriber_may_acknowledge(persona, request, urgent_alert):
    with pytest.raises(PermissionDeniedError):
        services.alert_acknowledge(actor=request.getfixturevalue(persona), alert=urgent_alert, note="seen")
    assert AlertAcknowledgement.objects.count() == 0


def test_a_prescriber_of_another_clinic_cannot_acknowledge(other_prescriber, urgent_alert):
    with pytest.raises(NotFoundError):
        services.alert_acknowledge(actor=other_prescriber, alert=urgent_alert, note="seen")


def test_an_alert_is_acknowledged_once(prescriber, urgent_alert):
    services.alert_acknowledge(actor=prescriber, alert=urgent_alert, note="seen")
    with pytest.raises(ConflictError):
        services.alert_acknowledge(actor=prescriber, alert=urgent_alert, note="seen again")
    assert AlertAcknowledgement.objects.count() == 1


def test_an_urgent_alert_stays_on_top_of_the_worklist_until_acknowledged(prescriber, active_course, urgent_alert,
                                                                          today):
    # A newer, less severe alert does not push the urgent one down.
    services.mood_screen_record(actor=prescriber, course=active_course, instrument="phq9",
                                answers=[1, 1, 1, 1, 1, 1, 0, 0, 0], screened_on=today, today=today)
    listed = selectors.worklist(user=prescriber, today=today + dt.timedelta(days=20)).alerts
    assert listed[0] == urgent_alert
    assert [a.severity for a in listed] == ["urgent", "info"]
    services.alert_acknowledge(actor=prescriber, alert=urgent_alert, note="seen")
    assert urgent_alert not in selectors.worklist(user=prescriber, today=today).alerts


# --- clinic configuration ------------------------------------------------------------------------------


def intervals(**over: Any) -> dict[str, Any]:
    defaults = config.program_defaults("us-ipledge")
    values = {n: getattr(defaults, n) for n in config.INTERVAL_FIELDS}
    values.update(over)
    return values


def test_without_a_saved_version_the_shipped_defaults_apply_and_need_sign_off(clinic):
    effective = config.effective_config(clinic.pk, clinic.program)
    assert effective.needs_clinical_signoff
    assert effective.threshold_bounds()["tg_pancreatitis_stop"] == 9.0


def test_each_save_is_a_new_version_superseding_the_last(prescriber, clinic):
    first = services.monitoring_config_save(actor=prescriber, intervals=intervals(), thresholds={},
                                            reminder_days_before=2, signed_off=False)
    second = services.monitoring_config_save(actor=prescriber, intervals=intervals(liver_interval_days=60),
                                             thresholds={"alt_3x_uln": 2.5}, reminder_days_before=3, signed_off=True)
    assert second.supersedes == first
    assert list(ClinicMonitoringConfig.objects.current()) == [second]
    effective = config.effective_config(clinic.pk, clinic.program)
    assert effective.schedule.liver_interval_days == 60
    assert effective.threshold_bounds()["alt_3x_uln"] == 2.5
    assert not effective.needs_clinical_signoff


def test_the_core_refuses_an_interval_of_zero(prescriber):
    with pytest.raises(DomainError) as exc:
        services.monitoring_config_save(actor=prescriber, intervals=intervals(mood_interval_days=0), thresholds={},
                                        reminder_days_before=2, signed_off=False)
    assert exc.value.field == "mood_interval_days"
    assert ClinicMonitoringConfig.objects.count() == 0


def test_a_negative_threshold_is_refused(prescriber):
    with pytest.raises(DomainError) as exc:
        services.monitoring_config_save(actor=prescriber, intervals=intervals(), thresholds={"tg_refer": -1},
                                        reminder_days_before=2, signed_off=False)
    assert exc.value.field == "threshold_tg_refer"


def test_a_delegate_cannot_change_the_configuration(delegate):
    with pytest.raises(PermissionDeniedError):
        services.monitoring_config_save(actor=delegate, intervals=intervals(), thresholds={},
                                        reminder_days_before=2, signed_off=True)

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.monitoring import services
from clearcourse.monitoring.models import Alert, LabResult

TG = "2571-8"
ALT = "1742-6"


def record(actor: Any, course: Any, today: dt.date, **kw: Any) -> LabResult:
    kw.setdefault("loinc", TG)
    kw.setdefault("value", Decimal("150"))
    kw.setdefault("unit", "mg/dL")
    kw.setdefault("collected_on", today)
    return services.lab_result_record(actor=actor, course=course, today=today, **kw)


def test_it_refuses_a_negative_value_on_the_value_field_and_writes_nothing(prescriber, active_course, today):
    entries = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, value=Decimal("-1"))
    assert exc.value.field == "value"
    assert exc.value.message == services.LAB_VALUE_NEGATIVE
    assert LabResult.objects.count() == 0
    assert Alert.objects.count() == 0
    assert AuditEntry.objects.count() == entries


def test_it_refuses_a_unit_that_does_not_fit_the_test(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, unit="U/L")
    assert exc.value.field == "unit"
    assert exc.value.message == "U/L does not fit Triglycerides; use mg/dL or mmol/L."
    assert LabResult.objects.count() == 0


def test_it_refuses_mg_per_dl_for_alt(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, loinc=ALT, value=Decimal("30"), unit="mg/dL", uln=Decimal("40"))
    assert exc.value.field == "unit"
    assert LabResult.objects.count() == 0


def test_alt_needs_the_labs_upper_limit_of_normal(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, loinc=ALT, value=Decimal("30"), unit="U/L")
    assert exc.value.field == "uln"
    assert exc.value.message == services.LAB_ULN_REQUIRED % {"test": "ALT"}


def test_an_unknown_loinc_code_is_a_field_error_on_the_test(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, loinc="9999-9")
    assert exc.value.field == "loinc"


def test_a_qualitative_pregnancy_test_is_sent_to_the_programs_page(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, loinc="2106-3", value=Decimal("0"), unit="mg/dL")
    assert exc.value.message == services.LAB_QUALITATIVE


def test_a_future_collection_date_is_refused(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, collected_on=today + dt.timedelta(days=1))
    assert exc.value.field == "collected_on"
    assert LabResult.objects.count() == 0


def test_mmol_per_l_is_stored_as_given_and_converted_to_mg_per_dl(prescriber, active_course, today):
    result = record(prescriber, active_course, today, value=Decimal("2"), unit="mmol/L")
    assert (result.value, result.unit) == (Decimal("2.000"), "mmol/L")
    assert (result.canonical_value, result.canonical_unit) == (Decimal("177.140"), "mg/dL")
    assert result.loinc == TG and result.analyte == "triglycerides"


def test_a_normal_result_raises_no_alert_and_is_audited(prescriber, active_course, today):
    result = record(prescriber, active_course, today)
    assert not result.alerts.exists()
    entry = AuditEntry.objects.filter(action="lab.record").get()
    assert entry.patient_id == active_course.patient_id
    assert entry.object_id == str(result.pk)


def test_triglycerides_above_9_mmol_per_l_raise_one_urgent_alert_with_the_guideline_advice(
        prescriber, active_course, today):
    result = record(prescriber, active_course, today, value=Decimal("9.5"), unit="mmol/L")
    alert = result.alerts.get()
    assert alert.severity == "urgent"
    assert alert.code == "tg_pancreatitis_stop"
    assert "pancreatitis" in alert.advice
    assert alert.needs_clinical_signoff
    assert {s["key"] for s in alert.sources} >= {"D15", "D3"}  # the BNF and the US label lineage
    assert "Triglycerides 9.5 mmol/L" in alert.message


def test_alt_at_three_times_the_uln_raises_a_warning(prescriber, active_course, today):
    result = record(prescriber, active_course, today, loinc=ALT, value=Decimal("120"), unit="U/L", uln=Decimal("40"))
    assert result.alerts.get().code == "alt_3x_uln"
    assert result.alerts.get().severity == "warning"


def test_the_clinics_own_threshold_is_used(prescriber, active_course, today):
    from clearcourse.monitoring.config import INTERVAL_FIELDS, program_defaults

    defaults = program_defaults("us-ipledge")
    services.monitoring_config_save(
        actor=prescriber, intervals={n: getattr(defaults, n) for n in INTERVAL_FIELDS},
        thresholds={"tg_refer": 1.0}, reminder_days_before=2, signed_off=True)
    result = record(prescriber, active_course, today, value=Decimal("100"))
    assert result.alerts.get().code == "tg_refer"


def test_a_delegate_may_record_results_for_their_prescriber(delegate, active_course, today):
    assert record(delegate, active_course, today).recorded_by == delegate


@pytest.mark.parametrize("persona", ["pharmacist", "admin_user", "patient_user"])
def test_only_clinic_staff_record_lab_results(persona, request, active_course, today):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDeniedError):
        record(actor, active_course, today)
    assert LabResult.objects.count() == 0


def test_a_prescriber_of_another_clinic_cannot_find_the_course(other_prescriber, active_course, today):
    with pytest.raises(NotFoundError):
        record(other_prescriber, active_course, today)


def test_a_correction_needs_a_reason_and_supersedes_the_old_result(prescriber, active_course, today):
    old = record(prescriber, active_course, today)
    with pytest.raises(DomainError) as exc:
        record(prescriber, active_course, today, value=Decimal("160"), supersedes=old)
    assert exc.value.field == "correction_reason"
    new = record(prescriber, active_course, today, value=Decimal("160"), supersedes=old,
                 correction_reason="typo")
    assert list(LabResult.objects.current()) == [new]

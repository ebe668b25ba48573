from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.monitoring import services
from clearcourse.monitoring.models import Alert, MoodScreen, SexualFunctionAssessment, SideEffectReport


def phq9(actor: Any, course: Any, today: dt.date, answers: list[int], **kw: Any) -> MoodScreen:
    return services.mood_screen_record(actor=actor, course=course, instrument=kw.pop("instrument", "phq9"),
                                       answers=answers, screened_on=kw.pop("screened_on", today), today=today, **kw)


# --- mood ------------------------------------------------------------------------------------------


def test_a_phq9_answer_of_4_is_refused_on_that_item_and_nothing_is_written(prescriber, active_course, today):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        phq9(prescriber, active_course, today, [0, 0, 4, 0, 0, 0, 0, 0, 0])
    assert exc.value.field == "item_3"
    assert exc.value.message == services.PHQ_ANSWER_OUT_OF_RANGE
    assert MoodScreen.objects.count() == 0 and Alert.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_a_phq9_with_eight_answers_is_refused(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        phq9(prescriber, active_course, today, [0] * 8)
    assert exc.value.field == "answers"


def test_the_core_scores_and_bands_the_questionnaire(prescriber, active_course, today):
    screen = phq9(prescriber, active_course, today, [1, 1, 2, 1, 1, 1, 0, 0, 0])
    assert (screen.score, screen.band, screen.urgent) == (7, "mild", False)
    assert screen.alerts.get().severity == "info"


def test_item_9_above_zero_raises_an_urgent_alert_even_with_a_low_total(prescriber, active_course, today):
    screen = phq9(prescriber, active_course, today, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert screen.urgent and screen.item9_positive
    alert = screen.alerts.get()
    assert (alert.severity, alert.code) == ("urgent", "mood_self_harm")
    assert "self-harm" in alert.advice


def test_a_severe_band_raises_an_urgent_alert(prescriber, active_course, today):
    screen = phq9(prescriber, active_course, today, [3, 3, 3, 3, 3, 3, 2, 0, 0])
    assert screen.band == "severe"
    assert screen.alerts.get().code == "mood_severe"


def test_a_positive_phq2_asks_for_a_phq9(prescriber, active_course, today):
    screen = phq9(prescriber, active_course, today, [2, 1], instrument="phq2")
    assert screen.band == "positive"
    assert screen.alerts.get().code == "phq2_positive"


def test_the_patient_can_record_their_own_screen(patient_user, active_course, today):
    screen = phq9(patient_user, active_course, today, [0] * 9, completed_by="staff")
    # A patient cannot claim to be staff.
    assert screen.completed_by == "patient"


def test_staff_entering_a_paper_form_can_mark_it_completed_by_the_patient(delegate, active_course, today):
    assert phq9(delegate, active_course, today, [0] * 9, completed_by="patient").completed_by == "patient"
    assert phq9(delegate, active_course, today, [0] * 9).completed_by == "staff"


def test_another_patient_cannot_record_on_this_course(other_patient_user, active_course, today):
    with pytest.raises(NotFoundError):
        phq9(other_patient_user, active_course, today, [0] * 9)


def test_a_pharmacist_cannot_record_a_screen(pharmacist, active_course, today):
    with pytest.raises(PermissionDeniedError):
        phq9(pharmacist, active_course, today, [0] * 9)


# --- side effects ------------------------------------------------------------------------------------


def report(actor: Any, course: Any, today: dt.date, symptoms: dict[str, str], **kw: Any) -> list[SideEffectReport]:
    return services.side_effect_report(actor=actor, course=course, symptoms=symptoms, reported_on=today,
                                       today=today, **kw)


def test_a_red_flag_raises_an_urgent_alert_with_the_guideline_advice(prescriber, active_course, today):
    rows = report(prescriber, active_course, today, {"rectal_bleeding": "mild"})
    assert [r.code for r in rows] == ["rectal_bleeding"]
    alert = Alert.objects.get()
    assert alert.severity == "urgent"
    assert "stop isotretinoin" in alert.advice
    assert alert.side_effect_group == rows[0].report_group


def test_severe_headache_with_vision_changes_is_judged_together(patient_user, active_course, today):
    rows = report(patient_user, active_course, today, {"headache": "severe", "vision_change": "moderate"},
                  onset=today - dt.timedelta(days=2), note="since Monday")
    assert {r.reported_by for r in rows} == {"patient"}
    assert len({r.report_group for r in rows}) == 1
    codes = list(Alert.objects.order_by("-severity_rank", "id").values_list("code", flat=True))
    assert codes[0] == "possible_pseudotumor_cerebri"
    assert "side_effect_vision_change" in codes
    # The severe headache is covered by the combined alert; it is not listed twice.
    assert "side_effect_headache" not in codes
    assert Alert.objects.get(code="possible_pseudotumor_cerebri").message.startswith("Headache (severe), ")


def test_a_mild_common_effect_is_recorded_without_an_alert(prescriber, active_course, today):
    report(prescriber, active_course, today, {"cheilitis": "mild"})
    assert SideEffectReport.objects.count() == 1
    assert Alert.objects.count() == 0


def test_a_report_without_any_symptom_is_refused(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        report(prescriber, active_course, today, {"cheilitis": ""})
    assert exc.value.message == services.SIDE_EFFECT_NONE


def test_an_unknown_side_effect_or_grade_is_refused_on_its_field(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        report(prescriber, active_course, today, {"werewolf": "mild"})
    assert exc.value.field == "se_werewolf"
    with pytest.raises(DomainError) as exc:
        report(prescriber, active_course, today, {"cheilitis": "terrible"})
    assert exc.value.field == "se_cheilitis"
    assert SideEffectReport.objects.count() == 0


def test_an_onset_after_the_report_is_refused(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        report(prescriber, active_course, today - dt.timedelta(days=1), {"cheilitis": "mild"}, onset=today)
    assert exc.value.field == "onset"


# --- sexual function (UK) ----------------------------------------------------------------------------


def test_sexual_function_concerns_raise_a_warning_with_the_mhra_advice(prescriber, active_course, today):
    services.sexual_function_record(actor=prescriber, course=active_course, assessed_on=today, outcome="concerns",
                                    note="reduced libido", today=today)
    assert SexualFunctionAssessment.objects.count() == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity) == ("sexual_function", "warning")
    assert "MHRA" in alert.advice


def test_an_unknown_sexual_function_outcome_is_refused(prescriber, active_course, today):
    with pytest.raises(DomainError) as exc:
        services.sexual_function_record(actor=prescriber, course=active_course, assessed_on=today, outcome="meh",
                                        today=today)
    assert exc.value.field == "outcome"

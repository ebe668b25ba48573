"""The prescriber's pages: patients, courses, assessments, dose plans, weights and missed doses.

Thin views (DESIGN.md convention 3): parse the form, call one service or selector, render. A
DomainError from a service is shown next to the field it names and nothing is written; a record
outside the user's scope is a 404; a role without access is a 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Role, User
from clearcourse.core import clock
from clearcourse.core.access import STAFF_ROLES, page
from clearcourse.core.charts import Marker, Series, Threshold, line_chart
from clearcourse.core.dates import show_date
from clearcourse.core.errors import DomainError
from clearcourse.core.forms_flow import form_status, run_form
from clearcourse.courses import selectors, services
from clearcourse.courses.forms import (
    CONDITION_LABELS,
    GAGS_BAND_LABELS,
    INDICATION_LABELS,
    AssessmentForm,
    CourseForm,
    CourseStatusForm,
    DosePlanForm,
    MissedDoseForm,
    PatientForm,
    WeightForm,
    patient_age,
)
from clearcourse.courses.models import (
    Assessment,
    Course,
    CourseStatus,
    DosePlan,
    MissedDoseReport,
    Patient,
    Prescription,
    WeightMeasurement,
)
from clearcourse.courses.state import course_state
from clearcourse.rules import dosing, eligibility, severity

ViewFunc = Callable[..., HttpResponse]


#: Signed in as a prescriber or delegate (the one access path, ``core.access``): others 403, out-of-scope
#: records 404.
clinic_staff_required = page(*STAFF_ROLES)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _today() -> Any:
    return clock.today()


# --- patients ------------------------------------------------------------------------------------


@clinic_staff_required
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    patients = selectors.patient_search(user=_user(request), query=query).prefetch_related("courses")
    page = Paginator(patients, 50).get_page(request.GET.get("page"))
    today = _today()
    rows: list[dict[str, Any]] = []
    for patient in page:
        courses = sorted(patient.courses.all(), key=lambda c: (c.created_at, c.pk), reverse=True)
        rows.append({"patient": patient, "age": patient_age(patient, today), "course": courses[0] if courses else None})
    # The latest current assessment of each shown course, in one query, to flag "not eligible".
    course_ids = [row["course"].pk for row in rows if row["course"]]
    latest: dict[int, Assessment] = {}
    for item in Assessment.objects.current().filter(course_id__in=course_ids).order_by("assessed_on", "id"):
        latest[item.course_id] = item
    for row in rows:
        row["assessment"] = latest.get(row["course"].pk) if row["course"] else None
    return render(request, "courses/patient_list.html", {"rows": rows, "page": page, "query": query})


@clinic_staff_required
def patient_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    form = PatientForm(request.POST or None, actor=actor)

    def create(data: dict[str, Any]) -> Patient:
        return services.patient_create(
            actor=actor, prescriber=data["prescriber"], record_number=data["record_number"].strip(),
            given_name=data["given_name"].strip(), family_name=data["family_name"].strip(),
            birth_date=data["birth_date"], sex=data["sex"], email=data["email"], phone=data["phone"],
            preferred_language=data["preferred_language"], today=_today(),
            confirm_unusual=data.get("confirm_unusual", False),
        )

    done = run_form(request, form, create,
                    success_message=lambda patient: _("Patient %(name)s added.") % {"name": patient.full_name},
                    redirect_to=lambda patient: reverse("courses:patient_detail", kwargs={"patient_id": patient.pk}))
    return done or render(request, "courses/patient_form.html", {"form": form}, status=form_status(request))


@clinic_staff_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = selectors.patient_get_for_user(user=_user(request), patient_id=patient_id)
    courses = list(patient.courses.all())
    weights = list(WeightMeasurement.objects.filter(patient=patient).order_by("-measured_on", "-id"))
    return render(request, "courses/patient_detail.html", {
        "patient": patient, "age": patient_age(patient, _today()), "courses": courses, "weights": weights,
    })


@clinic_staff_required
def weight_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    actor = _user(request)
    patient = selectors.patient_get_for_user(user=actor, patient_id=patient_id,
                                             audit=None if request.method == "POST" else "patient.view")
    course_id = request.GET.get("course") or request.POST.get("course")
    back = reverse("courses:patient_detail", args=[patient.pk])
    if course_id and str(course_id).isdigit() and patient.courses.filter(pk=int(course_id)).exists():
        back = reverse("courses:course_detail", args=[int(course_id)])
    form = WeightForm(request.POST or None, initial={"measured_on": _today()})
    done = run_form(request, form,
                    lambda data: services.weight_record(actor=actor, patient=patient, measured_on=data["measured_on"],
                                                        weight_kg=data["weight_kg"], today=_today(),
                                                        confirm_unusual=data.get("confirm_unusual", False)),
                    success_message=_("Weight recorded."), redirect_to=back)
    return done or render(request, "courses/weight_form.html",
                          {"form": form, "patient": patient, "back": back, "course_id": course_id or ""},
                          status=form_status(request))


# --- courses -------------------------------------------------------------------------------------


@clinic_staff_required
def course_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    actor = _user(request)
    patient = selectors.patient_get_for_user(user=actor, patient_id=patient_id,
                                             audit=None if request.method == "POST" else "patient.view")
    form = CourseForm(request.POST or None)
    done = run_form(request, form,
                    lambda data: services.course_create(actor=actor, patient=patient, product=data["product"],
                                                        target_mg_per_kg=float(data["target_mg_per_kg"])),
                    success_message=_("Course started. Record the first assessment."),
                    redirect_to=lambda course: reverse("courses:assessment_create", kwargs={"course_id": course.pk}))
    return done or render(request, "courses/course_form.html", {"form": form, "patient": patient},
                          status=form_status(request))


def _course_chart(course: Course, summary: selectors.CourseDoseSummary) -> str:
    target = float(summary.target_mg_per_kg)
    projected = Series(_("Projected"), summary.projected_points, dashed=True) if summary.projected_points else None
    markers = [Marker(_("Today"), summary.as_of)]
    if summary.projected_end:
        markers.append(Marker(_("Projected end"), summary.projected_end))
    start = course.started_on or (summary.actual_points[0][0] if summary.actual_points else None)
    if summary.plan and (start is None or summary.plan.starts_on < start):
        start = summary.plan.starts_on
    desc_parts = [
        _("Target %(target)s mg/kg.") % {"target": _num(summary.target_mg_per_kg)},
    ]
    if summary.cumulative_mg_per_kg is not None:
        desc_parts.append(_("Cumulative dose dispensed, less missed days: %(value)s mg/kg.")
                          % {"value": _num(summary.cumulative_mg_per_kg)})
    if summary.projected_end:
        desc_parts.append(_("Projected end: %(date)s.") % {"date": show_date(summary.projected_end)})
    return line_chart(
        title=_("Cumulative dose (mg/kg) of course %(id)s") % {"id": course.pk},
        desc=" ".join(desc_parts),
        series=[Series(_("Taken (estimated)"), summary.actual_points)],
        projected=projected,
        thresholds=[Threshold(_("Target %(target)s mg/kg") % {"target": _num(summary.target_mg_per_kg)},
                              target, kind="target")],
        markers=markers,
        y_label="mg/kg",
        y_max=max([target * 1.1] + [v for _d, v in (*summary.actual_points, *summary.projected_points)]),
        x_min=start,
        value_unit="mg/kg",
        # Dispensed but no weight or dose plan yet: the dose exists, the mg/kg line needs a weight.
        empty_text=_("No dispenses yet.") if not summary.periods else
        _("No dose plan yet: the target and the projection need one."),
    )


def _num(value: Decimal | float | int | None) -> str:
    if value is None:
        return "-"
    text = format(Decimal(str(value)).normalize(), "f")
    return text


@clinic_staff_required
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    user = _user(request)
    course = selectors.course_get_for_user(user=user, course_id=course_id)
    today = _today()
    state = course_state(course, on=today)
    summary = state.dose
    # Each record's correction (``is_current``) and each prescription's dispenses are read with the lists,
    # so the page sends the same statements for a course of one month and of twelve.
    assessments = list(Assessment.objects.filter(course=course).select_related("superseded_by")
                       .order_by("-assessed_on", "-id"))
    prescriptions = list(Prescription.objects.filter(course=course).select_related("superseded_by")
                         .prefetch_related("dispenses").order_by("-issued_on", "-id"))
    missed = list(MissedDoseReport.objects.filter(course=course).select_related("superseded_by")
                  .order_by("-first_day", "-id"))
    weights = list(WeightMeasurement.objects.filter(patient=course.patient).select_related("superseded_by")
                   .order_by("-measured_on", "-id"))
    return render(request, "courses/course_detail.html", {
        "course": course, "patient": course.patient, "age": patient_age(course.patient, today),
        "summary": summary, "state": state, "chart": _course_chart(course, summary), "assessments": assessments,
        "prescriptions": prescriptions, "missed": missed, "weights": weights,
        "can_prescribe": user.role == Role.PRESCRIBER,
        "allowed_status": sorted(services.STATUS_TRANSITIONS.get(course.status, frozenset())),
        "periods": list(reversed(summary.periods)),
    })


@clinic_staff_required
def course_status(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _user(request)
    course = selectors.course_get_for_user(user=actor, course_id=course_id,
                                           audit=None if request.method == "POST" else "course.view")
    allowed = sorted(services.STATUS_TRANSITIONS.get(course.status, frozenset()))
    form = CourseStatusForm(request.POST or None, allowed=allowed, initial={"on": _today()})
    done = run_form(request, form,
                    lambda data: services.course_status_change(actor=actor, course=course, status=data["status"],
                                                               on=data["on"], reason=data["reason"], today=_today()),
                    success_message=_("Course status changed."),
                    redirect_to=reverse("courses:course_detail", kwargs={"course_id": course.pk}))
    return done or render(request, "courses/course_status_form.html",
                          {"form": form, "course": course, "patient": course.patient,
                           "can_prescribe": actor.role == Role.PRESCRIBER}, status=form_status(request))


@clinic_staff_required
def missed_dose_create(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _user(request)
    course = selectors.course_get_for_user(user=actor, course_id=course_id,
                                           audit=None if request.method == "POST" else "course.view")
    form = MissedDoseForm(request.POST or None, initial={"first_day": _today(), "days": 1})
    done = run_form(request, form,
                    lambda data: services.missed_dose_record(actor=actor, course=course, first_day=data["first_day"],
                                                             days=data["days"], note=data["note"], today=_today()),
                    success_message=_("Missed doses recorded."),
                    redirect_to=reverse("courses:course_detail", kwargs={"course_id": course.pk}))
    return done or render(request, "courses/missed_dose_form.html",
                          {"form": form, "course": course, "patient": course.patient}, status=form_status(request))


# --- assessments ---------------------------------------------------------------------------------


def _assessment_initial(old: Assessment | None) -> dict[str, Any]:
    if old is None:
        return {"assessed_on": _today()}
    initial: dict[str, Any] = {
        "assessed_on": old.assessed_on, "iga": old.iga, "scarring": old.scarring,
        "psychosocial_burden": old.psychosocial_burden, "failed_therapies": old.failed_therapies,
        "medications": "\n".join(old.medications), "allergies": "\n".join(old.allergies),
        "conditions": old.conditions, "pregnant": old.pregnant, "breastfeeding": old.breastfeeding,
        "notes": old.notes,
    }
    for code in severity.GAGS_REGION_CODES:
        initial[f"gags_{code}"] = getattr(old, f"gags_{code}")
    return initial


def _gags_bands_json() -> str:
    return json.dumps([{"code": b.code, "label": str(GAGS_BAND_LABELS.get(b.code, b.label)), "lowest": b.lowest,
                        "highest": b.highest} for b in severity.GAGS_BAND_TABLE])


@clinic_staff_required
def assessment_create(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _user(request)
    course = selectors.course_get_for_user(user=actor, course_id=course_id,
                                           audit=None if request.method == "POST" else "course.view")
    old: Assessment | None = None
    corrects = request.GET.get("corrects") or request.POST.get("corrects")
    if corrects:
        old = Assessment.objects.current().filter(course=course, pk=int(corrects) if corrects.isdigit() else 0).first()
        if old is None:
            raise Http404
    form = AssessmentForm(request.POST or None, initial=_assessment_initial(old), correcting=old is not None)

    def record(data: dict[str, Any]) -> Assessment:
        return services.assessment_record(
            actor=actor, course=course, assessed_on=data["assessed_on"], today=_today(), iga=data["iga"],
            gags=form.gags_grades(), scarring=data["scarring"], psychosocial_burden=data["psychosocial_burden"],
            failed_therapies=data["failed_therapies"], medications=form.lines(data["medications"]),
            allergies=form.lines(data["allergies"]), conditions=data["conditions"], pregnant=data["pregnant"],
            breastfeeding=data["breastfeeding"], notes=data["notes"], supersedes=old,
            correction_reason=data.get("correction_reason", ""),
        )

    done = run_form(request, form, record, success_message=_("Assessment recorded."),
                    redirect_to=lambda item: reverse("courses:assessment_detail",
                                                     kwargs={"course_id": course.pk, "assessment_id": item.pk}))
    return done or render(request, "courses/assessment_form.html", {
        "form": form, "course": course, "patient": course.patient, "old": old, "bands_json": _gags_bands_json(),
        "other_fields": [form[name] for name in ("scarring", "psychosocial_burden")],
    }, status=form_status(request))


@clinic_staff_required
def assessment_detail(request: HttpRequest, course_id: int, assessment_id: int) -> HttpResponse:
    course = selectors.course_get_for_user(user=_user(request), course_id=course_id, audit="assessment.view")
    assessment = Assessment.objects.filter(course=course, pk=assessment_id).select_related("recorded_by").first()
    if assessment is None:
        raise Http404
    decision = assessment.decision or {}
    contra = decision.get("contraindications", [])
    indications = [{**item, "label": INDICATION_LABELS.get(item.get("code"), item.get("code"))}
                   for item in decision.get("indications", [])]
    therapies = [eligibility.THERAPIES[t].label if t in eligibility.THERAPIES else t
                 for t in assessment.failed_therapies]
    # The region's own list (the clinic's program family): what its documents contraindicate.
    region = decision.get("contraindication_region") or eligibility.region_of(course.program)
    region_absolute = ([{"message": reading.message, "sources": reading.sources}
                        for _code, reading in eligibility.region_list(region) if reading.severity == "absolute"]
                       if region else [])
    return render(request, "courses/assessment_detail.html", {
        "region_label": eligibility.REGION_LABELS.get(region, "") if region else "",
        "region_absolute": region_absolute,
        "indications": indications, "therapies": therapies,
        "conditions": [CONDITION_LABELS.get(c, c) for c in assessment.conditions],
        "course": course, "patient": course.patient, "assessment": assessment, "decision": decision,
        "band_label": GAGS_BAND_LABELS.get((decision.get("gags") or {}).get("band", ""), ""),
        "absolute": [c for c in contra if c.get("severity") == "absolute"],
        "relative": [c for c in contra if c.get("severity") != "absolute"],
        "is_current": assessment.is_current,
        "superseded_by": getattr(assessment, "superseded_by", None) if not assessment.is_current else None,
    })


# --- dose plan -----------------------------------------------------------------------------------


def _plan_view(plan: DosePlan) -> dict[str, Any]:
    """What the page shows about a plan, computed by the rules core from the stored inputs."""
    daily = Decimal(plan.daily_dose_mg)
    achieved = dosing.round_one_decimal(Fraction(daily) / Fraction(plan.weight_kg))
    target = dosing.target_mg(plan.weight_kg, plan.target_mg_per_kg)
    days = dosing.days_remaining(target, daily)
    capsules = sorted(((Decimal(k), v) for k, v in (plan.capsules or {}).items()), reverse=True)
    return {
        "plan": plan, "achieved_mg_per_kg": achieved, "target_mg": target, "days_at_dose": days,
        "weeks_at_dose": round(days / 7), "capsules": [(dosing.format_mg(s), n) for s, n in capsules],
        "capsule_count": sum(n for _s, n in capsules),
        "outside_range": not dosing.DAILY_MG_PER_KG_MIN <= Fraction(achieved) <= dosing.DAILY_MG_PER_KG_MAX,
    }


@clinic_staff_required
def dose_plan(request: HttpRequest, course_id: int) -> HttpResponse:
    actor = _user(request)
    course = selectors.course_get_for_user(user=actor, course_id=course_id,
                                           audit=None if request.method == "POST" else "dose_plan.view")
    today = _today()
    can_prescribe = actor.role == Role.PRESCRIBER
    current = selectors.current_dose_plan(course, as_of=today)
    latest_weight = (WeightMeasurement.objects.current().filter(patient=course.patient)
                     .order_by("-measured_on", "-id").first())
    initial = {
        "starts_on": today,
        "weight_kg": current.weight_kg if current else (latest_weight.weight_kg if latest_weight else None),
        "mg_per_kg": current.mg_per_kg if current else Decimal("0.5"),
        "target_mg_per_kg": str(int(current.target_mg_per_kg if current else course.target_mg_per_kg)),
    }
    form = DosePlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and not can_prescribe:
        raise PermissionDenied

    def record(data: dict[str, Any]) -> DosePlan:
        try:
            return services.dose_plan_record(
                actor=actor, course=course, starts_on=data["starts_on"], weight_kg=data["weight_kg"],
                mg_per_kg=data["mg_per_kg"], target_mg_per_kg=Decimal(data["target_mg_per_kg"]),
                out_of_range_reason=data["out_of_range_reason"], today=today,
                supersedes=current if data["corrects_current"] else None,
                correction_reason=data["correction_reason"] if data["corrects_current"] else "",
                confirm_unusual=data.get("confirm_unusual", False),
            )
        except DomainError as exc:
            # The reason field is hidden unless correcting, so its refusal belongs to the whole form then.
            if exc.field == "correction_reason" and not data["corrects_current"]:
                exc.field = None
            raise

    done = run_form(request, form, record, success_message=_("Dose plan recorded."),
                    redirect_to=reverse("courses:dose_plan", kwargs={"course_id": course.pk}))
    if done:
        return done
    history = [_plan_view(p) for p in DosePlan.objects.filter(course=course).order_by("-starts_on", "-id")]
    product = dosing.PRODUCTS.get(course.product)
    return render(request, "courses/dose_plan.html", {
        "course": course, "patient": course.patient, "form": form, "can_prescribe": can_prescribe,
        "current": _plan_view(current) if current else None, "history": history, "product": product,
        "strengths": [dosing.format_mg(s) for s in product.strengths_mg] if product else [],
        "target_choices": dosing.TARGET_CHOICES, "range_sources": dosing.check_daily_mg_per_kg(Decimal(1)).sources,
        "latest_weight": latest_weight, "course_statuses": CourseStatus,
    }, status=form_status(request))

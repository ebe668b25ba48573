"""The prescriber's pages, mounted at /patients/ (see clearcourse/urls.py)."""

from __future__ import annotations

from django.urls import path

from clearcourse.courses import views

app_name = "courses"
urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_create, name="patient_create"),
    path("<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("<int:patient_id>/weights/new/", views.weight_create, name="weight_create"),
    path("<int:patient_id>/courses/new/", views.course_create, name="course_create"),
    path("courses/<int:course_id>/", views.course_detail, name="course_detail"),
    path("courses/<int:course_id>/status/", views.course_status, name="course_status"),
    path("courses/<int:course_id>/missed-doses/new/", views.missed_dose_create, name="missed_dose_create"),
    path("courses/<int:course_id>/assessments/new/", views.assessment_create, name="assessment_create"),
    path("courses/<int:course_id>/assessments/<int:assessment_id>/", views.assessment_detail,
         name="assessment_detail"),
    path("courses/<int:course_id>/dose-plan/", views.dose_plan, name="dose_plan"),
]

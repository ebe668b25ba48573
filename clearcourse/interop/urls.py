from __future__ import annotations

from django.urls import path

from clearcourse.interop import views

app_name = "interop"
urlpatterns = [
    path("labs/import/", views.lab_import, name="lab_import"),
    path("courses/<int:course_id>/fhir/", views.course_fhir, name="course_fhir"),
]

"""The REMS doors, at the paths pharmacy systems and EHRs expect (mounted at the site root)."""

from __future__ import annotations

from django.urls import path

from clearcourse.rems import views

app_name = "rems"
urlpatterns = [
    path("ncpdp/script", views.ncpdp_script, name="ncpdp_script"),
    path("fhir/r4/GuidanceResponse/$rems-etasu", views.fhir_rems_etasu, name="fhir_rems_etasu"),
    path("fhir/r4/metadata", views.fhir_metadata, name="fhir_metadata"),
    path("cds-services", views.cds_discovery, name="cds_discovery"),
    path("cds-services/<str:service_id>", views.cds_service, name="cds_service"),
]

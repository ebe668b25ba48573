"""The REMS doors, at the paths pharmacy systems and EHRs expect (mounted at the site root)."""

from __future__ import annotations

from django.urls import path

from clearcourse.rems import views

app_name = "rems"
urlpatterns = [
    path("ncpdp/script", views.ncpdp_script, name="ncpdp_script"),
]

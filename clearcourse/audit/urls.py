from __future__ import annotations

from django.urls import path

from clearcourse.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.search, name="search"),
    path("my-access/", views.my_access, name="my_access"),
]

from __future__ import annotations

from django.urls import path

from clearcourse.core.api import api

urlpatterns = [path("", api.urls)]

from __future__ import annotations

from django.urls import path

from clearcourse.pharmacy import views

app_name = "pharmacy"
urlpatterns = [
    path("", views.home, name="home"),
    path("authorize/", views.authorize, name="authorize"),
    path("reversal-window/", views.reversal_window, name="reversal_window"),
    path("authorizations/<int:authorization_id>/", views.authorization_detail, name="authorization"),
    path("authorizations/<int:authorization_id>/dispense/", views.dispense, name="dispense"),
    path("authorizations/<int:authorization_id>/reverse/", views.reverse, name="reverse"),
]

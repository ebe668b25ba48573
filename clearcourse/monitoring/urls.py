from __future__ import annotations

from django.urls import path

from clearcourse.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("config/", views.config_edit, name="config"),
    path("courses/<int:course_id>/", views.course_monitoring, name="course"),
    path("courses/<int:course_id>/labs/new/", views.lab_record, name="lab_record"),
    path("courses/<int:course_id>/mood/new/", views.mood_record, name="mood_record"),
    path("courses/<int:course_id>/sexual-function/new/", views.sexual_function_record,
         name="sexual_function_record"),
    path("courses/<int:course_id>/side-effects/new/", views.side_effect_record, name="side_effect_record"),
    path("courses/<int:course_id>/calendar/", views.calendar_token_create, name="calendar_token_create"),
    path("courses/<int:course_id>/calendar/<int:token_id>/revoke/", views.calendar_token_revoke,
         name="calendar_token_revoke"),
    path("alerts/<int:alert_id>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]

"""The patient portal, mounted at /portal/ (see clearcourse/urls.py).

Pages without an id show the patient's current course; the rest name one of the patient's own
courses (any other id is a 404). ``invite`` is the clinic's button; ``accept`` is the emailed link.
"""

from __future__ import annotations

from django.urls import path

from clearcourse.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("education/", views.education, name="education"),
    path("access/", views.access_report, name="access_report"),
    path("courses/<int:course_id>/", views.course_home, name="course_home"),
    path("courses/<int:course_id>/education/", views.course_education, name="course_education"),
    path("courses/<int:course_id>/consent/", views.consent, name="consent"),
    path("courses/<int:course_id>/questions/", views.comprehension, name="comprehension"),
    path("courses/<int:course_id>/contraception/", views.contraception, name="contraception"),
    path("courses/<int:course_id>/mood/", views.mood, name="mood"),
    path("courses/<int:course_id>/side-effects/", views.side_effects_report, name="side_effects"),
    path("courses/<int:course_id>/missed-doses/", views.missed_doses, name="missed_doses"),
    path("courses/<int:course_id>/summary.pdf", views.summary_pdf, name="summary_pdf"),
    path("consents/<int:signature_id>.pdf", views.consent_pdf, name="consent_pdf"),
    path("invite/<int:patient_id>/", views.invite, name="invite"),
    path("welcome/<str:token>/", views.accept, name="accept"),
]

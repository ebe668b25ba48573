"""Program records, course status and prescribing, mounted at /programs/ (see clearcourse/urls.py)."""

from __future__ import annotations

from django.urls import path

from clearcourse.ppp import views

app_name = "ppp"
urlpatterns = [
    path("courses/<int:course_id>/", views.course_status, name="course_status"),
    path("courses/<int:course_id>/enrolment/", views.enrollment_create, name="enrollment_create"),
    path("courses/<int:course_id>/risk-category/", views.risk_category_assign, name="risk_category_assign"),
    path("courses/<int:course_id>/counselling/", views.counseling_create, name="counseling_create"),
    path("courses/<int:course_id>/contraception/", views.contraception_create, name="contraception_create"),
    path("courses/<int:course_id>/pregnancy-tests/new/", views.pregnancy_test_create,
         name="pregnancy_test_create"),
    path("courses/<int:course_id>/comprehension/", views.comprehension_create, name="comprehension_create"),
    path("courses/<int:course_id>/treatment-end/", views.treatment_end_create, name="treatment_end_create"),
    path("courses/<int:course_id>/risk-form/", views.risk_form_confirmation_create,
         name="risk_form_confirmation_create"),
    path("courses/<int:course_id>/second-prescriber/", views.second_prescriber_agreement_create,
         name="second_prescriber_agreement_create"),
    path("courses/<int:course_id>/prescriptions/new/", views.prescribe, name="prescribe"),
    path("prescriptions/<int:prescription_id>/void/", views.prescription_void, name="prescription_void"),
    path("pregnancy-tests/<int:test_id>/verify/", views.home_test_verify, name="home_test_verify"),
    path("pregnancy-tests/<int:test_id>/photo/", views.home_test_photo, name="home_test_photo"),
]

urlpatterns += [
    path("certification/", views.my_certification, name="my_certification"),
    path("certifications/", views.certifications, name="certifications"),
    path("certifications/new/", views.certification_create, name="certification_create"),
    path("certifications/training/", views.training_create, name="training_create"),
    path("certifications/<int:record_id>/correct/", views.certification_correct, name="certification_correct"),
]

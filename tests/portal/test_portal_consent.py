"""Consent and acknowledgement of risk: typed name, today's date, every risk ticked; stored append-only with
the exact text signed and its hash; refused with a field error (and nothing stored) otherwise."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.core.models import AppendOnlyError
from clearcourse.portal import services
from clearcourse.portal.consent import CONSENT_VERSION, consent_document, consent_document_by_version
from clearcourse.portal.models import ConsentSignature

pytestmark = pytest.mark.django_db


def _post_data(document: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"text_version": document.version_id, "text_sha256": document.sha256,
                            "typed_name": "Jordan Miller", "signed_on": "2026-11-26"}
    data.update({f"risk_{code}": "on" for code in document.risk_codes})
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.fixture
def can_course(course: Any, set_category: Callable[..., Any]) -> Any:
    set_category(course, True)
    return course


@pytest.fixture
def document() -> Any:
    return consent_document(program="us-ipledge", can_get_pregnant=True, language="en")


def test_a_patient_signs_and_the_exact_text_and_its_hash_are_stored(patient_client: Any, can_course: Any,
                                                                     document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[can_course.pk]), _post_data(document),
                                   REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    signature = ConsentSignature.objects.get(course=can_course)
    assert signature.text == document.text
    assert signature.text_sha256 == hashlib.sha256(document.text.encode()).hexdigest()
    assert signature.text_version == f"{CONSENT_VERSION}/us-ipledge/can/en"
    assert signature.language == "en"
    assert signature.typed_name == "Jordan Miller"
    assert set(signature.risks) == set(document.risk_codes)
    assert signature.ip == "203.0.113.7"
    assert signature.signed_at is not None


def test_a_name_that_does_not_match_is_a_field_error_and_nothing_is_stored(patient_client: Any, can_course: Any,
                                                                           document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[can_course.pk]),
                                   _post_data(document, typed_name="Jordan Mueller"))
    assert response.status_code == 400
    assert response.context["form"].errors["typed_name"] == [
        services.NAME_MISMATCH % {"name": "Jordan Miller"}]
    assert not ConsentSignature.objects.exists()


def test_the_name_match_ignores_case_and_extra_spaces(patient_client: Any, can_course: Any, document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[can_course.pk]),
                                   _post_data(document, typed_name="  jordan   MILLER "))
    assert response.status_code == 302
    assert ConsentSignature.objects.get().typed_name == "jordan MILLER"


@pytest.mark.parametrize("code", ["personal_use", "pregnancy", "mood", "serious_effects", "common_effects",
                                  "supervision"])
def test_an_unticked_risk_is_a_field_error_and_nothing_is_stored(code: str, patient_client: Any, can_course: Any,
                                                                 document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[can_course.pk]),
                                   _post_data(document, **{f"risk_{code}": None}))
    assert response.status_code == 400
    assert response.context["form"].errors[f"risk_{code}"] == [services.RISK_NOT_ACKNOWLEDGED]
    assert not ConsentSignature.objects.exists()


def test_the_service_refuses_an_unticked_risk_too(patient_user: Any, can_course: Any, document: Any,
                                                  today: Any) -> None:
    from django.utils import timezone

    with pytest.raises(services.DomainError) as exc:
        services.consent_sign(actor=patient_user, course=can_course, text_version=document.version_id,
                              text_sha256=document.sha256, typed_name="Jordan Miller", signed_on=today,
                              risks=document.risk_codes[:-1], language="en", today=today, now=timezone.now())
    assert exc.value.field == f"risk_{document.risk_codes[-1]}"
    assert not ConsentSignature.objects.exists()


def test_a_date_other_than_today_is_refused(patient_client: Any, can_course: Any, document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[can_course.pk]),
                                   _post_data(document, signed_on="2026-11-20"))
    assert response.status_code == 400
    assert "signed_on" in response.context["form"].errors
    assert not ConsentSignature.objects.exists()


def test_a_changed_text_hash_is_refused(patient_client: Any, can_course: Any, document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[can_course.pk]),
                                   _post_data(document, text_sha256="0" * 64))
    assert response.status_code == 400
    assert services.TEXT_CHANGED in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_the_consent_cannot_be_signed_before_the_risk_category_is_recorded(patient_client: Any, course: Any,
                                                                           document: Any) -> None:
    page = patient_client.get(reverse("portal:consent", args=[course.pk]))
    assert page.status_code == 200 and 'id="consent-waiting"' in page.content.decode()
    patient_client.post(reverse("portal:consent", args=[course.pk]), _post_data(document))
    assert not ConsentSignature.objects.exists()


def test_only_the_patient_signs_their_own_consent(prescriber: Any, can_course: Any, document: Any,
                                                  today: Any) -> None:
    from django.utils import timezone

    with pytest.raises(services.PermissionDeniedError):
        services.consent_sign(actor=prescriber, course=can_course, text_version=document.version_id,
                              text_sha256=document.sha256, typed_name="Jordan Miller", signed_on=today,
                              risks=document.risk_codes, language="en", today=today, now=timezone.now())


def test_a_signature_is_append_only(patient_client: Any, can_course: Any, document: Any) -> None:
    patient_client.post(reverse("portal:consent", args=[can_course.pk]), _post_data(document))
    signature = ConsentSignature.objects.get()
    signature.typed_name = "Someone Else"
    with pytest.raises(AppendOnlyError):
        signature.save()
    with pytest.raises(AppendOnlyError):
        signature.delete()
    with pytest.raises(AppendOnlyError):
        ConsentSignature.objects.update(typed_name="x")


def test_the_german_text_is_signed_in_german(client: Any, login: Callable[[Any], Any], patient_user: Any,
                                             can_course: Any) -> None:
    german = consent_document(program="us-ipledge", can_get_pregnant=True, language="de")
    c = login(patient_user)
    c.get(reverse("portal:home"))  # the first page applies the preferred language (English) once
    c.cookies["django_language"] = "de"  # then the language switcher decides
    response = c.post(reverse("portal:consent", args=[can_course.pk]), _post_data(german),
                      HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    assert signature.language == "de" and signature.text_version.endswith("/de")
    assert "Fehlbildungen" in signature.text


def test_the_texts_differ_by_program_and_category_and_are_versioned() -> None:
    us_can = consent_document(program="us-ipledge", can_get_pregnant=True, language="en")
    us_cannot = consent_document(program="us-ipledge", can_get_pregnant=False, language="en")
    eu_can = consent_document(program="eu-ppp", can_get_pregnant=True, language="en")
    uk_cannot = consent_document(program="uk-mhra-2026", can_get_pregnant=False, language="de")
    assert "pregnancy" in us_can.risk_codes and "pregnancy" not in us_cannot.risk_codes
    assert "two forms of contraception together" in us_can.text
    assert "at least one highly effective method" in eu_can.text and "5 weeks after I stop" in eu_can.text
    assert "sexual_function" in uk_cannot.risk_codes and "sexual_function" not in eu_can.risk_codes
    assert "30 days" in us_cannot.text  # iPLEDGE limits everyone's supply
    assert "30 days" not in consent_document(program="eu-ppp", can_get_pregnant=False, language="en").text
    assert len({d.sha256 for d in (us_can, us_cannot, eu_can, uk_cannot)}) == 4
    for doc in (us_can, us_cannot, eu_can, uk_cannot):
        assert consent_document_by_version(doc.version_id).sha256 == doc.sha256
        assert all(risk.sources for risk in doc.risks)


def test_a_new_signature_is_asked_for_when_the_category_changes(patient_client: Any, can_course: Any,
                                                                document: Any,
                                                                set_category: Callable[..., Any]) -> None:
    import datetime as dt

    patient_client.post(reverse("portal:consent", args=[can_course.pk]), _post_data(document))
    assert 'id="duty-consent"' in patient_client.get(reverse("portal:home")).content.decode()
    set_category(can_course, False, on=dt.date(2026, 11, 20))
    page = patient_client.get(reverse("portal:consent", args=[can_course.pk])).content.decode()
    assert "The consent text has changed since you signed" in page


# --- a patient under 18 signs with a parent or guardian (issue 13) --------------------------------------------

GUARDIAN = {"guardian_name": "Pat Miller", "guardian_relationship": "parent", "guardian_confirmed": "on",
            "guardian_signed_on": "2026-11-26"}


@pytest.fixture
def minor_course(can_course: Any) -> Any:
    """The patient turns 18 on 27 Nov 2026: 17 years old on the frozen day (26 Nov 2026)."""
    import datetime as dt

    patient = can_course.patient
    patient.birth_date = dt.date(2008, 11, 27)
    patient.save(update_fields=["birth_date"])
    return can_course


def test_a_17_year_old_cannot_sign_alone(patient_client: Any, minor_course: Any, document: Any) -> None:
    url = reverse("portal:consent", args=[minor_course.pk])
    page = patient_client.get(url).content.decode()
    assert 'id="guardian"' in page and "You are under 18" in page
    response = patient_client.post(url, _post_data(document))
    assert response.status_code == 400
    assert response.context["form"].errors["guardian_name"] == [
        "A patient under 18 signs with a parent or guardian: type their full name."]
    assert not ConsentSignature.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"guardian_name": "Jordan Miller"}, "guardian_name"),
    ({"guardian_relationship": ""}, "guardian_relationship"),
    ({"guardian_confirmed": None}, "guardian_confirmed"),
    ({"guardian_signed_on": "2026-11-25"}, "guardian_signed_on"),
])
def test_every_part_of_the_guardians_signature_is_needed(patient_client: Any, minor_course: Any, document: Any,
                                                         changes: dict[str, Any], field: str) -> None:
    data = {**_post_data(document), **GUARDIAN}
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    response = patient_client.post(reverse("portal:consent", args=[minor_course.pk]), data)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert not ConsentSignature.objects.exists()


def test_a_17_year_old_signs_with_a_parent_and_the_record_keeps_them(patient_client: Any, minor_course: Any,
                                                                     document: Any) -> None:
    response = patient_client.post(reverse("portal:consent", args=[minor_course.pk]),
                                   {**_post_data(document), **GUARDIAN})
    assert response.status_code == 302
    signature = ConsentSignature.objects.get()
    assert (signature.guardian_name, signature.guardian_relationship, signature.guardian_confirmed) == (
        "Pat Miller", "parent", True)
    assert signature.guardian_signed_on.isoformat() == "2026-11-26"
    page = patient_client.get(reverse("portal:consent", args=[minor_course.pk])).content.decode()
    assert "With Pat Miller (Parent)." in page


def test_an_adult_signs_alone_and_sees_no_guardian_fields(patient_client: Any, can_course: Any) -> None:
    page = patient_client.get(reverse("portal:consent", args=[can_course.pk])).content.decode()
    assert 'id="guardian"' not in page


def test_the_age_for_signing_alone_is_a_rule_of_every_program_version() -> None:
    import datetime as dt

    from clearcourse.rules import programs
    from clearcourse.rules.programs.registry import ALL_VERSIONS
    from clearcourse.rules.sources import DEFAULT_GUARDIAN_CONSENT

    for version in ALL_VERSIONS:
        assert version.guardian_consent_under_age.value == 18
        assert version.guardian_consent_under_age.source is DEFAULT_GUARDIAN_CONSENT
    on = dt.date(2026, 11, 26)
    assert programs.needs_guardian("eu-ppp", dt.date(2008, 11, 27), on)
    assert not programs.needs_guardian("eu-ppp", dt.date(2008, 11, 26), on)


def test_the_german_page_asks_for_the_guardian_in_german(client: Any, login: Callable[[Any], Any],
                                                         patient_user: Any, minor_course: Any) -> None:
    from django.utils import translation

    client = login(patient_user)
    client.get(reverse("portal:home"))  # the first page applies the preferred language (English) once
    client.cookies["django_language"] = "de"
    try:
        page = client.get(reverse("portal:consent", args=[minor_course.pk]),
                          HTTP_ACCEPT_LANGUAGE="de").content.decode()
    finally:
        translation.activate("en")  # the page left German active in this thread; later tests read English
    assert "Elternteil oder erziehungsberechtigte Person" in page and "Sie sind unter 18 Jahre alt" in page


def test_the_uk_consent_carries_the_2026_acknowledgement_of_risk_items_in_both_languages() -> None:
    from clearcourse.rules.sources import MHRA_2026

    for language, indication, second in (("en", "no other appropriate effective treatment", "second opinion"),
                                         ("de", "keine andere geeignete wirksame Behandlung", "zweite Meinung")):
        for can in (True, False):
            uk = consent_document(program="uk-mhra", can_get_pregnant=can, language=language)
            assert {"uk_indication", "uk_second_opinion"} <= set(uk.risk_codes)
            assert indication in uk.text and second in uk.text
            assert all(r.sources == (MHRA_2026,) for r in uk.risks if r.code.startswith("uk_"))
    for program in ("us-ipledge", "eu-ppp"):
        other = consent_document(program=program, can_get_pregnant=True, language="en")
        assert not {"uk_indication", "uk_second_opinion"} & set(other.risk_codes)


def test_the_eu_consent_states_the_2018_contraception_rule() -> None:
    eu = consent_document(program="eu-ppp", can_get_pregnant=True, language="en").text
    assert "does not depend on me" in eu and "two complementary methods that do depend on me" in eu
    assert "preferably two" not in eu

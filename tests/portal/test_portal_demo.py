"""The demo clinic's portal data: patients with signed consents and one open invitation."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_demo_has_signed_consents_and_an_open_invitation(client: Any) -> None:
    from django.utils import timezone

    from clearcourse.portal import services
    from clearcourse.portal.consent import consent_document_by_version
    from clearcourse.portal.models import ConsentSignature, Invitation

    out = io.StringIO()
    call_command("demo", stdout=out)
    signatures = list(ConsentSignature.objects.select_related("course__patient"))
    assert {s.course.patient.given_name for s in signatures} == {"Liam", "Chloe"}
    for signature in signatures:
        assert signature.text_sha256 == consent_document_by_version(signature.text_version).sha256
        assert signature.recorded_by == signature.course.patient.user
    invitation = Invitation.objects.get()
    assert invitation.is_open and invitation.patient.user is None
    assert invitation.expires_at > timezone.now()
    link = out.getvalue().split(f"open invitation for {invitation.patient.full_name}: ", 1)[1].split()[0]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert services.invitation_from_token(token, now=timezone.now()).pk == invitation.pk

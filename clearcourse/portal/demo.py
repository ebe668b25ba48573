"""Demo portal data: patients who signed their consent, and one with an open invitation.

Runs after the courses and ppp builders (``ctx["courses"]`` with each patient's account, and the risk
categories that decide the consent text). Signatures go through :func:`services.consent_sign` with the
patient as the actor, so they are exactly what a patient signing in the portal stores. Adds
``ctx["portal"] = {"signed": [ConsentSignature], "invitation": Invitation | None, "invitation_link": str}``.
"""

from __future__ import annotations

from typing import Any

from clearcourse.core import clock
from clearcourse.portal import services
from clearcourse.portal.models import ConsentSignature, Invitation

#: Demo patients (given names) who have signed their consent; the other patients with an account
#: (Alex, Maya) have not, so a tester can sign in the portal.
SIGNED = ("Liam", "Chloe")
#: A demo patient without an account who has an open invitation.
INVITED = "Elena"
BASE_URL = "http://127.0.0.1:8000/"


def build(ctx: dict[str, Any]) -> None:
    today = ctx.get("today") or clock.today()
    now = clock.now()
    signed: list[ConsentSignature] = []
    invitation: Invitation | None = None
    link = ""
    for entry in ctx.get("courses", []):
        patient, course = entry["patient"], entry["course"]
        if patient.given_name in SIGNED and patient.user_id is not None:
            try:
                document = services.consent_document_for(course, language=patient.preferred_language)
            except services.DomainError:
                continue  # no risk category recorded: nothing can be signed
            minor = services.consent_needs_guardian(course, today)
            signed.append(services.consent_sign(
                actor=patient.user, course=course, text_version=document.version_id, text_sha256=document.sha256,
                typed_name=patient.full_name, signed_on=today, risks=document.risk_codes,
                language=document.language, today=today, now=now, ip="127.0.0.1",
                # A demo patient under 18 signs with a parent (the program's rule).
                guardian_name=f"Alex {patient.family_name}" if minor else "",
                guardian_relationship="parent" if minor else "", guardian_confirmed=minor,
                guardian_signed_on=today if minor else None,
            ))
        elif patient.given_name == INVITED and patient.user_id is None and patient.email:
            invitation, link = services.invitation_create(actor=entry["prescriber"], patient=patient, now=now,
                                                          base_url=BASE_URL, send_email=False)
    ctx["portal"] = {"signed": signed, "invitation": invitation, "invitation_link": link}
    out = ctx.get("stdout")
    if out is not None:
        out.write(f"  portal: {len(signed)} signed consents"
                  + (f"; open invitation for {invitation.patient.full_name}: {link}" if invitation else ""))

"""Practitioners and pharmacies a clinical resource refers to, the Patient (with the course) and the Condition."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, User
from clearcourse.courses.models import Course, Product, Sex
from clearcourse.courses.services import check_event_date, course_create, patient_create
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.base import ImportBase
from clearcourse.interop.fhir_course_import.messages import (
    NO_NAME,
    NO_RECORD_NUMBER,
    NO_REGISTRATION,
    NOT_IMPORTED,
    NOTE_CLINIC_NAME,
    NOTE_LANGUAGE,
    NOTE_NO_PRODUCT,
    NOTE_NOT_STORED,
)
from clearcourse.interop.fhir_course_import.reading import (
    _code,
    _codes_of,
    _date,
    _Entry,
    _first,
    _product,
    _registration,
    _text,
)
from clearcourse.interop.fhir_course_import.report import _Bad


class PeopleImport(ImportBase):
    # -- people and places --

    def referenced(self, resource_type: str) -> list[_Entry]:
        """The entries of ``resource_type`` that a clinical resource (not an AuditEvent) refers to."""
        found: dict[int, _Entry] = {}

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                ref = value.get("reference")
                target = self.by_ref.get(ref) if isinstance(ref, str) else None
                if target is not None and target.type == resource_type:
                    found[target.index] = target
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        for entry in self.entries:
            if entry.type not in ("AuditEvent", resource_type):
                walk(entry.resource)
        return [found[i] for i in sorted(found)]

    def resolve_people(self) -> None:
        for entry in self.referenced("Practitioner"):
            if entry.index not in self.failed:
                self.run(entry, self.write_practitioner)
        # A pharmacy is the Organization a dispense names as its performer.
        pharmacies: dict[int, _Entry] = {}
        for dispense in self.entries:
            performer = _first(dispense.resource.get("performer")) if dispense.type == "MedicationDispense" else None
            actor = performer.get("actor") if isinstance(performer, dict) else None
            ref = actor.get("reference") if isinstance(actor, dict) else None
            found = self.by_ref.get(ref) if isinstance(ref, str) else None
            if found is not None and found.type == "Organization" and found.index not in self.failed:
                pharmacies[found.index] = found
        for index in sorted(pharmacies):
            self.run(pharmacies[index], self.write_pharmacy)

    def write_practitioner(self, entry: _Entry) -> None:
        res = entry.resource
        clinic = self.actor.clinic
        registration = _text(_registration(res), "identifier", 40)
        name = _first(res.get("name")) or {}
        family = _text(name.get("family"), "name", 150)
        given = _text(" ".join(g for g in name.get("given") or [] if isinstance(g, str)), "name", 150)
        user = None
        if registration:
            user = User.objects.filter(role="prescriber", clinic=clinic, registration_number=registration) \
                .order_by("pk").first()
        if user is None:
            base = f"imported-{slugify(registration or f'{family}-{given}')[:100] or 'practitioner'}"
            username, n = base, 1
            while User.objects.filter(username=username).exists():
                n += 1
                username = f"{base}-{n}"
            # Inactive, with an unusable password: the records keep their author, but nobody signs in
            # as an imported practitioner until an administrator activates the account.
            user = User.objects.create_user(username=username, password=None, role="prescriber", clinic=clinic,
                                            registration_number=registration, first_name=given, last_name=family,
                                            is_active=False)
            self.report.created["practitioners"].append(username)
        self.users[entry.index] = user
        entry.kind = "practitioner"

    def write_pharmacy(self, entry: _Entry) -> None:
        res = entry.resource
        registration = _text(_registration(res), "identifier", 40)
        if not registration:
            raise _Bad("identifier", _(NO_REGISTRATION))
        pharmacy = Pharmacy.objects.filter(registration_number=registration).first()
        if pharmacy is None:
            address = _first(res.get("address")) or {}
            pharmacy = Pharmacy.objects.create(
                name=_text(res.get("name"), "name", 200) or registration, program=self.program,
                registration_number=registration, city=_text(address.get("city"), "address", 120))
            self.report.created["pharmacies"].append(registration)
        self.pharmacies[entry.index] = pharmacy
        entry.kind = "pharmacy"

    # -- patient and course --

    def write_patient(self, entry: _Entry) -> None:
        res = entry.resource
        identifiers = [i for i in res.get("identifier") or [] if isinstance(i, dict)
                       and isinstance(i.get("value"), str) and i["value"].strip()]
        chosen = next((i for i in identifiers if i.get("system") == codes.ID_RECORD_NUMBER), _first(identifiers))
        if chosen is None:
            raise _Bad("identifier", _(NO_RECORD_NUMBER))
        record_number = _text(chosen["value"], "identifier", 40)
        names = [n for n in res.get("name") or [] if isinstance(n, dict)]
        name = next((n for n in names if n.get("use") == "official"), _first(names)) or {}
        family = _text(name.get("family"), "name", 100)
        given = _text(" ".join(g for g in name.get("given") or [] if isinstance(g, str)), "name", 100)
        if not family or not given:
            raise _Bad("name", _(NO_NAME))
        birth_date = _date(res.get("birthDate"), "birthDate")
        sex = str(res["gender"]) if res.get("gender") in Sex.values else Sex.UNKNOWN.value
        telecom = [t for t in res.get("telecom") or [] if isinstance(t, dict)]
        email = _text(next((t.get("value") for t in telecom if t.get("system") == "email"), ""), "telecom", 254)
        phone = _text(next((t.get("value") for t in telecom if t.get("system") == "phone"), ""), "telecom", 40)
        language = "en"
        for comm in res.get("communication") or []:
            spoken = _code(comm.get("language") if isinstance(comm, dict) else None, "urn:ietf:bcp:47")
            if spoken:
                if spoken.split("-")[0].lower() in ("en", "de"):
                    language = spoken.split("-")[0].lower()
                else:
                    self.note(_(NOTE_LANGUAGE).format(language=spoken))
                break
        general = _first(res.get("generalPractitioner"))
        prescriber = self.actor if general is None else self.user(general, "generalPractitioner")
        organization = res.get("managingOrganization")
        if organization is not None:
            clinic_entry = self.target(organization, "managingOrganization", "Organization")
            name_in_bundle = clinic_entry.resource.get("name")
            if self.actor.clinic is not None and name_in_bundle != self.actor.clinic.name:
                self.note(_(NOTE_CLINIC_NAME).format(name=name_in_bundle, clinic=self.actor.clinic.name))
        self.patient = patient_create(actor=self.actor, prescriber=prescriber, record_number=record_number,
                                      given_name=given, family_name=family, birth_date=birth_date, sex=sex,
                                      today=self.today, email=email, phone=phone, preferred_language=language,
                                      confirm_unusual=self.confirm_unusual)
        product = self.course_product()
        self.course = course_create(actor=self.actor, patient=self.patient, product=product, program=self.program)
        self.report.patient_id, self.report.course_id = self.patient.pk, self.course.pk
        if not any(e.kind == "care_plan" for e in self.entries):
            self.note(_(NOTE_NOT_STORED))

    def course_product(self) -> str:
        """The product of the first prescription that names one (every prescription is then checked)."""
        for entry in self.entries:
            if entry.type == "MedicationRequest":
                product = _product(entry.resource.get("medicationCodeableConcept"))
                if product:
                    return product
        self.note(_(NOTE_NO_PRODUCT).format(product=Product.CONVENTIONAL.value))
        return Product.CONVENTIONAL

    def write_condition(self, entry: _Entry) -> None:
        res = entry.resource
        self.subject(res)
        acne = {(codes.SCT_ACNE_VULGARIS.system, codes.SCT_ACNE_VULGARIS.code),
                (codes.ICD10_ACNE_VULGARIS.system, codes.ICD10_ACNE_VULGARIS.code),
                (codes.ICD10CM_ACNE_VULGARIS.system, codes.ICD10CM_ACNE_VULGARIS.code)}
        if not _codes_of(res.get("code")) & acne:
            raise _Bad("code", _(NOT_IMPORTED).format(type="Condition"))
        recorded = _date(res.get("recordedDate"), "recordedDate")
        check_event_date(recorded, patient=self.c.patient, today=self.today, field="recordedDate")
        # ClearCourse keeps no diagnosis record: the exporter dates the diagnosis by the first assessment,
        # else by the course's creation. An imported course has no assessment, so its creation carries the
        # diagnosis date (noon UTC: the same calendar day in every time zone the exporter may read it in).
        at = dt.datetime.combine(recorded, dt.time(12), tzinfo=dt.UTC)
        if self.c.created_at > at or entry is self.first_condition():
            Course.objects.filter(pk=self.c.pk).update(created_at=at)
            self.c.created_at = at

    def first_condition(self) -> _Entry | None:
        return next((e for e in self.entries if e.kind == "condition"), None)

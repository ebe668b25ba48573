"""FHIR R4 (4.0.1) export: a course's records as a ``collection`` Bundle. Pure: no Django, no clock.

One module per group of resources (``people``, ``programme``, ``medication``, ``observations``, ``care_plan``,
``audit_event``); ``inputs`` holds what an export reads, ``writer`` the shared parts, ``bundle`` the order.

Two doors build the same :class:`ExportInput`:

- :func:`input_from_case` turns a scenario ``decide`` case (parsed by
  ``clearcourse.rules.programs.parse``) into it, for ``python -m clearcourse fhir``;
- ``clearcourse.interop.selectors.course_export_input`` loads it from the database for a course.

:func:`build_bundle` then writes the resources (mapping: ``../shared/research/peers-and-interop.md`` C1;
every code from :mod:`clearcourse.interop.codes`):

=====================  ======================================================================
record                 resource
=====================  ======================================================================
patient                Patient (+ Observation for the program's risk category)
prescriber / clinic    Practitioner / Organization; a pharmacy is an Organization too
diagnosis              Condition (SNOMED CT 88616000, ICD-10 L70.0)
enrolment              Consent (scope treatment; the program as policy rule)
counselling            Procedure
contraception          Observation with one component per method
pregnancy test         Observation (LOINC hCG, SNOMED negative/positive, collection date; a home
                       test has the home method and the patient as performer; an unverified home
                       test is ``preliminary``; a confirmed one carries its confirmation day as an
                       extension)
comprehension          QuestionnaireResponse
prescription           MedicationRequest (RxNorm 6064 + the capsule's SCD code when one strength is
                       used + the product's ClearCourse code; ``expectedSupplyDuration`` the days of supply; ``validityPeriod`` the
                       program's window to dispense)
dispense               MedicationDispense (``authorizingPrescription``)
treatment end          MedicationStatement (completed, ``effectivePeriod.end`` the last dose)
lab result             Observation (LOINC, UCUM quantity, reference range high = the lab's ULN)
mood screen            QuestionnaireResponse + Observation with the total score (``derivedFrom``)
weight                 Observation (vital signs, LOINC 29463-7)
access to the record   AuditEvent
=====================  ======================================================================

``clearcourse.interop.fhir_course_import`` reads such a bundle back into a database (the round trip).

Every resource's ``fullUrl`` is ``urn:uuid:<uuid5>`` made from the bundle's seed and the record's key,
so the same records always export to the same bundle, and every reference points inside it.
"""

from __future__ import annotations

from clearcourse.interop.fhir_export.bundle import build_bundle
from clearcourse.interop.fhir_export.inputs import (
    AccessIn,
    AssessmentIn,
    ComprehensionIn,
    ConditionIn,
    ContraceptionIn,
    CounselingIn,
    CoursePlanIn,
    DispenseIn,
    DosePlanIn,
    EnrolmentIn,
    ExportInput,
    LabResultIn,
    MissedDoseIn,
    MoodScreenIn,
    OrganizationIn,
    PatientIn,
    PractitionerIn,
    PregnancyTestIn,
    PrescriptionIn,
    SideEffectIn,
    TreatmentEndIn,
    WeightIn,
    input_from_case,
)

__all__ = ["AccessIn", "AssessmentIn", "ComprehensionIn", "ConditionIn", "ContraceptionIn", "CounselingIn", "CoursePlanIn", "DispenseIn", "DosePlanIn", "EnrolmentIn", "ExportInput", "LabResultIn", "MissedDoseIn", "MoodScreenIn", "OrganizationIn", "PatientIn", "PractitionerIn", "PregnancyTestIn", "PrescriptionIn", "SideEffectIn", "TreatmentEndIn", "WeightIn", "build_bundle", "input_from_case"]

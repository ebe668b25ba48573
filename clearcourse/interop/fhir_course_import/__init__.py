"""Import a whole course from a ClearCourse FHIR R4 course Bundle (the inverse of ``fhir_export``).

One module per group of resources (``people``, ``programme``, ``medication``, ``observations``,
``care_plan``), each a part of the :class:`~.importer.Importer`; ``base`` holds the entries and the
bookkeeping, ``reading`` the pure helpers, ``messages`` the texts, ``importer`` the order and the
transaction.

Who and where: the importing user must be an active, registered **prescriber**; the patient and the
course land in *their* clinic (the bundle's clinic ``Organization`` is only compared by name, and a
difference is noted in the report). Every ``Practitioner`` a clinical resource refers to becomes a
prescriber of that clinic: the one with the same registration number (identifier) if the clinic has
one, else a new **inactive account with an unusable password** (username ``imported-<registration>``),
so that the records keep their author and nobody can sign in as them until an administrator activates
the account and sets a password. A practitioner without a registration number is never matched on a
name alone; it always gets a new account. A pharmacy ``Organization`` (a dispense's performer) is the
pharmacy with the same registration number, or a new one.

What (mirrors ``fhir_export``; the codes come from :mod:`clearcourse.interop.codes`):

======================================  =========================================================
resource                                written through
======================================  =========================================================
Patient (+ the course)                  ``courses.services.patient_create`` / ``course_create``
Condition (acne vulgaris)               the course's ``created_at`` is set to ``recordedDate`` (the
                                        exporter reads the diagnosis date from it)
Consent (enrolment)                     ``ppp.services.enrollment_record``
Observation risk category               ``ppp.services.risk_category_assign``
Procedure (counselling)                 import path: ``Counseling`` row naming the bundle's performer
                                        (the service would name the importing user)
Observation contraception               ``ppp.services.contraception_confirm``
Observation pregnancy test, lab/clinic  ``ppp.services.pregnancy_test_record``
Observation pregnancy test, home        import path: ``PregnancyTest`` row without a photo (the photo
                                        stays in the source system); a ``final`` one is then confirmed
                                        through ``ppp.services.home_test_verify`` on the day of the
                                        ``home-test-verified-on`` extension (else on the import day)
QuestionnaireResponse comprehension     import path: ``ComprehensionAttempt`` with the score, total
                                        and result (the answers themselves are not exported)
MedicationRequest                       import path: ``Prescription`` naming its requester, with the
                                        product, dose, days of supply, issue date and iPLEDGE number
MedicationDispense                      import path: ``Dispense`` without an authorization (the model
                                        allows exactly this for dispenses from elsewhere); the live
                                        authorization and dispensing rules are not touched
MedicationStatement (treatment end)     ``ppp.services.treatment_end_record``
Observation lab result                  ``monitoring.services.lab_result_record`` (source "import")
QuestionnaireResponse PHQ (+ total)     ``monitoring.services.mood_screen_record``; the total
                                        Observation must equal the score the core computes
Observation body weight                 ``courses.services.weight_record``
CarePlan (the course, its dose plans)   ``courses.services.dose_plan_record`` per activity; then import path:
                                        status, first/last dose and target set on the course (the
                                        status service cannot restate history)
Observation severity assessment         ``courses.services.assessment_record`` (IGA, GAGS regions)
Observation side-effect report          ``monitoring.services.side_effect_report``
MedicationStatement (missed doses)      ``courses.services.missed_dose_record``
AuditEvent                              not imported: the audit trail is this installation's own
                                        hash chain; it is counted as skipped
======================================  =========================================================

"Import path" means a direct insert done here, with the same checks as the service where they apply
to history (dates not in the future nor before birth, codes, ranges), because the service would
attribute the record to the importing user or needs input the bundle does not carry (a photo, the
comprehension answers). The live services and their "today"-relative program checks are unchanged.

All or nothing: everything runs in one transaction. Every bad entry is reported with its index in
``Bundle.entry`` (from 0), its resource type, the element at fault and the reason; if there is any,
the transaction is rolled back and nothing stays. A successful import writes one audit entry
(``interop.course_import``) with the counts and the ids of the rows written by the import paths,
besides the entries the services write for their own records.
"""

from __future__ import annotations

from clearcourse.interop.fhir_course_import.importer import course_import
from clearcourse.interop.fhir_course_import.reading import classify
from clearcourse.interop.fhir_course_import.report import CourseImportReport, Problem

__all__ = ["CourseImportReport", "Problem", "classify", "course_import"]

"""Translatable words for the core's codes (the core speaks English constants; pages translate by code)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clearcourse.rules import status as core_status
from clearcourse.rules.programs import engine

CONDITION_LABELS = {
    engine.ENROLMENT: _("Enrolled in the program"),
    engine.PRESCRIPTION: _("Prescription"),
    engine.NOT_DISPENSED: _("Prescription not yet dispensed"),
    engine.SUPPLY: _("Days of supply within the limit"),
    engine.NO_POSITIVE_TEST: _("No positive pregnancy test"),
    engine.PREGNANCY_TEST: _("Negative pregnancy test in its window"),
    engine.SCREENING_TEST: _("Screening pregnancy test"),
    engine.MISSED_WINDOW_WAIT: _("Wait after a missed first window"),
    engine.CONTRACEPTION: _("Contraception confirmed"),
    engine.CONTRACEPTION_LEAD_IN: _("Contraception in use for a month"),
    engine.COUNSELING: _("Counselling recorded"),
    engine.COMPREHENSION: _("Comprehension questions passed"),
    engine.PRESCRIPTION_WINDOW: _("Prescription within its dispensing window"),
    engine.SECOND_PRESCRIBER: _("Second prescriber agreed (under 18)"),
    engine.PRESCRIBER_CERTIFIED: _("Prescriber enrolled and active in the program"),
    engine.PHARMACY_CERTIFIED: _("Pharmacy enrolled and active in the program"),
    engine.PHARMACY_TRAINED: _("Pharmacy staff trained this year"),
}

ACTION_LABELS = {
    core_status.ENROL: _("Enrol the patient in the program."),
    core_status.WRITE_PRESCRIPTION: _("Write a new prescription."),
    core_status.REDUCE_SUPPLY: _("Dispense no more than the allowed and prescribed days."),
    core_status.STOP_AND_REFER: _("Do not dispense: stop treatment and refer the patient (positive pregnancy "
                                  "test)."),
    core_status.SCREENING_TEST: _("Take the screening pregnancy test."),
    core_status.PREGNANCY_TEST: _("Collect a pregnancy test."),
    core_status.VERIFY_HOME_TEST: _("Verify the patient's home pregnancy test."),
    core_status.CONFIRM_CONTRACEPTION: _("Confirm the contraception in use."),
    core_status.WAIT_FOR_LEAD_IN: _("Wait until contraception has been in use for the required month."),
    core_status.COUNSEL: _("Counsel the patient and record it."),
    core_status.COMPREHENSION: _("Have the patient answer the comprehension questions."),
    core_status.SECOND_PRESCRIBER: _("Record a second independent prescriber's agreement to start treatment."),
    core_status.DISPENSE: _("Ready: the prescription may be dispensed."),
}

PHASE_LABELS = {
    core_status.NOT_STARTED: _("Before the first fill"),
    core_status.IN_TREATMENT: _("On treatment"),
    core_status.ENDED: _("Treatment ended"),
}


def short_date(day: dt.date) -> str:
    """"11 Oct" (localised month)."""
    return formats.date_format(day, "MONTH_DAY_FORMAT")


def countdown_text(window: core_status.Countdown) -> str:
    """"window closes in 2 days, on 11 Oct" (the wording of issue 3)."""
    when = short_date(window.closes_on)
    if window.days_left <= 0:
        return str(_("Window closes today, %(date)s.")) % {"date": when}
    return ngettext("Window closes in %(days)d day, on %(date)s.", "Window closes in %(days)d days, on %(date)s.",
                    window.days_left) % {"days": window.days_left, "date": when}

"""Every source a user can see is a document of the register (``../shared/clinical-sources.md``) or a
labelled clinic default, never a copy, a summary site, an AI summary or an internal file.

The test walks the rules core's objects (program versions, contraindications, indications, lab
thresholds, mood, side effects, interactions, doses, severity scales, the monitoring schedule, the
course status, comprehension questions and consent texts) and the CLI's output for every scenario case,
and fails on any source that is not in the register or whose text is empty. The pages are walked in
``tests/core/test_sources_on_pages.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clearcourse.portal import consent
from clearcourse.rules import (
    dosing,
    eligibility,
    interactions,
    labs,
    monitoring,
    mood,
    severity,
    side_effects,
    status,
)
from clearcourse.rules import sources as register
from clearcourse.rules.programs import comprehension as questions
from clearcourse.rules.programs.registry import ALL_VERSIONS
from clearcourse.rules.sources import Source
from clearcourse.scenarios.cli import run_case

ROOT = Path(__file__).resolve().parents[2]
CASE_DIRS = (ROOT / "tests" / "scenarios" / "cases", ROOT / "tests" / "scenarios" / "public")

#: Pages the old code cited (copies, summary sites, AI summaries, blogs) and internal names; none may appear.
FORBIDDEN = (
    "droracle", "rxreasoner", "docslib", "issuhub", "research/", "peers-and-interop", "medlibrary", "druginserts",
    "mimsdev", "mims.com", "themedidex", "tajoncology", "kblimskinclinic", "honestlyaine", "jddonline",
    "msdmanuals", "dermatologyadvisor", "drugs.com", "neomed", "nimh.nih", "pubmed", "medscape", "uqu-sa",
    "coek.info", "medypharma", "skintherapyletter", "pmc.ncbi", "aphanet", "aboutacnecare", "personalhealthzone",
    "aad.org/dw", "docksci", "epocrates", "oddb", "sharecare", "clinicalcommander", "pfusion", "pssny",
    "thegatheringbaltimore", "hus.fi", "mayoclinic", "chnola", "hairlaserremoval", "arcieve", "studyres",
    "saludequitativa", "acneandrosacea", "sidemast", "medicinesforchildren", "tomwademd", "api.fda.gov",
    "mhra.gov.uk/Safetyinformation", "loinc.org", "fact sheet", "[W]", "[S]", "[P]",
)


def check(source: Any, where: str) -> None:
    """A shown source: registered, with text, and an address only when it is the document's official one."""
    assert isinstance(source, Source), f"{where}: {source!r} is not a Source"
    assert register.is_registered(source), f"{where}: {source.key!r} is not in the register"
    text = source.cite()
    assert text.strip(), f"{where}: empty source text"
    if source.is_document:
        assert source.document is not None and register.REGISTER[source.document.key] is source.document, where
        assert source.url == source.document.url, where
    else:
        assert source.url == "", f"{where}: a clinic default shows no web page"
    for word in FORBIDDEN:
        assert word not in text and word not in source.url, f"{where}: {word!r} in {text!r}"


def check_all(sources: Iterable[Any], where: str, *, required: bool = True) -> None:
    items = list(sources)
    if required:
        assert items, f"{where}: no source"
    for source in items:
        check(source, where)


def check_shown(value: Any, where: str) -> None:
    """A source as the CLI or a stored record shows it (a citation string or a dict): it must name a
    register source and say exactly what that source says."""
    source = register.resolve(value)
    assert source is not None and register.is_registered(source), f"{where}: {value!r} names no register source"
    text = value.get("title") if isinstance(value, dict) else value
    assert text == source.cite(), f"{where}: {text!r} is not the register's text"
    check(source, where)


# --- the register itself -------------------------------------------------------------------------------


def test_the_register_holds_the_sixteen_documents_of_clinical_sources_md() -> None:
    assert list(register.REGISTER) == [f"D{n}" for n in range(1, 17)]
    for document in register.REGISTER.values():
        assert document.issuer and document.title and document.kind in register.DOCUMENT_KINDS
        assert document.url == "" or document.url.startswith("https://"), document.key
    assert register.REGISTER["D14"].kind is register.Kind.GUIDELINE
    assert register.REGISTER["D15"].kind is register.Kind.REFERENCE


def test_every_source_is_a_register_document_or_a_labelled_non_document() -> None:
    for key, source in register.SOURCES.items():
        assert source.key == key
        check(source, key)
        if not source.is_document:
            assert source.label and source.about, key


def test_a_clinic_default_says_so_and_shows_no_web_page() -> None:
    assert register.DEFAULT_TG_LEVELS.cite() == "Clinic default: no published threshold"
    assert register.DEFAULT_SEVERITY_SCALES.cite() == "Clinic default: no primary source"
    assert register.DEFAULT_TG_LEVELS.document is None
    assert register.DEFAULT_TG_LEVELS.url == ""


def test_a_citation_names_the_document_its_version_and_the_section() -> None:
    assert register.US_PI_REPRODUCTIVE.cite() == (
        "US FDA: Isotretinoin Capsules USP, prescribing information (PLR format) (DailyMed set id "
        "5b524a51-a16b-496e-b764-11c98c479c36, version 3, 30 Jan 2026), §8.3")
    assert register.US_PI_REPRODUCTIVE.url.startswith("https://dailymed.nlm.nih.gov/")


@pytest.mark.parametrize("old", sorted(register.LEGACY))
def test_every_key_stored_before_the_register_reads_back_as_a_register_source(old: str) -> None:
    check(register.resolve(old), old)


def test_old_citation_strings_and_dicts_read_back_as_register_sources() -> None:
    assert register.resolve("BNF isotretinoin monograph (copy) [S]") is register.BNF
    assert register.resolve({"key": "droracle-lab-actions", "title": "droracle.ai ...", "url": "https://www.droracle.ai/",
                             "quality": "W"}) is register.DEFAULT_TG_LEVELS
    assert register.resolve(register.US_PI_LIVER.cite()) is register.US_PI_LIVER
    assert register.resolve("https://www.droracle.ai/") is None
    assert register.resolve("") is None


# --- the rules core --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda v: v.id)
def test_every_program_rule_cites_the_register(version: Any) -> None:
    check(version.effective_source, f"{version.id}.effective_source")
    for name, rule in version.rules():
        check(rule.source, f"{version.id}.{name}")


def test_every_contraindication_indication_and_label_note_cites_the_register() -> None:
    for rule in eligibility.RULES:
        check_all(rule.sources, f"contraindication {rule.code}")
        for region, reading in rule.regional.items():
            check_all(reading.sources, f"contraindication {rule.code} ({region})")
    for note in eligibility.LABEL_NOTES:
        check(note.source, f"label note {note.code}")
    found = eligibility.assess_eligibility(iga=4, gags=severity.gags_score(
        {"forehead": 4, "right_cheek": 4, "left_cheek": 4, "nose": 2, "chin": 2, "chest_upper_back": 4}),
        scarring=True, psychosocial_burden=True, failed_therapies=["doxycycline"])
    for item in found.indications:
        check_all(item.sources, f"indication {item.code}")


def test_lab_thresholds_and_the_pregnancy_test_alert_cite_the_register() -> None:
    for threshold in labs.DEFAULT_THRESHOLDS:
        check_all(threshold.sources, f"threshold {threshold.code}")
    alert = labs.evaluate_pregnancy_test(labs.Qualitative.POSITIVE)
    assert alert is not None
    check_all(alert.sources, "pregnancy test alert")


def _mood_results() -> Iterator[mood.MoodResult]:
    for total in range(0, 28):
        item9 = 1 if total in (1, 12) else 0
        yield mood.score_total("phq9", total, item9=item9)
        yield mood.score_total("phq9_teen", total, item9=item9)
    for answers in ([0, 0], [2, 1], [3, 3]):
        yield mood.score("phq2", answers)


def test_mood_results_and_alerts_cite_the_register() -> None:
    for result in _mood_results():
        check_all(result.sources, f"{result.instrument} {result.score}")
        if result.alert is not None:
            check_all(result.alert.sources, f"mood alert {result.alert.code}")


def test_side_effect_alerts_cite_the_register() -> None:
    for effect in side_effects.CATALOGUE.values():
        check_all(effect.sources, f"side effect {effect.code}")
        for grade in side_effects.Grade:
            report = side_effects.SideEffectReport.of({effect.code: grade})
            for alert in side_effects.evaluate_all(report):
                check_all(alert.sources, f"side-effect alert {alert.code}")
    combined = side_effects.SideEffectReport.of({"headache": "severe", "vision_change": "mild"})
    for alert in side_effects.evaluate_all(combined):
        check_all(alert.sources, f"side-effect alert {alert.code}")


def test_medicine_warnings_cite_the_register() -> None:
    names = [alias for ing in interactions.INGREDIENTS for alias in (ing.name, *ing.aliases)]
    alerts = interactions.check_interactions(names, contraception_methods=["progestin_only_pill", "implant"])
    assert alerts
    for alert in alerts:
        check_all(alert.sources, f"interaction {alert.code}")
    for rule in interactions.RULES:
        check_all(rule.sources, f"interaction rule {rule.drug_class}")


def test_doses_products_and_targets_cite_the_register() -> None:
    for product in dosing.PRODUCTS.values():
        check_all(product.sources, f"product {product.code}")
    for choice in dosing.TARGET_CHOICES:
        check_all(choice.sources, f"target {choice.mg_per_kg}")
    check_all(dosing.check_daily_mg_per_kg(Decimal("1")).sources, "dose range")
    for current in dosing.PRODUCTS:
        for new in dosing.PRODUCTS:
            switch = dosing.check_product_switch(current, new)
            check_all(switch.sources, f"switch {current}->{new}", required=not switch.allowed)
    check_all(severity.GAGS_SOURCES, "GAGS")
    check(severity.IGA_SOURCE, "IGA")


def test_the_monitoring_schedule_and_its_notes_cite_the_register() -> None:
    start = dt.date(2026, 1, 10)
    configs = (monitoring.EU_CONFIG, monitoring.UK_CONFIG,
               monitoring.MonitoringConfig(routine_cbc=True, assess_sexual_function=True))
    for config in configs:
        for as_of, done in ((start, ()), (dt.date(2026, 3, 1), (monitoring.CheckDone(monitoring.Check.LIPIDS, start),
                                                                 monitoring.CheckDone(monitoring.Check.LIVER,
                                                                                      dt.date(2026, 2, 10))))):
            schedule = monitoring.monitoring_schedule(
                start=start, as_of=as_of, planned_end=dt.date(2026, 6, 30), done=done,
                risk_factors=list(monitoring.RiskFactor), peak_dose_date=dt.date(2026, 2, 1), config=config)
            for item in schedule.items:
                check_all(item.sources, f"schedule {item.check} {item.occasion}")
            for note in schedule.notes:
                check_all(note.sources, f"note {note.code}")


def _cases(kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for folder in CASE_DIRS:
        for path in sorted((folder / kind).glob("*.json")):
            case = json.loads(path.read_text())
            yield f"{folder.name}/{kind}/{path.name}", {k: v for k, v in case.items() if k not in ("name", "note", "expect")}


def test_the_course_status_cites_the_register_for_every_condition_and_action() -> None:
    from clearcourse.rules.programs.parse import parse_case

    for name, case in _cases("decide"):
        parsed = parse_case(case)
        assert parsed.request is not None
        result = status.course_status(parsed.program, parsed.patient, parsed.history, parsed.request.date)
        for item in (*result.done, *result.due):
            check(item.source, f"{name} {item.condition}")
        for action in result.next_actions:
            check(action.source, f"{name} action {action.code}")


def test_comprehension_questions_and_consent_texts_cite_the_register() -> None:
    for family, bank in questions.BANK.items():
        for question in bank:
            check_all(question.sources, f"{family} question {question.id}")
    for family in consent.FAMILIES:
        for can in (True, False):
            for language in consent.LANGUAGES:
                document = consent.consent_document(program=family, can_get_pregnant=can, language=language)
                for risk in document.risks:
                    check_all(risk.sources, f"consent {document.version_id} {risk.code}")


# --- the CLI's output -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["decide", "assess", "plan", "screen"])
def test_every_source_the_cli_prints_is_a_register_source(kind: str) -> None:
    seen = 0
    for name, case in _cases(kind):
        out = run_case(kind, case)
        for reason in out.get("reasons", []):
            check_shown(reason["source"], f"{name} {reason['code']}")
            seen += 1
        for item in out.get("contraindications", []):
            check_shown(item["source"], f"{name} {item['code']}")
            for value in item["sources"]:
                check_shown(value, f"{name} {item['code']}")
            seen += 1
        for item in out.get("indication_details", []):
            for value in item["sources"]:
                check_shown(value, f"{name} {item['code']}")
                seen += 1
        for note in out.get("label_notes", []):
            check_shown(note["source"], f"{name} {note['code']}")
        for value in out.get("sources", []):
            check_shown(value, name)
            seen += 1
    assert seen, f"no {kind} case printed a source"

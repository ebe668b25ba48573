"""The rule catalogue as Markdown, built from the version modules so the docs cannot drift.

``docs/rules.md`` embeds :func:`rules_markdown` between two markers; a test checks they match.
Regenerate with ``python -m clearcourse.rules.programs.catalog``.
"""

from __future__ import annotations

from clearcourse.rules import eligibility
from clearcourse.rules import sources as src
from clearcourse.rules.programs.base import ProgramVersion
from clearcourse.rules.programs.registry import ALL_VERSIONS, effective_until
from clearcourse.rules.sources import Kind, Source

#: What is still open: each needs a clinician's or regulator's sign-off; the source is where the rule stands now.
OPEN: tuple[tuple[str, str, Source], ...] = (
    ("The iPLEDGE 2026 effective date",
     "8 Aug 2026 is the approval of 9 Feb 2026 plus 180 days, by our count; a later change of the date is "
     "unverified.", src.FDA_IPLEDGE_2026),
    ("The iPLEDGE Prescriber Guide's method list",
     "Which contraception methods are primary and which secondary: the Prescriber Guide (and the label's "
     "§8.3 table) were not retrieved, so the classes are a clinic default.", src.DEFAULT_US_METHODS),
    ("The 7-day window's start",
     "The FDA text names a 7-day pick-up window; that it counts from the specimen collection date is not in "
     "a register document.", src.DEFAULT_WINDOW_START),
    ("The EU/UK post-treatment test at 1 month or 5 weeks",
     "The current SmPC (1 month, not read) and older SmPCs and the BNF print (5 weeks) differ.",
     src.DEFAULT_POST_TREATMENT_TEST),
    ("EU/UK user-independent and complementary methods",
     "The SmPC gives the rule, not a list of methods; which methods are user-independent is a clinic "
     "default.", src.DEFAULT_EU_METHODS),
    ("The date of the MHRA's autumn 2025 update",
     "The register says only \"autumn 2025\" (survey due 16 Nov 2025); remote supervised tests count from "
     "16 Nov 2025, the latest day the update certainly applied.", src.MHRA_2025),
    ("How soon an unpicked authorization is reversed",
     "The 2026 iPLEDGE text asks for prompt reversal without a number of days: each pharmacy sets its own "
     "window.", src.PHARMACY_REVERSAL_WINDOW),
    ("Soya and peanut allergy per product",
     "Whether the chosen product contains soybean oil (or parabens) is in each product's excipient list, "
     "which ClearCourse does not store; the US reading is a caution to check the product.",
     src.US_PI_HYPERSENSITIVITY),
)

_KIND_TITLES = {
    Kind.REGULATOR: "Regulator-sourced (FDA, EMA, MHRA and HSA texts)",
    Kind.GUIDELINE: "Guideline-sourced (AAD 2024)",
    Kind.REFERENCE: "Sourced from a compiled reference (BNF)",
    Kind.CLINIC_DEFAULT: "Clinic defaults (no primary source: the clinic or pharmacy may change them)",
}

BEGIN = "<!-- BEGIN generated rule catalogue (python -m clearcourse.rules.programs.catalog) -->"
END = "<!-- END generated rule catalogue -->"


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, frozenset):
        return ", ".join(sorted(value)) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def source_markdown(source: Source) -> str:
    """A source as a Markdown cell: the citation, linked to the official address when there is one, and
    its kind (regulator, guideline, reference, clinic default)."""
    text = _cell(source.cite())
    linked = f"[{text}]({source.url})" if source.url else text
    return f"{linked} ({source.kind.value.replace('_', ' ')})"


def version_markdown(version: ProgramVersion) -> str:
    until = effective_until(version)
    span = f"from {version.effective_from.isoformat()}" + (f" to {until.isoformat()}" if until else " (current)")
    lines = [
        f"### `{version.id}`: {version.title}",
        "",
        f"In force {span} for the `{version.family}` family. "
        f"Effective date source: {source_markdown(version.effective_source)}.",
        "",
        "| rule | value | what it means | source | note |",
        "|---|---|---|---|---|",
    ]
    for name, rule in version.rules():
        lines.append(f"| `{name}` | {_cell(_value(rule.value))} | {_cell(rule.summary)} | "
                     f"{source_markdown(rule.source)} | {_cell(rule.note)} |")
    return "\n".join(lines)


def _by_kind() -> dict[Kind, list[str]]:
    """Every program rule (by field, with its versions) and every contraindication reading, by the kind of its
    source."""
    found: dict[Kind, dict[str, list[str]]] = {kind: {} for kind in _KIND_TITLES}
    for version in ALL_VERSIONS:
        for name, rule in version.rules():
            if rule.source.kind in found:
                found[rule.source.kind].setdefault(f"`{name}`", []).append(version.id)
    for contra in eligibility.RULES:
        readings = {"any region": contra.reading(None),
                    **{region: contra.reading(region) for region in contra.regional}}
        for region, reading in readings.items():
            for source in reading.sources:
                if source.kind in found:
                    found[source.kind].setdefault(f"contraindication `{contra.code}`", []).append(region)
    return {kind: [f"{what} ({', '.join(dict.fromkeys(where))})" for what, where in items.items()]
            for kind, items in found.items()}


def kinds_markdown() -> str:
    """Which rules rest on a regulator, a guideline, a reference, or a clinic default (generated)."""
    lines = ["## Rules by kind of source", ""]
    for kind, items in _by_kind().items():
        lines += [f"### {_KIND_TITLES[kind]}", "", *(f"- {item}" for item in items), ""]
    lines += ["Every clinic default, as it is labelled on the pages:", "",
              "| key | label | what it covers |", "|---|---|---|"]
    for source in src.SOURCES.values():
        if source.is_clinic_default:
            lines.append(f"| `{source.key}` | {_cell(source.label)} | {_cell(source.about)} |")
    return "\n".join(lines)


def open_markdown() -> str:
    lines = ["## Still open", "", "| question | where it stands | rule's source now |", "|---|---|---|"]
    for question, note, source in OPEN:
        lines.append(f"| {_cell(question)} | {_cell(note)} | {source_markdown(source)} |")
    return "\n".join(lines)


def rules_markdown() -> str:
    body = "\n\n".join(version_markdown(v) for v in ALL_VERSIONS)
    return f"{BEGIN}\n\n{kinds_markdown()}\n\n{open_markdown()}\n\n## Every rule, per version (generated)\n\n{body}\n\n{END}"


if __name__ == "__main__":  # pragma: no cover - a developer convenience
    print(rules_markdown())

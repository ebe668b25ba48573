"""The rule catalogue as Markdown, built from the version modules so the docs cannot drift.

``docs/rules.md`` embeds :func:`rules_markdown` between two markers; a test checks they match.
Regenerate with ``python -m clearcourse.rules.programs.catalog``.
"""

from __future__ import annotations

from clearcourse.rules.programs.base import ProgramVersion
from clearcourse.rules.programs.registry import ALL_VERSIONS, effective_until
from clearcourse.rules.sources import Source

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


def rules_markdown() -> str:
    body = "\n\n".join(version_markdown(v) for v in ALL_VERSIONS)
    return f"{BEGIN}\n\n{body}\n\n{END}"


if __name__ == "__main__":  # pragma: no cover - a developer convenience
    print(rules_markdown())

"""Sources as readers see them: a register document or a labelled clinic default, in the page's language.

Every page, PDF and stored record shows a rule's source through :func:`present`, which accepts what the
rules core returns (a :class:`~clearcourse.rules.sources.Source`) and what older records stored (a key, a
``{"key": ...}`` dict, or an old citation string). The source is always looked up in the register
(``clearcourse.rules.sources``), so a record written before the register existed shows the document that
replaces what it once named, never a copy, a summary site or an internal file. Unknown values show
nothing rather than a guess.

Document issuers, titles and versions, section topics and the clinic-default labels are English msgids
in the catalogue (``portal.i18n_scan`` lists them); the section numbers ("§8.3") read the same in every
language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from clearcourse.rules import sources as register

KIND_LABELS = {
    register.Kind.REGULATOR: gettext_lazy("regulator"),
    register.Kind.GUIDELINE: gettext_lazy("guideline"),
    register.Kind.REFERENCE: gettext_lazy("reference"),
    register.Kind.CLINIC_DEFAULT: gettext_lazy("clinic default"),
    register.Kind.PHYSIOLOGICAL_LIMIT: gettext_lazy("physiological limit"),
    register.Kind.RECORD: gettext_lazy("ClearCourse record"),
}


@dataclass(frozen=True, slots=True)
class CitationView:
    """One source, ready to show: the text in the active language, the official address (or "") and
    what kind of source it is."""

    key: str
    text: str
    url: str
    kind: str
    is_document: bool

    def __str__(self) -> str:
        return self.text


def document_text(document: register.Document) -> str:
    """"issuer: title (version)" in the active language."""
    if document.version:
        return gettext("%(issuer)s: %(title)s (%(version)s)") % {
            "issuer": gettext(document.issuer), "title": gettext(document.title),
            "version": gettext(document.version)}
    return gettext("%(issuer)s: %(title)s") % {"issuer": gettext(document.issuer), "title": gettext(document.title)}


def source_text(source: register.Source) -> str:
    """The one-line citation of a source in the active language."""
    if source.document is None:
        return gettext(source.label)
    topic = gettext(source.topic) if source.topic else ""
    where = f"{source.section} ({topic})" if source.section and topic else source.section or topic
    text = document_text(source.document)
    return gettext("%(document)s, %(where)s") % {"document": text, "where": where} if where else text


def present(value: Any) -> CitationView | None:
    """The source a value names, for display; None when it names nothing in the register."""
    source = register.resolve(value)
    if source is None:
        return None
    return CitationView(key=source.key, text=source_text(source), url=source.url,
                        kind=str(KIND_LABELS[source.kind]), is_document=source.is_document)


def present_all(values: Iterable[Any] | None) -> list[CitationView]:
    """Each named source once, in order; values naming nothing known are left out."""
    if values is None:
        return []
    if isinstance(values, str | dict | register.Source):
        values = [values]
    seen: set[str] = set()
    views: list[CitationView] = []
    for value in values:
        view = present(value)
        if view is not None and view.key not in seen:
            seen.add(view.key)
            views.append(view)
    return views


def cite_text(value: Any) -> str:
    """The citation line for a value ("" when it names nothing known), e.g. for a form's help text."""
    view = present(value)
    return view.text if view is not None else ""

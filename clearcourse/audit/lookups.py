"""What the audit trail's ids stand for, in words, and how an administrator finds a patient's entries.

The trail stores plain ids (it must outlive the records and never import the apps above it). The apps that
own patients and records plug in, from their ``AppConfig.ready()``, how to find a patient by what people
know (record number, name, a prescription's reference such as RX-95) and how to name a record ("Prescription
RX-95"); the search page asks through here. Anything nobody named is shown by its kind of record in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.apps import apps
from django.utils.text import capfirst

#: Text an administrator typed -> the ids of the patients it names (empty: none).
PatientFinder = Callable[[str], Iterable[int]]
#: Patient ids -> "Miller, Jordan (R-0001)".
PatientLabeller = Callable[[Iterable[int]], dict[int, str]]
#: Object ids (as stored) -> how people call each record.
ObjectLabeller = Callable[[Iterable[str]], dict[str, str]]

_finders: list[PatientFinder] = []
_patient_labellers: list[PatientLabeller] = []
_object_labellers: dict[str, ObjectLabeller] = {}


def register_patients(*, find: PatientFinder, label: PatientLabeller) -> None:
    if find not in _finders:
        _finders.append(find)
    if label not in _patient_labellers:
        _patient_labellers.append(label)


def register_object_labels(object_type: str, label: ObjectLabeller) -> None:
    _object_labellers[object_type] = label


def find_patients(text: str) -> set[int]:
    """Every patient the text names (record number, name, prescription reference)."""
    found: set[int] = set()
    for find in _finders:
        found.update(find(text))
    return found


def patient_labels(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    labels: dict[int, str] = {}
    for label in _patient_labellers:
        labels.update(label(wanted - set(labels)))
    return labels


def _kind_names() -> dict[str, str]:
    return {model.__name__: str(capfirst(model._meta.verbose_name)) for model in apps.get_models()}


#: The object type of a patient's own record: named with the patient labels (one query for both columns).
PATIENT_OBJECT = "Patient"


def object_labels(pairs: Iterable[tuple[str, str]], *,
                  patients: dict[int, str] | None = None) -> dict[tuple[str, str], str]:
    """(object type, object id) -> words: the owning app's name for the record, or its kind in words.
    ``patients`` (from :func:`patient_labels`) names the patient records themselves."""
    by_type: dict[str, set[str]] = {}
    for object_type, object_id in pairs:
        if object_type:
            by_type.setdefault(object_type, set()).add(object_id)
    kinds = _kind_names()
    labels: dict[tuple[str, str], str] = {}
    for object_type, ids in by_type.items():
        if object_type == PATIENT_OBJECT and patients is not None:
            named = {str(pk): label for pk, label in patients.items()}
        else:
            named = _object_labellers[object_type](ids) if object_type in _object_labellers else {}
        for object_id in ids:
            labels[(object_type, object_id)] = named.get(object_id) or kinds.get(object_type, object_type)
    return labels

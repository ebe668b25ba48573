"""Validate FHIR JSON against R4 (4.0.1), with two independent, maintained model libraries.

- ``fhirclient`` 4.4 (SMART Health IT): its models are generated from FHIR **4.0.1** itself; it rejects
  unknown elements, missing required elements (cardinality 1..), wrong types and impossible dates.
- ``fhir.resources`` 8.3: pydantic models; 8.x ships R5 as default and **R4B** (4.3.0) as a
  sub-package, but no plain R4. R4B changed only resources ClearCourse does not write (the medication
  definition and evidence resources, subscriptions); the resources we use are the same as in R4, so
  its stricter primitive checks (id, code, uri and dateTime patterns) add to the R4 check.

A resource passes when both accept it. Neither library evaluates FHIRPath invariants; the exporter
meets the ones that apply (e.g. Consent ppc-1, Duration drt-1) by construction, and the tests check
that every reference resolves inside the bundle (:func:`unresolved_references`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models import fhirelementfactory
from fhirclient.models.fhirabstractbase import FHIRValidationError
from pydantic import ValidationError


def _fhirclient_errors(resource: dict[str, Any]) -> list[str]:
    kind = resource.get("resourceType")
    try:
        model = fhirelementfactory.FHIRElementFactory.instantiate(kind, resource)
    except FHIRValidationError as exc:
        return [f"R4 (fhirclient): {line.strip()}" for line in str(exc).splitlines() if line.strip()][:10]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"R4 (fhirclient): {exc.__class__.__name__}: {exc}"]
    # The factory falls back to a generic element for an unknown resource type.
    if type(model).__name__ != kind:
        return [f"R4 (fhirclient): {kind!r} is not an R4 resource type"]
    return []


def _fhir_resources_errors(resource: dict[str, Any]) -> list[str]:
    kind = resource.get("resourceType")
    try:
        cls = get_fhir_model_class(str(kind))
    except (KeyError, ValueError, AttributeError, ImportError):
        return [f"R4B (fhir.resources): {kind!r} is not a resource type"]
    try:
        cls.model_validate(resource)
    except ValidationError as exc:
        return [f"R4B (fhir.resources): {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in exc.errors()[:10]]
    except (TypeError, ValueError) as exc:
        return [f"R4B (fhir.resources): {exc}"]
    return []


def resource_errors(resource: Any) -> list[str]:
    """Every problem both libraries find in one resource (empty: valid)."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return ["not a FHIR resource (a JSON object with a resourceType)"]
    return _fhirclient_errors(resource) + _fhir_resources_errors(resource)


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def unresolved_references(bundle: dict[str, Any]) -> list[str]:
    """References in ``bundle`` that no entry's ``fullUrl`` answers."""
    entries = bundle.get("entry") or []
    full_urls = {e.get("fullUrl") for e in entries if isinstance(e, dict)}
    return sorted({ref for e in entries for ref in _references(e.get("resource")) if ref not in full_urls})


def bundle_errors(bundle: Any) -> list[str]:
    """The bundle and every entry validated, plus unresolved references and duplicate fullUrls."""
    errors = resource_errors(bundle)
    if not isinstance(bundle, dict):
        return errors
    seen: set[str] = set()
    for i, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        errors += [f"entry[{i}] {e}" for e in resource_errors(resource)]
        url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if isinstance(url, str):
            if url in seen:
                errors.append(f"entry[{i}] repeats fullUrl {url}")
            seen.add(url)
    errors += [f"unresolved reference {ref}" for ref in unresolved_references(bundle)]
    return errors

"""``python -m clearcourse fhir CASE.json``: a ``decide`` case's patient and events as a FHIR R4 Bundle.

The case is read by the same strict parser as ``decide`` (a ``request`` is optional here), so a
case that ``decide`` rejects is rejected here with the same field and message. The Bundle is the one
``clearcourse.interop.fhir_export`` writes for a course; see ``docs/formats.md``.
"""

from __future__ import annotations

from typing import Any

from clearcourse.interop.fhir_export import build_bundle, input_from_case
from clearcourse.rules.programs.parse import parse_case


def run(case: dict[str, Any]) -> dict[str, Any]:
    return build_bundle(input_from_case(parse_case(case, require_request=False)))

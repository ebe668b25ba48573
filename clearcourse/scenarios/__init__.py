"""The scenario contract (``../shared/scenarios/README.md``): JSON in, JSON out, no database.

Each kind is a module with ``run(case: dict) -> dict`` that parses the case into the rules core's
dataclasses, calls the core and turns the decision into JSON. Bad input raises
:class:`clearcourse.rules.errors.InputError`.
"""

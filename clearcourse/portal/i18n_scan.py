"""Find the user-visible strings that ``makemessages`` cannot see, and write them to ``i18n_extra.py``.

``makemessages`` only extracts string literals written inside ``gettext(...)``. Two kinds of
translated text escape it:

1. Message constants translated where they are raised: ``ONLY_PRESCRIBERS = "..."`` and later
   ``_(ONLY_PRESCRIBERS)`` (DESIGN.md convention 4 keeps messages as constants for the tests).
2. The rules core's English text (it imports nothing from Django), which the Django layer translates
   at run time: side-effect names and advice, PHQ items and answers, lab names, contraindication
   messages, monitoring notes, the next-step messages of the status, and the like.

This module finds both (the first by reading every module's syntax tree and resolving the names passed
to ``gettext``; the second by importing the rules core) and writes them as ``gettext_noop`` calls (``makemessages`` knows that name, not the ``N_`` alias) to
``clearcourse/core/i18n_extra.py`` (the lowest app: the core translates with it), which ``makemessages`` then reads like any other module.

Run ``python -m clearcourse.portal.i18n_scan`` before ``make messages``.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from clearcourse.rules.text import Text

PACKAGE = Path(__file__).resolve().parents[1]
OUTPUT = PACKAGE / "core" / "i18n_extra.py"
GETTEXT_NAMES = frozenset({"_", "gettext", "gettext_lazy", "N_", "gettext_noop", "_lazy"})


def _module_name(path: Path) -> str:
    return "clearcourse." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _python_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "migrations" in parts or path == OUTPUT or path.name == "i18n_scan.py":
            continue
        yield path


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments (annotated or not)."""
    found: dict[str, str] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = list(node.targets), node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in GETTEXT_NAMES \
                and value.args:
            value = value.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = value.value
    return found


def _imports(tree: ast.Module, module: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(name -> (module, attribute)) for ``from x import y``; (alias -> module) for module imports."""
    names: dict[str, tuple[str, str]] = {}
    modules: dict[str, str] = {}
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                if node.level > 1:
                    parent = parent[: -(node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                names[alias.asname or alias.name] = (base, alias.name)
                modules[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                modules[alias.asname or alias.name.split(".")[0]] = alias.name
    return names, modules


def app_constants() -> set[str]:
    """Strings passed to gettext by name (``_(CONSTANT)``, ``_(module.CONSTANT)``) anywhere in the package."""
    trees: dict[str, ast.Module] = {}
    for path in _python_files():
        trees[_module_name(path)] = ast.parse(path.read_text(encoding="utf-8"))
    constants = {name: _constants(tree) for name, tree in trees.items()}
    found: set[str] = set()
    for module, tree in trees.items():
        names, modules = _imports(tree, module)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES
                    and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Name):
                if arg.id in constants[module]:
                    found.add(constants[module][arg.id])
                elif arg.id in names:
                    source, attribute = names[arg.id]
                    value = constants.get(source, {}).get(attribute)
                    if value is not None:
                        found.add(value)
            elif isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
                attribute_value = constants.get(modules.get(arg.value.id) or "", {}).get(arg.attr)
                if attribute_value is not None:
                    found.add(attribute_value)
    return found


def _strings(values: Iterable[Any]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str) and value.strip():
            yield value


def core_strings() -> set[str]:
    """The rules core's English text that the Django layer translates at run time."""
    found: set[str] = set()
    side_effects = importlib.import_module("clearcourse.rules.side_effects")
    for effect in side_effects.CATALOGUE.values():
        found.add(effect.name)
        if effect.note:
            found.add(effect.note)
        for grade in side_effects.Grade:
            level = effect.level(grade)
            if level is not None:
                found.add(level[1].template if isinstance(level[1], Text) else level[1])
    mood = importlib.import_module("clearcourse.rules.mood")
    found.update(_strings(mood.ANSWER_OPTIONS))
    for spec in mood.INSTRUMENTS.values():
        found.update(_strings((spec.title, spec.stem, *spec.items)))
    for band in mood.Band:
        found.add(band.value.replace("_", " "))
    labs = importlib.import_module("clearcourse.rules.labs")
    found.update(_strings(labs.ANALYTE_NAMES.values()))
    eligibility = importlib.import_module("clearcourse.rules.eligibility")
    found.update(rule.message for rule in eligibility.RULES)
    found.update(reading.message for rule in eligibility.RULES for reading in rule.regional.values())
    found.update(eligibility.REGION_LABELS.values())
    found.update(t.label for t in eligibility.THERAPIES.values())
    found.update(note.text for note in eligibility.LABEL_NOTES)
    severity = importlib.import_module("clearcourse.rules.severity")
    found.update(g.label for g in severity.IGA_GRADES)
    found.update(r.label for r in severity.GAGS_REGIONS)
    found.update(b.label for b in severity.GAGS_BAND_TABLE)
    found.update(lesion.label for lesion in severity.GAGS_LESIONS)
    status = importlib.import_module("clearcourse.rules.status")
    found.update(status.ACTION_MESSAGES.values())
    # The words filled into the core's templates (rules.text: drawn one by one, joined by a translated word).
    found.update(status._SETTING_WORDS.values())
    program_messages = importlib.import_module("clearcourse.rules.programs.messages")
    found.update(program_messages.SETTING_WORDS.values())
    found.update(program_messages.PHARMACY_WORDS.values())
    found.update((program_messages.NOWHERE, "or"))
    registry = importlib.import_module("clearcourse.rules.programs.registry")
    found.update(version.title for version in registry.ALL_VERSIONS)
    facts = importlib.import_module("clearcourse.rules.programs.facts")
    found.update(facts.METHOD_NAMES.values())
    found.add(facts.ABSTINENCE_NAME)
    dosing = importlib.import_module("clearcourse.rules.dosing")
    found.update(choice.label for choice in dosing.TARGET_CHOICES)
    found.update(product.food for product in dosing.PRODUCTS.values())
    for grade in side_effects.Grade:
        found.update((grade.value, grade.value.capitalize()))
    # The register: documents' issuers, titles and versions, section topics and the non-document labels.
    register = importlib.import_module("clearcourse.rules.sources")
    for document in register.REGISTER.values():
        found.update(_strings((document.issuer, document.title, document.version)))
    for source in register.SOURCES.values():
        found.update(_strings((source.topic, source.label)))
    # Every module-level message constant of the core (upper-case name, a sentence).
    for path in sorted((PACKAGE / "rules").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, value in _constants(tree).items():
            if name.isupper() and " " in value and not value.startswith(("http", "<!--")):
                found.add(value)
    return found


def render(strings: Iterable[str]) -> str:
    lines = [
        '"""Generated by ``python -m clearcourse.portal.i18n_scan``: do not edit.',
        "",
        "Strings translated at run time that ``makemessages`` cannot find in a ``gettext`` call (message",
        "constants and the rules core's English text). Importing this module does nothing.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from django.utils.translation import gettext_noop",
        "",
        "STRINGS = (",
    ]
    for text in sorted(set(strings)):
        lines.append(f"    gettext_noop({text!r}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


def main() -> None:
    import django

    django.setup()
    strings = app_constants() | core_strings()
    OUTPUT.write_text(render(strings), encoding="utf-8")
    print(f"{len(strings)} strings written to {OUTPUT}")


if __name__ == "__main__":  # pragma: no cover - a developer tool
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearcourse.settings")
    main()

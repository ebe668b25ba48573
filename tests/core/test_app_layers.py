"""The app layers of docs/architecture.md hold: each app imports only the apps below it (import-linter)."""

from __future__ import annotations

import contextlib
import io
import re
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_imports_only_the_apps_below_it(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code == 0, out.getvalue()


def test_the_layers_contract_names_every_app_and_the_architecture_page_lists_them_in_the_same_order() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = [name.strip() for line in config["contracts"][0]["layers"] for name in line.split("|")]
    apps = sorted(p.name for p in (ROOT / "clearcourse").iterdir() if (p / "__init__.py").exists()
                  and p.name not in ("locale", "static", "templates", "formats"))
    assert sorted(set(apps) - set(layers)) == []
    page = (ROOT / "docs" / "architecture.md").read_text()
    first_columns = re.findall(r"^\| ((?:`\w+`(?:, )?)+) \|", page, flags=re.MULTILINE)
    table = [name for column in first_columns for name in re.findall(r"`(\w+)`", column)]
    assert [name for name in table if name in apps] == [name for name in layers if name in apps]

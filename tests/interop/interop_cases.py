"""Shared helpers for the interop tests: where the decide cases are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "scenarios" / "decide"
VENDORED = ROOT / "tests" / "scenarios" / "public" / "decide"
OWN = ROOT / "tests" / "scenarios" / "cases" / "decide"


def decide_cases() -> list[Path]:
    public = SHARED if SHARED.is_dir() else VENDORED
    return sorted(public.glob("*.json")) + sorted(OWN.glob("*.json"))

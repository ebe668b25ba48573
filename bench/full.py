"""The benchmark suite at national scale: 100,000 patients, one clinic of 5,000, 10 million audit entries
(``python bench/full.py``).

Same steps and output as ``bench/quick.py`` (the last stdout line is one JSON object); takes several
minutes, most of it building the population. Options as in quick.py (``--reuse`` keeps the database).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quick

FULL = {**quick.QUICK, "patients": 100_000, "clinics": 20, "pharmacies": 50, "big_clinic": 5000,
        "duration": 30.0, "requests": 100_000, "warmup": 1000, "floor_duration": 20.0, "rules_cases": 2000,
        "rules_seconds": 3.0, "worklist_runs": 5, "audit_entries": 10_000_000, "open_duration": 30.0,
        "page_runs": 20, "audit_runs": 7}

if __name__ == "__main__":
    quick.main(FULL)

"""Role checks for pages: the one access path is ``clearcourse.core.access`` (kept here under the old names)."""

from __future__ import annotations

from clearcourse.core.access import page as role_required
from clearcourse.core.access import signed_in_user

__all__ = ["role_required", "signed_in_user"]

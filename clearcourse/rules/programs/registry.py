"""Which program version applies: a family resolves by date, a pinned version id applies as given."""

from __future__ import annotations

FAMILIES = ("us-ipledge", "eu-ppp", "uk-mhra")
VERSIONS = ("us-ipledge-2021", "us-ipledge-2026", "eu-ppp-2018", "uk-mhra-2023", "uk-mhra-2026")

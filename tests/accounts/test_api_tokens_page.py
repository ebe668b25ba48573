"""Administrators create and revoke pharmacy API tokens on a page; the token is shown once."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from clearcourse.accounts.models import PharmacyApiToken


def test_an_administrator_creates_a_token_that_is_shown_once(login: Any, admin_user: Any, pharmacy: Any) -> None:
    client = login(admin_user)
    response = client.post(reverse("accounts:api_tokens"), {"pharmacy": pharmacy.pk, "name": "Dispensing PC"})
    assert response.status_code == 200
    shown = re.search(r'data-testid="new-token">(cc_[^<]+)<', response.content.decode())
    assert shown is not None
    token = PharmacyApiToken.objects.get()
    assert token.created_by == admin_user and token.pharmacy == pharmacy
    again = client.get(reverse("accounts:api_tokens")).content.decode()
    assert shown.group(1) not in again and token.prefix in again


def test_an_administrator_revokes_a_token(login: Any, admin_user: Any, pharmacy: Any) -> None:
    from clearcourse.accounts.services import api_token_create

    token, _ = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    client = login(admin_user)
    response = client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_other_roles_cannot_see_or_revoke_tokens(login: Any, pharmacist: Any, admin_user: Any, pharmacy: Any) -> None:
    from clearcourse.accounts.services import api_token_create

    token, _ = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    client = login(pharmacist)
    assert client.get(reverse("accounts:api_tokens")).status_code == 403
    assert client.post(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None

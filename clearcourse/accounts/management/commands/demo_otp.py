"""``python -m clearcourse demo_otp USERNAME``: the current two-factor code of a DEMO account.

It answers only for the demo accounts whose device still has the published demo secret
(clearcourse/accounts/demo.py), so it reveals nothing that is not already public.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clearcourse.accounts.demo import is_demo_device

NOT_A_DEMO_ACCOUNT = "{username} is not a demo account with the published demo secret."


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (demo accounts only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        device = (TOTPDevice.objects.select_related("user")
                  .filter(user__username=username, confirmed=True).order_by("pk").first())
        if device is None or not is_demo_device(device):
            raise CommandError(NOT_A_DEMO_ACCOUNT.format(username=username))
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        remaining = device.step - int(now - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(valid for about {remaining} more seconds)")

"""Root URL configuration. Each app owns its URLs under its own prefix."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from clearcourse.core import api
from clearcourse.interop import api as interop_api
from clearcourse.pharmacy import api as pharmacy_api

# The JSON API (/api/v1/): one NinjaAPI in core, each app's router mounted here at its prefix.
api.mount(pharmacy_api.PREFIX, pharmacy_api.router)
api.mount(interop_api.PREFIX, interop_api.router)

urlpatterns = [
    path("", include("clearcourse.core.urls")),
    path("accounts/", include("clearcourse.accounts.urls")),
    path("patients/", include("clearcourse.courses.urls")),
    path("programs/", include("clearcourse.ppp.urls")),
    path("pharmacy/", include("clearcourse.pharmacy.urls")),
    path("monitoring/", include("clearcourse.monitoring.urls")),
    path("portal/", include("clearcourse.portal.urls")),
    path("audit/", include("clearcourse.audit.urls")),
    path("interop/", include("clearcourse.interop.urls")),
    path("api/v1/", api.api.urls),
    # The REMS doors (NCPDP SCRIPT, FHIR $rems-etasu, CDS Hooks) at the paths their clients expect.
    path("", include("clearcourse.rems.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

"""Root URL configuration. Each app owns its URLs under its own prefix."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

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
    path("api/v1/", include("clearcourse.core.api_urls")),
    # The REMS doors (NCPDP SCRIPT, FHIR $rems-etasu, CDS Hooks) at the paths their clients expect.
    path("", include("clearcourse.rems.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

"""Django's admin app with ClearCourse's audited admin site (``INSTALLED_APPS`` names this instead of
``django.contrib.admin``). The site itself is :mod:`clearcourse.audit.admin_site`."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    default_site = "clearcourse.audit.admin_site.AuditedAdminSite"

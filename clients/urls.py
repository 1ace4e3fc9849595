from __future__ import annotations

from clients.views import (
    audit_log,
    chart,
    history_review,
    imports,
    intake,
    merge,
    modification_plans,
    referrals,
)

app_name = "clients"

urlpatterns = [
    *chart.urlpatterns,
    *intake.urlpatterns,
    *referrals.urlpatterns,
    *modification_plans.urlpatterns,
    *history_review.urlpatterns,
    *audit_log.urlpatterns,
    *merge.urlpatterns,
    *imports.urlpatterns,
]

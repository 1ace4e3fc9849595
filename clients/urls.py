from __future__ import annotations

from clients.views import chart, intake, modification_plans, referrals

app_name = "clients"

urlpatterns = [
    *chart.urlpatterns,
    *intake.urlpatterns,
    *referrals.urlpatterns,
    *modification_plans.urlpatterns,
]

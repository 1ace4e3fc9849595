from __future__ import annotations

from clients.views import chart, intake, referrals

app_name = "clients"

urlpatterns = [*chart.urlpatterns, *intake.urlpatterns, *referrals.urlpatterns]

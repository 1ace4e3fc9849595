from __future__ import annotations

from sessions.views import (
    booking,
    calendar,
    messages,
    notes,
    plans,
    series,
    visit,
    waitlist,
)

app_name = "sessions"

urlpatterns = [
    *calendar.urlpatterns,
    *booking.urlpatterns,
    *series.urlpatterns,
    *visit.urlpatterns,
    *notes.urlpatterns,
    *plans.urlpatterns,
    *messages.urlpatterns,
    *waitlist.urlpatterns,
]

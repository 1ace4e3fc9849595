from __future__ import annotations

from sessions.messaging import views as messages
from sessions.scheduling.views import (
    booking,
    calendar,
    links,
    openings,
    safety_review,
    schedules,
    series,
    visit,
    waitlist,
)
from sessions.treatment.views import notes, notes_to_sign, plans, reports

app_name = "sessions"

urlpatterns = [
    *calendar.urlpatterns,
    *booking.urlpatterns,
    *openings.urlpatterns,
    *series.urlpatterns,
    *visit.urlpatterns,
    *notes.urlpatterns,
    *notes_to_sign.urlpatterns,
    *plans.urlpatterns,
    *reports.urlpatterns,
    *messages.urlpatterns,
    *links.urlpatterns,
    *waitlist.urlpatterns,
    *safety_review.urlpatterns,
    *schedules.urlpatterns,
]

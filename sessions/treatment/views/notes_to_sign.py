"""Notes to sign: a therapist's own unsigned notes (all of them for the manager),
with the ones past the clinic's signing deadline flagged."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from massageclinic.models import clinic_policy
from massageclinic.roles import Role, role_required, user_roles
from sessions.treatment.note_selectors import notes_to_sign


@require_GET
@role_required(Role.THERAPIST, Role.MANAGER)
def notes_to_sign_view(request: HttpRequest) -> HttpResponse:
    deadline = clinic_policy().note_sign_deadline
    rows = notes_to_sign(user=request.user, now=timezone.now(), deadline=deadline)
    return render(
        request,
        "sessions/notes_to_sign.html",
        {
            "rows": rows,
            "overdue": sum(1 for r in rows if r.overdue),
            "sees_everyone": Role.MANAGER in user_roles(request.user),
            "deadline": deadline,
        },
    )


urlpatterns: list[URLPattern] = [
    path("notes/to-sign/", notes_to_sign_view, name="notes_to_sign"),
]

"""Forms of the manager's staff page: add a staff member, change a role."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from massageclinic.staff import STAFF_ROLES

ROLE_CHOICES = [(role.value, role.value) for role in STAFF_ROLES]


class StaffAddForm(UserCreationForm):
    """Name, email, username, one of the three roles and an initial password.

    Django's creation form checks the username (also against another spelling in
    a different case) and runs the password validators with the new user's name and
    email, so that "Tara2026" is refused for Tara.
    """

    role = forms.ChoiceField(
        label="Role", choices=ROLE_CHOICES, widget=forms.RadioSelect
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("first_name", "last_name", "email", "username")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["password1"].label = "Initial password"
        self.fields["password2"].label = "Initial password again"
        self.fields["password1"].help_text = (
            "At least 8 characters, not only digits, not a common password and not "
            "like the name. Give it to the person privately; they change it after "
            "signing in."
        )


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES)

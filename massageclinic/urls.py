from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from massageclinic import account, two_factor_views
from sessions.home import home

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic administration"

urlpatterns = [
    path("", home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/lockouts/", account.lockouts, name="account_lockouts"),
    path("account/lockouts/unlock/", account.unlock, name="account_unlock"),
    path("account/", include(two_factor_views.urlpatterns)),
    path("staff/", include(("massageclinic.staff_views", "staff"))),
    path("", include("clients.urls")),
    path("", include("sessions.urls")),
    path("admin/", admin.site.urls),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from incidents.views import home

from . import health

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True), name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),  # also stores User.language
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("opsdesk.api_urls")),
    path("login/", account_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("oidc/", include("accounts.oidc_urls")),  # single sign-on, when configured (404 otherwise)
    path("accounts/", include("accounts.urls")),
    path("requests/", include("tickets.urls")),
    path("cmdb/", include("cmdb.urls")),
    path("notifications/", include("notifications.urls")),
    path("saved-filters/", include("savedfilters.urls")),
    path("search/", include("search.urls")),
    path("portal/", include("portal.urls")),
    path("quality/", include("quality.urls")),
    path("problems/", include("problems.urls")),
    path("changes/", include("changes.urls")),
    path("spares/", include("spares.urls")),
    path("documents/", include("documents.urls")),
    path("releases/", include("releases.urls")),
    path("inspections/", include("inspections.urls")),
    path("security/", include("security.urls")),
    path("assurance/", include("assurance.urls")),
    path("reports/", include("reports.urls")),
    path("mail/", include("mailin.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("duty/", include("duty.urls")),
    path("team/", include("team.urls")),
    path("ops/", include("ops.urls")),
    path("r/", include("portal.link_urls")),
    path("", home, name="home"),
    path("", include("incidents.urls")),
]

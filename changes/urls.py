from django.urls import path

from . import views

app_name = "changes"
urlpatterns = [
    path("", views.change_list_view, name="list"),
    path("new/", views.change_create_view, name="create"),
    path("cab/", views.cab_queue, name="cab_queue"),
    path("<int:pk>/edit/", views.change_edit_view, name="edit"),
    *views.CHANGE_PAGES.urlpatterns(),
    path("<int:pk>/incidents/link/", views.change_incident_link_view, name="incident_link"),
    path("<int:pk>/incidents/open/", views.change_incident_open_view, name="incident_open"),
    path("<int:pk>/approvals/<int:approval_id>/retry-mail/", views.customer_approval_mail_retry_view,
         name="approval_mail_retry"),
    path("panels/incident/<int:pk>/", views.incident_panel, name="incident_panel"),
    path("panels/ci/<int:pk>/", views.ci_panel, name="ci_panel"),
]

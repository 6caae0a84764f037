from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.request_list_view, name="list"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/transition/", views.request_transition_view, name="transition"),
    path("<int:pk>/add/<str:what>/", views.request_timeline_add, name="timeline_add"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.request_attachment, name="attachment"),
]

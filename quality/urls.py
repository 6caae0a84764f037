from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/", views.callback_add, name="callback_add"),
    path("callbacks/follow-ups/<int:pk>/done/", views.follow_up_close, name="follow_up_close"),
    path("complaints/", views.complaints, name="complaints"),
    path("figures/", views.figures, name="figures"),
    path("calls/", views.calls, name="calls"),
    path("questionnaires/", views.surveys, name="surveys"),
    path("questionnaires/rounds/<int:pk>/", views.survey_round, name="survey_round"),
]

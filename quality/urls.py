from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:pk>/", views.callback_add, name="callback_add"),
    path("complaints/", views.complaints, name="complaints"),
    path("figures/", views.figures, name="figures"),
    path("questionnaires/", views.surveys, name="surveys"),
    path("questionnaires/rounds/<int:pk>/", views.survey_round, name="survey_round"),
]

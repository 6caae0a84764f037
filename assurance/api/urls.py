app_name = "assurance-api"
urlpatterns: list = []

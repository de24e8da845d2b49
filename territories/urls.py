from django.urls import path

from territories import views

app_name = "territories"

urlpatterns = [
    path("", views.home, name="home"),
    path("territoires/suggestions/", views.suggestions, name="suggestions"),
    path("donnees/", views.dataset_list, name="datasets"),
    path("donnees/<int:pk>/", views.dataset_detail, name="dataset"),
    path("territoires/<slug:level>/<str:code>/", views.zone_detail, name="zone"),
    path("territoires/<slug:level>/<str:code>/geojson/", views.zone_geojson, name="zone_geojson"),
]

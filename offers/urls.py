from django.urls import path

from offers import views
from offers.demography import pages as demography_pages

app_name = "offers"
urlpatterns = [
    path("", views.offer_list, name="list"),
    path("densites/", demography_pages.densities_view, name="densities"),
    path("nouvelle/", views.offer_create, name="create"),
    path("conflits/", views.conflict_list, name="conflicts"),
    path("synthetique/retirer/", views.synthetic_remove, name="synthetic_remove"),
    path("conflits/<int:pk>/decision/", views.conflict_resolve, name="conflict_resolve"),
    path("<int:pk>/", views.offer_detail, name="detail"),
    path("<int:pk>/modifier/", views.offer_edit, name="edit"),
    path("<int:pk>/historique/", views.offer_history, name="history"),
    path("<int:pk>/historique/<int:history_id>/restaurer/", views.offer_restore, name="restore"),
    path("<int:pk>/geojson/", views.offer_geojson, name="geojson"),
    path("territoires/<slug:level>/<str:code>/geojson/", views.zone_offers_geojson, name="zone_geojson"),
]

from django.urls import path

from indicators import views
from indicators.dashboard import perimeters
from indicators.views import planning

app_name = "indicators"
urlpatterns = [
    path("", views.index, name="index"),
    path("definitions/<slug:code>/", views.definition_detail, name="definition"),
    path("calculs/", views.run_list, name="runs"),
    path("calculs/lancer/", views.run_trigger, name="run_trigger"),
    path("calculs/<int:pk>/", views.run_detail, name="run"),
    path("calculs/<int:pk>/etat.json", views.run_status, name="run_status"),
    path("calculs/<int:pk>/publier/", views.run_publish, name="run_publish"),
    path("calculs/<int:pk>/ecarter/", views.run_discard, name="run_discard"),
    path("calculs/<int:pk>/ecarts.csv", views.run_diff, name="run_diff"),
    path("carte/france.geojson", views.france_geojson, name="france_geojson"),
    path("carte/<slug:level>/<str:code>/classes.geojson", views.classes_geojson, name="classes_geojson"),
    path("classement/<slug:level>/<str:code>/", views.ranking_view, name="ranking"),
    path("comparer/", views.compare_view, name="compare"),
    path(
        "chiffres-cles/<slug:level>/<str:code>.<str:fmt>", views.key_figures_export, name="key_figures_export"
    ),
    path("fiche/<slug:level>/<str:code>.pdf", views.fiche_view, name="fiche"),
    path("evolution/<slug:level>/<str:code>.<str:fmt>", views.evolution_export, name="evolution_export"),
    path("perimetres/", perimeters.perimeter_list, name="perimeters"),
    path("perimetres/nouveau/", perimeters.perimeter_edit, name="perimeter_new"),
    path("perimetres/<int:pk>/", perimeters.perimeter_detail, name="perimeter"),
    path("perimetres/<int:pk>/modifier/", perimeters.perimeter_edit, name="perimeter_edit"),
    path("perimetres/<int:pk>/communes.<str:fmt>", perimeters.perimeter_export, name="perimeter_export"),
    path("perimetres/<int:pk>/fiche.pdf", perimeters.perimeter_fiche, name="perimeter_fiche"),
    path("perimetres/<int:pk>/carte.geojson", perimeters.perimeter_geojson, name="perimeter_geojson"),
    path("imports/", views.upload_list, name="uploads"),
    path("imports/<int:pk>/", views.upload_detail, name="upload"),
    path("imports/<int:pk>/etat.json", views.upload_status, name="upload_status"),
    path("simulation/<slug:level>/<str:code>/", views.simulate_view, name="simulate"),
    path("planification/<slug:level>/<str:code>/", planning.planning_view, name="planning"),
    path(
        "planification/<slug:level>/<str:code>/candidats.geojson",
        planning.planning_geojson,
        name="planning_geojson",
    ),
    path(
        "planification/<slug:level>/<str:code>/export.<str:fmt>",
        planning.planning_export,
        name="planning_export",
    ),
    path("planification/<slug:level>/<str:code>/exact/", planning.planning_exact, name="planning_exact"),
    path("planification/exact/<int:pk>/etat.json", planning.exact_status, name="planning_exact_status"),
]

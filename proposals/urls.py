from django.urls import path

from . import views

app_name = "proposals"
urlpatterns = [
    path("", views.index, name="index"),
    path("comparer/", views.compare, name="compare"),
    path("mesures.<str:fmt>", views.measures_export, name="measures_export"),
    path("sources/<slug:key>/", views.source_document, name="source"),
    path("groupes/", views.group_list, name="groups"),
    path("groupes/<slug:slug>/", views.group_detail, name="group"),
    path(
        "groupes/<slug:slug>/consultations/nouvelle/", views.consultation_create, name="consultation_create"
    ),
    path("consultations/<slug:slug>/modifier/", views.consultation_edit, name="consultation_edit"),
    path(
        "consultations/<slug:slug>/ouvrir/",
        views.consultation_phase,
        {"action": "ouvrir"},
        name="consultation_open",
    ),
    path(
        "consultations/<slug:slug>/clore/",
        views.consultation_phase,
        {"action": "clore"},
        name="consultation_close",
    ),
    path("consultations/<slug:slug>/", views.consultation_detail, name="consultation"),
    path("consultations/<slug:slug>/contribuer/", views.contribution_create, name="contribute"),
    path("consultations/<slug:slug>/export.<str:fmt>", views.consultation_export, name="consultation_export"),
    path("contributions/<int:pk>/", views.contribution_detail, name="contribution"),
    path("contributions/<int:pk>/modifier/", views.contribution_edit, name="contribution_edit"),
    path("contributions/<int:pk>/soutenir/", views.contribution_support, name="support"),
    path("contributions/<int:pk>/commenter/", views.contribution_comment, name="comment"),
    path("contributions/<int:pk>/moderer/", views.contribution_moderate, name="moderate"),
    path("<slug:slug>/", views.programme_detail, name="programme"),
    path("<slug:slug>/mesures/<int:number>/", views.measure_detail, name="measure"),
]

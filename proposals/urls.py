from django.urls import include, path

from proposals import views
from proposals.views import amendments, texts, votes

app_name = "proposals"
# The orientation text of a consultation, under consultations/<slug>/texte/.
text_patterns = [
    path("", texts.text_detail, name="text"),
    path("creer/", texts.text_create, name="text_create"),
    path("modifier/", texts.text_edit, name="text_edit"),
    path("sections/nouvelle/", texts.section_edit, name="section_create"),
    path("sections/<int:number>/modifier/", texts.section_edit, name="section_edit"),
    path("sections/<int:number>/historique/", texts.section_history, name="section_history"),
    path("sections/<int:number>/amender/", amendments.amendment_create, name="amend"),
    path("amendements/clore/", amendments.amendments_close, name="amendments_close"),
    path("vote/", votes.vote_detail, name="vote"),
    path("vote/preparer/", votes.vote_prepare, name="vote_prepare"),
    path("vote/points/nouveau/", votes.point_create, name="point_create"),
    path("vote/ouvrir/", votes.vote_open, name="vote_open"),
    path("vote/voter/", votes.vote_cast, name="vote_cast"),
    path("adopte/", votes.adopted_text, name="adopted_text"),
    path("adopte.<str:fmt>", votes.adopted_text, name="adopted_text_export"),
    path("resultats.<str:fmt>", votes.tally_export, name="tally_export"),
    path("tracabilite.<str:fmt>", texts.trace_export, name="trace_export"),
]
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
    path("consultations/<slug:slug>/texte/", include(text_patterns)),
    path("amendements/<int:pk>/", amendments.amendment_detail, name="amendment"),
    path("amendements/<int:pk>/soutenir/", amendments.amendment_support, name="amendment_support"),
    path("amendements/<int:pk>/decider/", amendments.amendment_decide, name="amendment_decide"),
    path("tracabilite/", texts.trace, name="trace"),
    path("contributions/<int:pk>/", views.contribution_detail, name="contribution"),
    path("contributions/<int:pk>/modifier/", views.contribution_edit, name="contribution_edit"),
    path("contributions/<int:pk>/soutenir/", views.contribution_support, name="support"),
    path("contributions/<int:pk>/commenter/", views.contribution_comment, name="comment"),
    path("contributions/<int:pk>/moderer/", views.contribution_moderate, name="moderate"),
    path("<slug:slug>/", views.programme_detail, name="programme"),
    path("<slug:slug>/mesures/<int:number>/", views.measure_detail, name="measure"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from indicators.runs.health import health
from territories.web.login import ThrottledLoginView

urlpatterns = [
    path("sante/", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("connexion/", ThrottledLoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("offre/", include("offers.urls")),
    path("indicateurs/", include("indicators.urls")),
    path("programmes/", include("proposals.urls")),
    path("", include("territories.urls")),
]

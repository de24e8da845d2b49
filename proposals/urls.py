from django.urls import path
from django.views.generic import RedirectView

app_name = "proposals"
urlpatterns = [
    # Placeholder route, replaced by the programme pages.
    path("", RedirectView.as_view(url="/"), name="index"),
]

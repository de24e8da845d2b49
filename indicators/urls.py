from django.urls import path
from django.views.generic import RedirectView

app_name = "indicators"
urlpatterns = [
    # Placeholder route, replaced by the indicator pages.
    path("", RedirectView.as_view(url="/"), name="index"),
]

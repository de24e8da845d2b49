from django.urls import path
from django.views.generic import RedirectView

app_name = "offers"
urlpatterns = [
    # Placeholder routes, replaced by the registry pages.
    path("", RedirectView.as_view(url="/"), name="list"),
    path("<int:pk>/", RedirectView.as_view(url="/"), name="detail"),
]

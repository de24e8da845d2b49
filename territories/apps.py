from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires"

    def ready(self):
        from territories.web import checks  # noqa: F401 (registers the deployment checks)

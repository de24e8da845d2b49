"""Writes the SYNTHETIC samples used by the offers tests (hand-made, not real establishments).

* finess_etalab_synthetique.csv — the official etalab cs1100507 layout (header record, then
  ``structureet`` and ``geolocalisation`` records, ';'-separated, Lambert-93 coordinates). The
  FINESS numbers are invented but carry a valid Luhn key; coordinates are the interior points of
  real communes (IGN) reprojected to Lambert-93, so they fall inside their commune.
* annuaire_sante_synthetique.txt — the Annuaire santé « PS_LibreAcces_Personne_activite »
  layout ('|'-separated), invented practitioners.

Run: .venv/bin/python tests/data/offers/make_synthetic_samples.py
"""

from pathlib import Path

from pyproj import Transformer

HERE = Path(__file__).parent
TO_L93 = Transformer.from_crs(4326, 2154, always_xy=True)


def luhn_key(first8: str) -> str:
    for key in "0123456789":
        digits = first8 + key
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits
    raise AssertionError


# (FINESS ET prefix, EJ prefix, rs, dep, commune, categetab, libcateg, (lat, lon) or None, dateouv)
SITES = [
    (
        "23009001",
        "23009101",
        "MSP DE GUERET",
        "23",
        "096",
        "603",
        "Maison de santé (L.6223-3)",
        (46.15825, 1.86584),
        "2015-03-02",
    ),
    (
        "23009002",
        "23009102",
        "MSP DE LA SOUTERRAINE",
        "23",
        "176",
        "603",
        "Maison de santé (L.6223-3)",
        None,
        "2018-09-01",
    ),
    (
        "23009003",
        "23009103",
        "CPTS DU GRAND GUERET",
        "23",
        "096",
        "604",
        "Communauté professionnelle territoriale de santé",
        (46.1560, 1.8700),
        "2021-01-04",
    ),
    (
        "48009004",
        "48009104",
        "CENTRE DE SANTE DE MENDE",
        "48",
        "095",
        "124",
        "Centre de santé",
        (44.53508, 3.45884),
        "2012-06-11",
    ),
    (
        "48009005",
        "48009105",
        "MSP DE FLORAC",
        "48",
        "061",
        "603",
        "Maison de santé (L.6223-3)",
        (44.31889, 3.62299),
        "",
    ),
    (
        "75009006",
        "75009106",
        "CENTRE MUNICIPAL DE SANTE PARIS 12",
        "75",
        "112",
        "124",
        "Centre de santé",
        (48.83517, 2.44462),
        "2010-01-01",
    ),
]


def structure(et, ej, rs, dep, com, cat, lib, dateouv):
    fields = [
        et,
        ej,
        rs[:38],
        rs,
        "",
        "",
        "1",
        "R",
        "DE LA SANTE",
        "",
        "",
        com,
        dep,
        "",
        f"{dep}000 VILLE",
        "0555000000",
        "",
        cat,
        lib,
        "1200",
        "Établissements de soins",
        "",
        "8621Z",
        "",
        "",
        "",
        "",
        dateouv,
        "",
        "2024-01-10",
    ]
    assert len(fields) == 30
    return ";".join(["structureet", *fields])


def main():
    lines = ["finess;etalab;100;2024-01-15"]
    geos = []
    for et8, ej8, rs, dep, com, cat, lib, point, dateouv in SITES:
        et, ej = luhn_key(et8), luhn_key(ej8)
        lines.append(structure(et, ej, rs, dep, com, cat, lib, dateouv))
        if point is not None:
            x, y = TO_L93.transform(point[1], point[0])
            geos.append(
                f"geolocalisation;{et};{x:.1f};{y:.1f};1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2024-01-10"
            )
    (HERE / "finess_etalab_synthetique.csv").write_text("\n".join(lines + geos) + "\n", encoding="utf-8")

    header = [
        "Type d'identifiant PP",
        "Identifiant PP",
        "Identification nationale PP",
        "Nom d'exercice",
        "Prénom d'exercice",
        "Code profession",
        "Libellé profession",
        "Code savoir-faire",
        "Libellé savoir-faire",
        "Code mode exercice",
        "Code commune (coord. structure)",
        "Libellé commune (coord. structure)",
    ]
    rows = [
        # id, profession, savoir-faire, commune
        ("810000000001", "10", "SM54", "23096", "Guéret"),
        ("810000000002", "10", "SM54", "23096", "Guéret"),
        ("810000000002", "10", "SM54", "23176", "La Souterraine"),  # two sites: ½ each
        ("810000000003", "10", "SM53", "48095", "Mende"),
        ("810000000004", "10", "SM26", "48095", "Mende"),  # cardiologue: not a GP
        ("810000000005", "60", "", "48095", "Mende"),  # infirmier: not a GP
        ("810000000006", "10", "SM54", "75112", "Paris 12e"),
        ("810000000007", "10", "SM54", "75111", "Paris 11e"),
        ("810000000008", "10", "SM54", "", ""),  # no activity address
    ]
    out = ["|".join(header)]
    for pp, prof, sf, com, lib in rows:
        out.append("|".join(["8", pp, "8" + pp, "NOM", "Prénom", prof, "", sf, "", "L", com, lib]))
    (HERE / "annuaire_sante_synthetique.txt").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

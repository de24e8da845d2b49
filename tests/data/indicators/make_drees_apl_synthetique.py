"""Write ``drees_apl_synthetique.xlsx``: a hand-made SYNTHETIC sample in the layout of the DREES
« APL aux médecins généralistes » workbook (one sheet per millésime, title and note rows above the
header, one row per commune, a source note under the table). The values are invented.

The real file is not available offline; this sample only exercises the importer. Run:
``.venv/bin/python tests/data/indicators/make_drees_apl_synthetique.py``.
"""

from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).with_name("drees_apl_synthetique.xlsx")
WARNING = "ÉCHANTILLON SYNTHÉTIQUE — valeurs inventées pour les tests du portail, au format de la DREES"

# code (as Excel would store it), commune, APL, APL ≤ 65 ans, APL ≤ 62 ans, pop. standardisée, pop. totale
ROWS_2022 = [
    ("23096", "Guéret", 4.1, 3.6, 3.2, 13210.5, 12955),
    ("23008", "Aubusson", 3.4, 2.9, 2.5, 3510.2, 3297),
    ("23085", "Gouzon (ancienne commune)", 2.0, 1.8, 1.5, 1200.0, 1180),  # merged into 23093
    ("23094", "Gouzon - Lavaveix (ancienne commune)", 3.0, 2.6, 2.4, 400.0, 390),  # merged into 23093
    ("48095", "Mende", 4.6, 4.0, 3.7, 12400.3, 12269),
    ("48052", "Altier (ancien code)", 1.2, 1.0, 0.8, 215.0, 213),  # merged into 48004
    (75101, "Paris 1er Arrondissement", 5.2, 4.8, 4.4, 15800.0, 15917),
    (75115, "Paris 15e Arrondissement", 3.9, 3.5, 3.1, 228000.0, 227746),
    (1001, "L'Abergement-Clémenciat", 2.7, 2.3, 2.0, 790.0, 779),  # Ain: outside the test slice
]
ROWS_2021 = [
    ("23096", "Guéret", 4.3, 3.8, None, 13300.0, 13044),
    ("48095", "Mende", 4.4, 3.9, None, 12350.0, 12232),
]


def sheet(workbook, title, year, rows, with_62=True, all_ages="APL aux médecins généralistes"):
    ws = workbook.create_sheet(title)
    ws.append([WARNING])
    ws.append([f"Indicateur d'accessibilité potentielle localisée (APL) aux médecins généralistes en {year}"])
    ws.append(["Unité : nombre de consultations/visites accessibles par habitant standardisé et par an"])
    ws.append([])
    header = ["Code commune INSEE", "Commune", all_ages, "APL aux médecins généralistes de 65 ans et moins"]
    if with_62:
        header.append("APL aux médecins généralistes de 62 ans et moins")
    header += [
        f"Population standardisée {year - 2} pour la médecine générale",
        f"Population totale {year - 2}",
    ]
    ws.append(header)
    for code, name, apl, apl65, apl62, pop_std, pop in rows:
        ws.append([code, name, apl, apl65] + ([apl62] if with_62 else []) + [pop_std, pop])
    ws.append([])
    ws.append([f"Source : {WARNING.lower()} (aucune donnée réelle)."])


def main():
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Présentation"
    notes.append([WARNING])
    notes.append(
        ["Ce classeur imite la mise en forme du fichier de la DREES ; il ne contient aucune donnée réelle."]
    )
    sheet(workbook, "APL 2022", 2022, ROWS_2022)
    sheet(
        workbook,
        "APL 2021",
        2021,
        ROWS_2021,
        with_62=False,
        all_ages="APL aux médecins généralistes (sans borne d'âge)",
    )
    workbook.save(OUT)


if __name__ == "__main__":
    main()

"""Cut small real slices (Creuse 23, Lozère 48, Paris 75) out of fixtures/territories for the tests.

Run from the project root: .venv/bin/python tests/data/make_territory_slices.py
The slices are real data (same licences as fixtures/territories/README.md), only fewer rows.
"""

import csv
import gzip
import io
import json
import lzma
from pathlib import Path

SRC = Path("fixtures/territories")
DST = Path("tests/data/territories")
DEPS = {"23", "48", "75"}


def main():
    DST.mkdir(parents=True, exist_ok=True)
    regions = json.loads((SRC / "regions.json").read_text())
    deps = [d for d in json.loads((SRC / "departements.json").read_text()) if d["code"] in DEPS]
    regs = {d["region"] for d in deps}
    (DST / "regions.json").write_text(
        json.dumps([r for r in regions if r["code"] in regs], ensure_ascii=False, indent=0)
    )
    (DST / "departements.json").write_text(json.dumps(deps, ensure_ascii=False, indent=0))
    communes = [
        c for c in json.loads(lzma.open(SRC / "communes.json.xz").read()) if c.get("departement") in DEPS
    ]
    codes = {c["code"] for c in communes}
    with lzma.open(DST / "communes.json.xz", "wt") as fh:
        json.dump(communes, fh, ensure_ascii=False)
    epcis = [
        e
        for e in json.loads(lzma.open(SRC / "epci.json.xz").read())
        if any(m["code"] in codes for m in e["membres"])
    ]
    for e in epcis:
        e["membres"] = [m for m in e["membres"] if m["code"] in codes]
    with lzma.open(DST / "epci.json.xz", "wt") as fh:
        json.dump(epcis, fh, ensure_ascii=False)
    rows = list(
        csv.DictReader(io.TextIOWrapper(gzip.open(SRC / "table_appartenance_com_2024.csv.gz"), "utf-8"))
    )
    keep = [r for r in rows if r["DEP"] in DEPS]
    with gzip.open(DST / "table_appartenance_com_2024.csv.gz", "wt", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(keep)
    bvs = {r["BV2022"] for r in keep}
    labels = list(csv.DictReader(open(SRC / "bassins_de_vie_2022_libelles.csv", encoding="utf-8")))
    with open(DST / "bassins_de_vie_2022_libelles.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(labels[0]))
        writer.writeheader()
        writer.writerows(r for r in labels if r["BV2022"] in bvs)
    points = list(csv.DictReader(io.TextIOWrapper(gzip.open(SRC / "communes_centroides.csv.gz"), "utf-8")))
    with gzip.open(DST / "communes_centroides.csv.gz", "wt", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(points[0]))
        writer.writeheader()
        writer.writerows(r for r in points if r["code_insee"][:2] in DEPS)
    geo = json.loads(lzma.open(SRC / "communes_contours_simplifies.geojson.xz").read())
    geo["features"] = [f for f in geo["features"] if f["properties"]["code"][:2] in DEPS]
    with lzma.open(DST / "communes_contours_simplifies.geojson.xz", "wt") as fh:
        json.dump(geo, fh)
    print(
        f"{len(communes)} communes, {len(epcis)} EPCI, {len(keep)} supracom rows, "
        f"{len(geo['features'])} contours"
    )


if __name__ == "__main__":
    main()

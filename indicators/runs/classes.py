"""Stage « classement » of a run: the APL classes of every mesh and the emergency flags, with the ARS
zonage beside them.
"""

import numpy as np
import pandas as pd

from indicators.models import ClassificationRule
from indicators.runs.aggregation import aggregate


def mesh_classes(atoms, apl: np.ndarray, rule: ClassificationRule, levels: dict) -> tuple[pd.DataFrame, dict]:
    """The class of each commune's territoire de vie-santé, as the ARS zonage decides it.

    The APL of a TVS is the population-weighted mean of its communes' APL; the whole TVS is
    classed with the rule's thresholds. Without any TVS loaded, the bassin de vie 2022 stands in
    (the stated approximation). Returns a frame indexed by commune code (``mesh_zone``,
    ``mesh_apl``, ``mesh_class``) and the description stored on the run. The bassin de vie APL is
    the one ``levels`` already holds.
    """
    frame = atoms.frame[["code", "parent", "tvs", "bassin_de_vie", "population"]].copy()
    frame["apl_mg"] = apl
    source = "tvs" if frame["tvs"].notna().any() else "bassin_de_vie"
    if source == "tvs":
        means = aggregate(frame, source, ["apl_mg"])["apl_mg"]
    else:
        means = levels["bassin-de-vie"]["apl_mg"]
    zone = frame[source]
    known = zone.isin(means.index).to_numpy()
    mesh = pd.DataFrame(
        {
            "mesh_zone": zone[known].astype(str).to_numpy(),
            "mesh_apl": zone[known].map(means).to_numpy(dtype=float),
        },
        index=pd.Index(frame["code"][known].to_numpy(), name="code"),
    )
    # A commune with arrondissements (Paris, Lyon, Marseille) takes the mesh of its arrondissements
    # when they share one.
    shared = frame[frame["parent"].notna()].groupby("parent")[source].agg(lambda z: set(z.dropna()))
    shared = shared[shared.map(len) == 1].map(lambda z: next(iter(z)))
    parents = pd.DataFrame(
        {"mesh_zone": shared.astype(str).to_numpy(), "mesh_apl": shared.map(means).to_numpy(dtype=float)},
        index=pd.Index(shared.index.to_numpy(), name="code"),
    )
    mesh = pd.concat([mesh, parents])
    mesh["mesh_class"] = rule.classify_apls(mesh["mesh_apl"])
    described = {
        "rule_version": rule.version,
        "underserved_below": rule.underserved_below,
        "fragile_below": rule.fragile_below,
        "mesh": rule.mesh,
        "mesh_source": source,
        "mesh_text": "territoire de vie-santé"
        if source == "tvs"
        else "bassin de vie 2022 (approximation des territoires de vie-santé, non importés)",
        "mesh_zones": len(means),
        "communes_without_mesh": int((~known).sum()),
    }
    return mesh, described


CLASS_COLUMNS = [
    "level",
    "zone_code",
    "apl_class",
    "emergency_far",
    "ars_zone",
    "zrr",
    "mesh_zone",
    "mesh_apl",
    "mesh_class",
]


def classify(levels, rule: ClassificationRule, zoning: dict, mesh: pd.DataFrame | None = None):
    """Classification rows of every level (commune and every zone level), vectorised per level:
    one frame with the columns of ``Classification`` (``CLASS_COLUMNS``).

    Commune rows carry the class of their TVS (``mesh``, see :func:`mesh_classes`); with a rule
    whose mesh is « tvs » that class is the commune's class too (its own APL stays stored)."""
    on_tvs = rule.mesh == ClassificationRule.Mesh.TVS
    parts = []
    for level, frame in levels.items():
        codes = frame.index.astype(str)
        apl_class = rule.classify_apls(frame["apl_mg"])
        if level == "commune":
            measure = frame["temps_urgences"].to_numpy(dtype=float)
            far = measure > rule.emergency_minutes
        else:
            measure = frame["part_pop_urgences_30min"].to_numpy(dtype=float)
            far = measure >= rule.emergency_share
        part = pd.DataFrame(
            {
                "level": level,
                "zone_code": codes,
                "apl_class": apl_class,
                "emergency_far": np.where(np.isnan(measure), None, far).tolist(),  # Python bools
                "ars_zone": "",
                "zrr": "",
                "mesh_zone": "",
                "mesh_apl": np.nan,
                "mesh_class": "",
            }
        )
        if level == "commune":
            if mesh is not None and len(mesh):
                rows = mesh.reindex(codes)
                found = rows["mesh_zone"].notna().to_numpy()
                part.loc[found, "mesh_zone"] = rows["mesh_zone"].to_numpy()[found]
                part.loc[found, "mesh_apl"] = rows["mesh_apl"].to_numpy()[found]
                part.loc[found, "mesh_class"] = rows["mesh_class"].to_numpy()[found]
                if on_tvs:
                    part.loc[found, "apl_class"] = rows["mesh_class"].to_numpy()[found]
            zoned = [zoning.get(code, ("", "")) for code in codes]
            part["ars_zone"] = [zone or "" for zone, _ in zoned]
            part["zrr"] = [zrr or "" for _, zrr in zoned]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[CLASS_COLUMNS]


COUNTED_LEVELS = ("departement", "region")


def zone_class_counts(atoms_frame: pd.DataFrame, classes: pd.DataFrame) -> dict:
    """How many computed communes of each département and région fall in each class, stored in
    the run's summary (``{level: {code: [[apl_class, emergency_far, n], …]}}``): a région page
    reads its counts there instead of counting thousands of rows of the run at every visit."""
    communes = classes[classes["level"] == "commune"].set_index("zone_code")
    frame = atoms_frame[["code", *COUNTED_LEVELS]].copy()
    frame["apl_class"] = frame["code"].map(communes["apl_class"]).fillna("")
    far = frame["code"].map(communes["emergency_far"])
    frame["far"] = far.map({True: "1", False: "0"}).fillna("")
    out = {}
    for level in COUNTED_LEVELS:
        sizes = frame[frame["apl_class"] != ""].groupby([level, "apl_class", "far"]).size()
        counts = {}
        for (code, apl_class, flag), n in sizes.items():
            counts.setdefault(str(code), []).append([apl_class, {"1": True, "0": False}.get(flag), int(n)])
        out[level] = counts
    return out

"""The inputs of a computation, read from territories and offers (never written here).

The computation set ("atoms") is every active commune without arrondissements plus every
arrondissement municipal (Paris, Lyon, Marseille): health data (SIRENE, FINESS) are given by
arrondissement, so the engine runs on arrondissements and the parent commune (75056, 69123,
13055) receives the population-weighted aggregate of its arrondissements, like any other zone.
Nothing is counted twice.
"""

import dataclasses
import functools

import numpy as np
import pandas as pd

from indicators.models import TravelTime
from offers.models import GPSupply
from territories.models import Commune, Dataset, lon_lat


@dataclasses.dataclass
class Atoms:
    """The communes the engine runs on, in a fixed order (index = engine index)."""

    frame: (
        pd.DataFrame
    )  # code, name, kind, parent, departement, region, epci, bassin_de_vie, population, lon, lat
    parents: pd.DataFrame  # code, name of communes replaced by their arrondissements

    @property
    def codes(self):
        return self.frame["code"].to_numpy()

    @functools.cached_property
    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.frame["code"])}

    def positions(self, codes) -> np.ndarray:
        """Engine index of each code (-1 for a code that is not an atom), vectorised."""
        return pd.Index(self.frame["code"]).get_indexer(pd.Index(codes, dtype=object))

    def __len__(self):
        return len(self.frame)


def load_atoms() -> Atoms:
    # Coordinates read as numbers by the database (ST_X / ST_Y on PostGIS and SpatiaLite), never
    # through 35,000 GEOS objects.
    rows = list(
        Commune.objects.filter(is_active=True, point__isnull=False)
        .order_by("code")
        .annotate(**lon_lat("point"))
        .values_list(
            "code",
            "name",
            "kind",
            "parent_id",
            "departement_id",
            "departement__region_id",
            "epci_id",
            "bassin_de_vie_id",
            "population",
            "tvs_id",
            "lon",
            "lat",
            "area_km2",
        )
    )
    frame = pd.DataFrame(
        rows,
        columns=[
            "code",
            "name",
            "kind",
            "parent",
            "departement",
            "region",
            "epci",
            "bassin_de_vie",
            "population",
            "tvs",
            "lon",
            "lat",
            "area_km2",
        ],
    )
    with_arm = set(frame.loc[frame["kind"] == Commune.Kind.ARRONDISSEMENT, "parent"].dropna())
    parents = frame[frame["code"].isin(with_arm)][["code", "name"]].reset_index(drop=True)
    frame = frame[~frame["code"].isin(with_arm)].reset_index(drop=True)
    frame["population"] = frame["population"].fillna(0).astype(float)
    return Atoms(frame=frame, parents=parents)


def gp_supply():
    """(DataFrame[commune_code, headcount, fte, share_aged_60_plus], Dataset | None), via offers.api."""
    from offers.api import current_gp_supply

    frame, dataset = current_gp_supply(include_arrondissements=True)
    return without_parent_sums(frame), dataset


def without_parent_sums(frame):
    """Drop the rows of communes (75056…) whose arrondissements have their own rows: they are sums."""
    if frame.empty:
        return frame
    # The 45 arrondissements, not an IN list of every commune of the frame.
    arrondissements = Commune.objects.filter(kind=Commune.Kind.ARRONDISSEMENT)
    arm_parents = dict(arrondissements.values_list("code", "parent_id"))
    listed = frame["commune_code"].isin(list(arm_parents))
    parents = {arm_parents[code] for code in frame.loc[listed, "commune_code"]}
    return frame[~frame["commune_code"].isin(parents)].reset_index(drop=True)


def supply_of_dataset(dataset_id):
    from offers.api import GP_COLUMNS, GP_FIELDS

    rows = GPSupply.objects.filter(dataset_id=dataset_id).values_list(*GP_FIELDS, "ages")
    return without_parent_sums(pd.DataFrame(list(rows), columns=[*GP_COLUMNS, "ages"]))


def emergency_sites() -> pd.DataFrame:
    from offers.api import emergency_sites as sites

    return sites()


def zoning() -> dict:
    """Commune code → (ARS zone, ZRR text) from offers."""
    from offers.api import current_zoning

    labels = {True: "ZRR", False: "hors ZRR", None: ""}
    return {code: (zone or "", labels.get(zrr, str(zrr))) for code, (zone, zrr) in current_zoning().items()}


def emergency_datasets(sites: pd.DataFrame) -> list[Dataset]:
    """Datasets behind the emergency sites: registry offers, and SIRENE when pôles hospitaliers are used."""
    from offers.api import emergency_site_datasets

    return emergency_site_datasets(sites)


def matrix_dataset() -> Dataset | None:
    """The dataset of the imported time matrix, if one is loaded (it then replaces the estimate)."""
    dataset_id = (
        TravelTime.objects.filter(is_active=True)
        .order_by("-dataset__started_at")
        .values_list("dataset_id", flat=True)
        .first()
    )
    return Dataset.objects.filter(pk=dataset_id).first() if dataset_id else None


def matrix_arrays(index: dict[str, int]):
    """Imported times as (origins, destinations, minutes) engine indices (the engine adds the diagonal)."""
    rows = TravelTime.objects.filter(is_active=True).values_list("origin", "destination", "minutes")
    origins, destinations, minutes = [], [], []
    for origin, destination, value in rows.iterator(chunk_size=20000):
        o, d = index.get(origin), index.get(destination)
        if o is None or d is None:
            continue
        origins.append(o)
        destinations.append(d)
        minutes.append(value)
    return (
        np.asarray(origins, dtype=np.int64),
        np.asarray(destinations, dtype=np.int64),
        np.asarray(minutes, dtype=float),
    )

"""Geometries (GeoJSON, GeoPackage, shapefile) read in WGS84, with their declared coordinate system
checked.
"""

import io
import json
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from territories.importing import files
from territories.importing.contract import ImportRejected, import_cap, note_ignored_columns, note_reading
from territories.importing.files import (
    MAX_RATIO,
    RATIO_FLOOR,
    _n,
    open_payload,
    sniff_text,
)

WGS84_EPSG = 4326


def _gpkg_to_geojson(name: str, source: Path) -> Path:
    """A GeoPackage is an SQLite file: GDAL's SQLite must not run beside the SpatiaLite already
    loaded in this process (the embedded default), they crash each other. A child process converts
    it to GeoJSON (with its CRS), read here like any GeoJSON."""
    import subprocess
    import sys

    target = source.with_suffix(".geojson")
    script = (
        "import sys, warnings, pyogrio; warnings.simplefilter('ignore'); "
        "pyogrio.write_dataframe(pyogrio.read_dataframe(sys.argv[1]), sys.argv[2], driver='GeoJSON')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(source), str(target)], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["erreur inconnue"])[-1]
        last = re.sub(r"^[\w.]*(Error|Exception): ", "", last)  # the reason, not the class
        last = last.rsplit("; ", 1)[-1] if "failed: " in last else last
        raise ImportRejected.single(name, f"GeoPackage illisible ou tronqué ({last[:300]})")
    return target


def _declares_crs(name: str, text: str) -> bool:
    """Whether a GeoJSON text carries a top-level « crs » member (parsed, not searched)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected.single(
            name, f"GeoJSON illisible ou tronqué : {exc.msg}", line=exc.lineno
        ) from exc
    return isinstance(data, dict) and isinstance(data.get("crs"), dict)


def read_geo(path: Path, *, required: list[str], optional: Iterable[str] = ()):
    """Read a vector file (GeoJSON, GeoPackage, zipped Shapefile) into a GeoDataFrame in WGS84.

    The declared CRS is honoured (reprojected with pyproj); metric coordinates with no declared
    CRS are refused with how to declare it. ``required`` attributes must be present; the
    properties neither required nor ``optional`` are reported as ignored (``colonnes_ignorees``).
    """
    import pyogrio

    payload = open_payload(Path(path))
    name = payload.name
    notes = dict(payload.notes)
    declared_crs = True
    try:
        with tempfile.TemporaryDirectory() as directory:
            if payload.kind == "shapefile":
                source = _extract_shapefile(name, payload, directory)
            else:
                suffix = {"gpkg": ".gpkg", "text": ".geojson"}.get(payload.kind, ".dat")
                data = payload.data
                if payload.kind == "text":
                    text, encoding = sniff_text(name, payload.data)
                    notes.update(format="GeoJSON", encodage=encoding)
                    # parsed (3 s for France) only when a « crs » may be there; a broken file
                    # is parsed below for the line of its error
                    declared_crs = '"crs"' in text and _declares_crs(name, text)
                    data = text.encode("utf-8")
                else:
                    notes.setdefault("format", "GeoPackage")
                source = Path(directory) / f"data{suffix}"
                source.write_bytes(data)
                if payload.kind == "gpkg":
                    source = _gpkg_to_geojson(name, source)
            with warnings.catch_warnings():  # GDAL's warnings on broken files: the refusal says it
                warnings.simplefilter("ignore")
                frame = pyogrio.read_dataframe(source)
    except ImportRejected:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError & co for truncated or invalid files
        if payload.kind == "text":
            _declares_crs(name, sniff_text(name, payload.data)[0])  # the JSON error and its line
        raise ImportRejected.single(name, f"fichier géographique illisible ou tronqué ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ImportRejected.single(
            name,
            f"propriété(s) « {', '.join(missing)} » manquante(s) dans les objets ; propriétés trouvées : "
            f"{', '.join(c for c in frame.columns if c != 'geometry')[:200] or 'aucune'}",
        )
    declared = frame.crs.to_epsg() if frame.crs is not None else None
    bounds = frame.total_bounds if len(frame) else np.zeros(4)
    # Degrees never pass a few hundred: beyond 1,000 the coordinates are metres (or feet). A few
    # objects out of the WGS84 bounds are refused one by one by the importer, not here.
    in_degrees = bool(np.all(np.abs(bounds) <= 1000))
    # GDAL guesses Lambert-93 for metric GeoJSON without a « crs » member: a guess is not a declaration.
    if (declared in (None, WGS84_EPSG) or not declared_crs) and not in_degrees:
        raise ImportRejected.single(
            name,
            f"coordonnées métriques (jusqu’à x = {_n(round(bounds[2]))}, y = {_n(round(bounds[3]))}) "
            "sans système de coordonnées déclaré : déclarez-le (GeoJSON : membre « crs », par exemple "
            '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}} pour le '
            "Lambert-93 ; ou livrez un GeoPackage ou un Shapefile avec son .prj), ou reprojetez en WGS84 "
            "(EPSG:4326)",
        )
    if frame.crs is not None and declared != WGS84_EPSG:
        shown = f"EPSG:{declared}" if declared else frame.crs.name
        try:
            frame = frame.to_crs(WGS84_EPSG)
        except Exception as exc:  # noqa: BLE001 — pyproj errors are many; the message says which CRS
            raise ImportRejected.single(name, f"reprojection impossible depuis {shown} ({exc})") from exc
        notes["reprojete_depuis"] = shown
        frame.attrs["reprojected"] = shown
    for column in required:
        frame[column] = frame[column].astype(str).str.strip()
    note_reading(name, notes)
    note_ignored_columns(name, frame.columns, [*required, *optional, frame.geometry.name])
    frame.attrs["name"] = name
    return frame


def _extract_shapefile(name, payload, directory) -> Path:
    """The parts of a zipped Shapefile written to ``directory``, within the decompression limits."""
    archive = zipfile.ZipFile(io.BytesIO(payload.data))
    declared = sum(member.file_size for member in archive.infolist())
    cap = import_cap("MAX_DECOMPRESSED_BYTES", files.MAX_DECOMPRESSED_BYTES)
    if declared > cap or declared > MAX_RATIO * max(len(payload.data), RATIO_FLOOR):
        raise ImportRejected.single(
            name,
            "archive refusée : son contenu décompressé dépasse les limites (archive piégée ?)",
        )
    archive.extractall(directory)  # member paths are sanitised by zipfile
    return Path(directory) / payload.inner

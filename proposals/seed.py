"""Load the seed programmes (``fixtures/proposals/programmes.json``) under the import contract.

* Every measure and fact is checked against the source text it cites: its title and its quote must
  appear in the cited file (``fixtures/proposals/sources/``), whitespace and apostrophes aside.
  Anything else refuses the whole file (file, field, reason), nothing written.
* Idempotent: rows are keyed (source key, programme slug, programme + number…); a re-run on the
  same file writes nothing. Rows absent from a new file are left in place (never deleted).
* Atomic, recorded as a :class:`territories.models.Dataset`, ``dry_run`` rolls back.
"""

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from proposals.indicators import is_known_indicator
from proposals.models import Axis, Consultation, Fact, Measure, Programme, SourceDocument, WorkingGroup
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    file_checksum,
    run_import,
)

SEED_DIR = Path(settings.FIXTURES_DIR) / "proposals"
SEED_FILE = SEED_DIR / "programmes.json"
SOURCES_DIR = SEED_DIR / "sources"
FORMAT = "sante-territoires/programmes@1"

SOURCE_INFO = SourceInfo(
    source="proposals-programmes",
    title="Programmes et mesures de lutte contre les déserts médicaux (textes sources)",
    licence="Citations courtes de textes publics (droit de citation, art. L122-5 CPI) ; "
    "saisie Santé & Territoires sous Licence Ouverte 2.0",
    millesime="2012-2026",
    publisher="Santé & Territoires, d’après les textes du Gouvernement, du Parti socialiste et de La France "
    "insoumise",
)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "\u00a0": " ", "\u202f": " ", "*": ""})


def normalize(text: str) -> str:
    """Text as compared with the sources: apostrophes unified, markup and whitespace runs dropped."""
    return re.sub(r"\s+", " ", text.translate(_APOSTROPHES)).strip().casefold()


def source_texts(sources_dir: Path = SOURCES_DIR) -> dict[str, str]:
    return {p.name: normalize(p.read_text(encoding="utf-8")) for p in sorted(sources_dir.glob("*.txt"))}


def _date(value):
    return date.fromisoformat(value) if value else None


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _choices(model_choices):
    return {value for value, _label in model_choices}


def validate(data: dict, file_name: str, texts: dict[str, str]) -> None:
    """Raise ImportRejected listing every problem of the seed file."""
    problems = []

    def problem(field, reason):
        problems.append(Problem(file_name, None, field, reason))

    if data.get("format") != FORMAT:
        problem("format", f"format attendu « {FORMAT} »")
    sources = {}
    for i, src in enumerate(data.get("sources", [])):
        where = f"sources[{i}]"
        for key in ("key", "file_name", "title", "author", "date_text"):
            if not src.get(key):
                problem(f"{where}.{key}", "champ obligatoire manquant")
        if src.get("file_name") not in texts:
            problem(f"{where}.file_name", f"texte source introuvable : {src.get('file_name')}")
        original = src.get("original_name", "")
        if not isinstance(original, str) or len(original) > 200:
            problem(f"{where}.original_name", "nom d’origine : texte de 200 caractères au plus")
        elif any(c in original for c in "/\\") or any(ord(c) < 32 for c in original):
            problem(f"{where}.original_name", "nom d’origine : ni chemin (/ ou \\) ni caractère de contrôle")
        sources[src.get("key")] = src
    themes, levers = _choices(Measure.Theme.choices), _choices(Measure.Lever.choices)
    statuses, directions = _choices(Measure.Status.choices), _choices(Measure.Direction.choices)
    kinds, fact_kinds = _choices(Programme.AuthorKind.choices), _choices(Fact.Kind.choices)
    slugs = set()
    for i, prog in enumerate(data.get("programmes", [])):
        where = f"programmes[{i}]"
        slugs.add(prog.get("slug"))
        for key in ("slug", "title", "author", "author_kind", "date_text", "source"):
            if not prog.get(key):
                problem(f"{where}.{key}", "champ obligatoire manquant")
        if prog.get("author_kind") not in kinds:
            problem(f"{where}.author_kind", f"type d’auteur inconnu : {prog.get('author_kind')}")
        src = sources.get(prog.get("source"))
        if src is None:
            problem(f"{where}.source", f"document source inconnu : {prog.get('source')}")
            continue
        text = texts.get(src["file_name"], "")
        axes = {a["number"] for a in prog.get("axes", [])}
        for a, axis in enumerate(prog.get("axes", [])):
            if normalize(axis["title"]) not in text:
                problem(f"{where}.axes[{a}].title", f"absent du texte source {src['file_name']}")
        seen = set()
        for f, fact in enumerate(prog.get("facts", [])):
            fwhere = f"{where}.facts[{f}]"
            if fact.get("kind", "fait") not in fact_kinds:
                problem(f"{fwhere}.kind", f"type inconnu : {fact.get('kind')}")
            if normalize(fact.get("quote", "")) not in text or not fact.get("quote"):
                problem(f"{fwhere}.quote", f"citation absente du texte source {src['file_name']}")
            if fact.get("indicator_code") and not is_known_indicator(fact["indicator_code"]):
                problem(f"{fwhere}.indicator_code", f"indicateur inconnu : {fact['indicator_code']}")
        for m, measure in enumerate(prog.get("measures", [])):
            mwhere = f"{where}.measures[{m}]"
            if measure.get("number") in seen:
                problem(f"{mwhere}.number", f"numéro en double : {measure.get('number')}")
            seen.add(measure.get("number"))
            for key in ("title", "quote", "target_text"):
                if measure.get(key) and normalize(measure[key]) not in text:
                    problem(f"{mwhere}.{key}", f"absent du texte source {src['file_name']}")
            if not measure.get("title") or not measure.get("quote"):
                problem(mwhere, "intitulé et citation obligatoires")
            if measure.get("axis") is not None and measure["axis"] not in axes:
                problem(f"{mwhere}.axis", f"axe inconnu : {measure['axis']}")
            for key, allowed in (("theme", themes), ("lever", levers), ("status", statuses)):
                if measure.get(key) not in allowed:
                    problem(f"{mwhere}.{key}", f"valeur inconnue : {measure.get(key)}")
            if measure.get("target_direction", "au_moins") not in directions:
                problem(f"{mwhere}.target_direction", "sens inconnu")
            if measure.get("indicator_code") and not is_known_indicator(measure["indicator_code"]):
                problem(f"{mwhere}.indicator_code", f"indicateur inconnu : {measure['indicator_code']}")
            if measure.get("target_value") is not None and not measure.get("target_unit"):
                problem(f"{mwhere}.target_unit", "une cible chiffrée doit avoir une unité")
    for g, group in enumerate(data.get("working_groups", [])):
        if group.get("programme") and group["programme"] not in slugs:
            problem(f"working_groups[{g}].programme", f"programme inconnu : {group['programme']}")
        for c, consultation in enumerate(group.get("consultations", [])):
            if consultation["closes_at"] <= consultation["opens_at"]:
                problem(f"working_groups[{g}].consultations[{c}]", "la clôture doit suivre l’ouverture")
    if problems:
        raise ImportRejected(problems)


def _sync(model, key_fields, rows, counts: SyncCounts) -> dict:
    """Diff-based bulk upsert of ``rows`` (dicts of attnames) keyed by ``key_fields``; returns key → obj."""
    objects = {tuple(getattr(o, f) for f in key_fields): o for o in model.objects.all()}
    to_create, to_update, changed_fields = [], [], set()
    for row in rows:
        key = tuple(row[f] for f in key_fields)
        obj = objects.get(key)
        if obj is None:
            obj = model(**row)
            to_create.append(obj)
            objects[key] = obj
            counts.created += 1
            continue
        changed = [f for f, value in row.items() if getattr(obj, f) != value]
        if changed:
            for f in changed:
                setattr(obj, f, row[f])
            changed_fields.update(changed)
            to_update.append(obj)
            counts.updated += 1
        else:
            counts.unchanged += 1
    if to_create:
        model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields))
    return objects


def load_programmes(path: Path = SEED_FILE, sources_dir: Path = SOURCES_DIR, dry_run: bool = False):
    path, sources_dir = Path(path), Path(sources_dir)
    source_files = sorted(sources_dir.glob("*.txt"))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ImportRejected.single(path.name, "fichier introuvable") from exc
    except json.JSONDecodeError as exc:
        raise ImportRejected.single(path.name, f"JSON invalide : {exc.msg}", line=exc.lineno) from exc
    texts = source_texts(sources_dir)

    def work(dataset):
        validate(data, path.name, texts)  # inside the run: a refusal is recorded as a failed dataset
        counts = SyncCounts()
        dataset.rows_read = sum(
            1 + len(p.get("axes", [])) + len(p.get("facts", [])) + len(p.get("measures", []))
            for p in data["programmes"]
        ) + len(data["sources"])
        docs = _sync_sources(data, sources_dir, counts)
        prog_id = _sync_programmes(data, docs, counts)
        axes = _sync_axes_and_facts(data, prog_id, counts)
        measures = _sync_measures(data, prog_id, axes, counts)
        _sync_groups(data, prog_id, measures, counts)
        dataset.report = {
            "programmes": len(data["programmes"]),
            "mesures": sum(len(p.get("measures", [])) for p in data["programmes"]),
            "faits": sum(len(p.get("facts", [])) for p in data["programmes"]),
            "sources": [s["file_name"] for s in data["sources"]],
        }
        return counts

    return run_import(SOURCE_INFO, [path, *source_files], work, dry_run=dry_run)


def _sync_sources(data, sources_dir, counts):
    return _sync(
        SourceDocument,
        ["key"],
        [
            {
                "key": s["key"],
                "file_name": s["file_name"],
                "original_name": s.get("original_name", ""),
                "title": s["title"],
                "author": s["author"],
                "date": _date(s.get("date")),
                "date_text": s["date_text"],
                "note": s.get("note", ""),
                "checksum": file_checksum(sources_dir / s["file_name"]),
            }
            for s in data["sources"]
        ],
        counts,
    )


def _sync_programmes(data, docs, counts) -> dict:
    """The programmes; returns slug → primary key."""
    programmes = _sync(
        Programme,
        ["slug"],
        [
            {
                "slug": p["slug"],
                "title": p["title"],
                "author": p["author"],
                "author_kind": p["author_kind"],
                "date": _date(p.get("date")),
                "date_text": p["date_text"],
                "summary": p.get("summary", ""),
                "source_id": docs[(p["source"],)].pk,
                "order": p.get("order", 0),
                "item_label": p.get("item_label", "mesure"),
            }
            for p in data["programmes"]
        ],
        counts,
    )
    return {slug: programmes[(slug,)].pk for slug in (p["slug"] for p in data["programmes"])}


def _sync_axes_and_facts(data, prog_id, counts):
    axes = _sync(
        Axis,
        ["programme_id", "number"],
        [
            {"programme_id": prog_id[p["slug"]], "number": a["number"], "title": a["title"]}
            for p in data["programmes"]
            for a in p.get("axes", [])
        ],
        counts,
    )
    _sync(
        Fact,
        ["programme_id", "number"],
        [
            {
                "programme_id": prog_id[p["slug"]],
                "number": f["number"],
                "kind": f.get("kind", Fact.Kind.FACT),
                "quote": f["quote"],
                "value": _decimal(f.get("value")),
                "unit": f.get("unit", ""),
                "date": _date(f.get("date")),
                "date_text": f.get("date_text", ""),
                "indicator_code": f.get("indicator_code", ""),
            }
            for p in data["programmes"]
            for f in p.get("facts", [])
        ],
        counts,
    )
    return axes


def _sync_measures(data, prog_id, axes, counts):
    return _sync(
        Measure,
        ["programme_id", "number"],
        [
            {
                "programme_id": prog_id[p["slug"]],
                "axis_id": axes[(prog_id[p["slug"]], m["axis"])].pk if m.get("axis") else None,
                "number": m["number"],
                "title": m["title"],
                "quote": m["quote"],
                "theme": m["theme"],
                "lever": m["lever"],
                "status": m["status"],
                "target_text": m.get("target_text", ""),
                "target_value": _decimal(m.get("target_value")),
                "target_unit": m.get("target_unit", ""),
                "target_direction": m.get("target_direction", Measure.Direction.AT_LEAST),
                "target_note": m.get("target_note", ""),
                "deadline": _date(m.get("deadline")),
                "deadline_text": m.get("deadline_text", ""),
                "indicator_code": m.get("indicator_code", ""),
                "indicator_note": m.get("indicator_note", ""),
            }
            for p in data["programmes"]
            for m in p.get("measures", [])
        ],
        counts,
    )


def _sync_groups(data, prog_id, measures, counts):
    """Working groups, their consultations and the measures each consultation is about."""
    groups = _sync(
        WorkingGroup,
        ["slug"],
        [
            {
                "slug": g["slug"],
                "name": g["name"],
                "description": g.get("description", ""),
                "programme_id": prog_id.get(g.get("programme")),
            }
            for g in data.get("working_groups", [])
        ],
        counts,
    )
    data_consultations = [(g, c) for g in data.get("working_groups", []) for c in g.get("consultations", [])]
    consultations = _sync(
        Consultation,
        ["slug"],
        [
            {
                "slug": c["slug"],
                "group_id": groups[(g["slug"],)].pk,
                "title": c["title"],
                "description": c.get("description", ""),
                "opens_at": datetime.fromisoformat(c["opens_at"]),
                "closes_at": datetime.fromisoformat(c["closes_at"]),
            }
            for g, c in data_consultations
        ],
        counts,
    )
    for _g, c in data_consultations:
        consultation = consultations[(c["slug"],)]
        wanted = {measures[(prog_id[slug], number)].pk for slug, number in c.get("measures", [])}
        current = set(consultation.measures.values_list("pk", flat=True))
        if wanted - current:
            consultation.measures.add(*(wanted - current))

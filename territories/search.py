"""Territory search: INSEE codes, postal codes, and names accent-insensitive and tolerant of typos.

On PostGIS the fuzzy part uses pg_trgm similarity on the normalised name (GIN trigram index); on
the embedded SpatiaLite default the same ranking is done with rapidfuzz over the normalised names.
"""

import re
from dataclasses import dataclass

from django.db import connection
from rapidfuzz import fuzz, process

from territories.models import EPCI, BassinDeVie, Commune, Departement, Region
from territories.text import normalize_name

CODE_RE = re.compile(r"^(\d[\dAB]\d{3}|2[AB]\d{3})$", re.IGNORECASE)
POSTAL_RE = re.compile(r"^\d{5}$")
DEP_RE = re.compile(r"^(\d{2,3}|2[AB])$", re.IGNORECASE)
SIREN_RE = re.compile(r"^\d{9}$")
# The longest name of a territory (an EPCI) is 57 characters and 13 words: a longer text cannot
# match better, and its trigram comparison is what costs (4,000 characters took 30 s of PostgreSQL).
MAX_QUERY = 100
MAX_WORDS = 4  # distinct words compared by trigrams in a long text (the index reads a list per trigram)


class QueryTooLong(ValueError):
    """A French message: the text a visitor typed is longer than any search can use."""


def bounded(text, limit: int = MAX_QUERY, field: str = "Recherche") -> str:
    """``text`` stripped, or raise QueryTooLong before anything reaches the database."""
    text = (text or "").strip()
    if len(text) > limit:
        raise QueryTooLong(f"{field} trop longue : {len(text)} caractères, {limit} au plus.")
    return text


@dataclass
class Hit:
    zone: object
    kind: str
    detail: str
    score: float


def _commune_detail(commune):
    dep = commune.departement
    return f"{commune.level_label} · {dep.name} ({dep.code}) · {commune.postal_codes or 'sans code postal'}"


def search(query: str, limit: int = 15) -> list[Hit]:
    """Ranked hits for ``query``; a text longer than MAX_QUERY is cut there (callers that show a
    form call bounded() first to say so)."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return []
    hits: list[Hit] = []
    # outlines are never shown in a result list: not read (a région's outline weighs megabytes)
    communes = (
        Commune.objects.filter(is_active=True)
        .select_related("departement")
        .defer("geometry", "geometry_simplified", "point", "departement__geometry_simplified")
    )
    if POSTAL_RE.match(query) or CODE_RE.match(query):
        by_code = communes.filter(code=query.upper())
        by_postal = communes.filter(postal_codes__contains=query)
        hits += [Hit(c, "commune", _commune_detail(c), 2.0) for c in by_code]
        # The arrondissement of a postal code (75012 → Paris 12e) is more precise than its commune.
        hits += [
            Hit(c, "commune", _commune_detail(c), 1.6 if c.kind == Commune.Kind.ARRONDISSEMENT else 1.5)
            for c in by_postal
            if query in c.postal_code_list and c.code != query.upper()
        ]
    if DEP_RE.match(query):
        hits += [
            Hit(d, "departement", "Département", 2.0)
            for d in Departement.objects.filter(code=query.upper()).defer("geometry_simplified")
        ]
    if SIREN_RE.match(query):
        hits += [
            Hit(e, "epci", e.get_kind_display(), 2.0)
            for e in EPCI.objects.filter(code=query).defer("geometry_simplified")
        ]
    normalized = normalize_name(query)
    if normalized and not query.isdigit():
        for model, label in (
            (Region, "Région"),
            (Departement, "Département"),
            (EPCI, None),
            (BassinDeVie, "Bassin de vie"),
        ):
            # An exact département or région name ("Creuse") outranks a homonymous commune.
            exact_score = 1.25 if model in (Region, Departement) else 1.2
            zones = model.objects.filter(is_active=True).defer("geometry_simplified")
            for zone, score in _fuzzy(zones, normalized, 5, exact_score):
                hits.append(Hit(zone, model.__name__.lower(), label or zone.get_kind_display(), score))
        for commune, score in _fuzzy(communes, normalized, limit):
            hits.append(Hit(commune, "commune", _commune_detail(commune), score))
    seen, unique = set(), []
    # Equal scores: communes first (the most searched), larger ones first.
    for hit in sorted(
        hits,
        key=lambda h: (
            -h.score,
            not isinstance(h.zone, Commune),
            -(h.zone.population or 0) if isinstance(h.zone, Commune) else 0,
        ),
    ):
        key = (type(hit.zone), hit.zone.pk)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique[:limit]


def _name_score(query, name, **kwargs):
    """Edit similarity of whole names, or of the query's words within a longer name (« grand
    gueret » in « ca du grand gueret »); never a short name inside the query (« eu » in « creuse »)."""
    if set(query.split()) <= set(name.split()):
        return 95.0
    return fuzz.ratio(query, name)


def _trigram_words(normalized: str) -> list[str]:
    """The words of a text compared by trigrams: each once (pg_trgm compares sets of trigrams, so
    a repeated word changes nothing but the cost); in a text of more than four words, the short
    ones (« de », « la », « sur ») — whose trigrams are in half the names — are left out, then
    at most MAX_WORDS are kept. A text that long is matched in full by the exact and prefix
    steps; this step only tolerates its typos."""
    words = list(dict.fromkeys(normalized.split()))
    if len(words) > 4:
        words = [w for w in words if len(w) > 3] or words
    return words[:MAX_WORDS]


def _fuzzy(queryset, normalized: str, limit: int, exact_score: float = 1.2):
    """(zone, score in 0..1.x): exact and prefix matches first, then trigram / edit-distance similarity."""
    exact = list(queryset.filter(name_normalized=normalized)[:limit])
    results = [(z, exact_score) for z in exact]
    prefix = queryset.filter(name_normalized__startswith=normalized).exclude(pk__in=[z.pk for z in exact])
    results += [(z, 1.0) for z in prefix[:limit]]
    if len(results) >= limit:
        return results
    taken = {z.pk for z, _ in results}
    if connection.vendor == "postgresql":
        from django.contrib.postgres.lookups import TrigramSimilar
        from django.contrib.postgres.search import TrigramSimilarity
        from django.db.models import F, Value

        # « % » (trigram_similar, threshold 0.3) lets the GIN trigram index pick the candidates;
        # a similarity() filter alone compares the query with every name. pg_trgm compares sets
        # of word trigrams, so a repeated word changes nothing but the cost: said once.
        words = " ".join(_trigram_words(normalized))
        similar = (
            queryset.filter(TrigramSimilar(F("name_normalized"), Value(words)))
            .annotate(similarity=TrigramSimilarity("name_normalized", words))
            .exclude(pk__in=taken)
            .order_by("-similarity")[:limit]
        )
        results += [(z, z.similarity) for z in similar]
    else:
        names = dict(queryset.exclude(pk__in=taken).values_list("pk", "name_normalized"))
        best = process.extract(normalized, names, scorer=_name_score, limit=limit, score_cutoff=75)
        objects = queryset.in_bulk([key for _, _, key in best])
        results += [(objects[key], score / 100 * 0.9) for _, score, key in best if key in objects]
    return results[:limit]

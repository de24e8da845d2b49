"""One territory picker for every form: names, postal and INSEE codes, or « niveau:code ».

A user types « Creuse », « Guéret », « 23000 » or « departement:23 »; the type-ahead suggestions
(``/territoires/suggestions/``, ``static/js/territory_picker.js``) fill the field with a label
such as « Guéret (commune 23096) », which this module reads back without a search. Without
JavaScript the typed name is resolved here: a single best match is taken, several equally good
ones are listed so the user can choose.
"""

import re

from django import forms
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse_lazy

from territories.models import Commune
from territories.search import search
from territories.text import normalize_name
from territories.zones import LEVEL_WORDS, LEVELS, get_zone, level_of, parent_zones

MAX_QUERY = 200
SUGGESTIONS = 8
_WORD_LEVELS = {normalize_name(word): level for level, word in LEVEL_WORDS.items()}
_WORD_LEVELS["arrondissement"] = "commune"
LABEL_RE = re.compile(
    r"^(?P<name>.*?)\s*\((?P<word>commune|arrondissement|bassin de vie|epci|d[ée]partement|r[ée]gion)\s+"
    r"(?P<code>[0-9AB]{2,9})\s*\)$",
    re.IGNORECASE,
)
KEY_RE = re.compile(r"^(?P<level>[a-z-]+)\s*:\s*(?P<code>[0-9A-Za-z]{1,9})$")


class TerritoryError(ValueError):
    """A French message for the user; ``choices`` lists the candidates of an ambiguous name."""

    def __init__(self, message, choices=()):
        super().__init__(message)
        self.choices = list(choices)


def label(zone) -> str:
    """« Guéret (commune 23096) »: what a suggestion writes in the field, read back by resolve()."""
    level = level_of(zone)
    word = LEVEL_WORDS[level]
    if isinstance(zone, Commune) and zone.kind == Commune.Kind.ARRONDISSEMENT:
        word = "arrondissement"
    return f"{zone.name} ({word} {zone.pk})"


def stored_label(level: str, code: str) -> str:
    """The label of a stored territory (« niveau », code), or that key when the zone has left the
    COG since: what a form shows when an object is edited again."""
    try:
        return label(get_zone(level, code))
    except Http404:
        return f"{level}:{code}"


def stored_key(zone) -> tuple[str, str, str]:
    """(level, code, name) to store for a chosen zone; three empty strings for none."""
    return (level_of(zone), zone.pk, zone.name) if zone is not None else ("", "", "")


def resolve(text: str, levels=None):
    """The zone a user means by ``text``, or raise TerritoryError with what to do instead."""
    text = (text or "").strip()
    levels = tuple(levels or LEVELS)
    if not text:
        raise TerritoryError("Indiquez un territoire.")
    if len(text) > MAX_QUERY:
        raise TerritoryError(f"Texte trop long ({len(text)} caractères, {MAX_QUERY} au plus).")
    allowed = ", ".join(LEVEL_WORDS[level] for level in levels)
    key = KEY_RE.match(text) or LABEL_RE.match(text)
    if key:
        groups = key.groupdict()
        level = groups.get("level") or _WORD_LEVELS.get(normalize_name(groups.get("word", "")))
        if level not in levels:
            raise TerritoryError(f"Ce champ prend un territoire de ce niveau : {allowed}.")
        try:
            return get_zone(level, groups["code"].upper())
        except Http404 as exc:
            raise TerritoryError(f"Aucun territoire « {text} » n’est connu du portail.") from exc
    hits = [h for h in search(text, limit=15) if level_of(h.zone) in levels]
    if not hits:
        raise TerritoryError(
            f"Aucun territoire ({allowed}) ne correspond à « {text} ». Vérifiez l’orthographe, ou "
            "saisissez un code INSEE ou postal."
        )
    best = hits[0].score
    top = [h for h in hits if h.score == best]
    top_levels = [level_of(h.zone) for h in top]
    if len(set(top_levels)) == len(top_levels) and (best >= 1.2 or len(hits) == 1):
        # one per level (« Guéret » the commune and its bassin de vie): the search ranks the
        # commune first; two communes of the same name remain a choice for the user
        return top[0].zone
    candidates = [label(h.zone) for h in (top if len(top) > 1 else hits)[:6]]
    if len(top) > 1:
        message = (
            f"Plusieurs territoires répondent à « {text} » : choisissez-en un ({'; '.join(candidates)})."
        )
    else:
        message = f"« {text} » n’est pas un nom exact. Voulez-vous dire : {'; '.join(candidates)} ?"
    raise TerritoryError(message, candidates)


def suggestions(query: str, levels=None, within=None, limit=SUGGESTIONS) -> list[dict]:
    """Type-ahead entries: label (written in the field), name, level, code, parents, url."""
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return []
    levels = tuple(levels or LEVELS)
    if within is not None:
        zones = _within(within, query, limit)
    else:
        zones = [h.zone for h in search(query, limit=15) if level_of(h.zone) in levels][:limit]
    return [_entry(zone) for zone in zones]


def _within(zone, query, limit):
    """Communes of ``zone`` whose name starts with (then contains) the query, or with that code."""
    members = zone.communes().values("pk")
    if isinstance(zone, Commune):
        members = Commune.objects.filter(Q(pk=zone.pk) | Q(parent=zone.pk)).values("pk")
    # Paris, Lyon, Marseille: their arrondissements stand for them (as in the computations).
    communes = (
        Commune.objects.filter(is_active=True)
        .filter(Q(pk__in=members) | Q(parent__in=members))
        .exclude(pk__in=Commune.objects.filter(kind=Commune.Kind.ARRONDISSEMENT).values("parent_id"))
        .select_related("departement__region", "parent")
        .order_by(F("population").desc(nulls_last=True), "code")
    )
    normalized = normalize_name(query)
    if query.isdigit():
        return (
            list(communes.filter(code__startswith=query.upper())[:limit])
            + list(communes.filter(postal_codes__contains=query)[:limit])[:limit]
        )
    found = list(communes.filter(name_normalized__startswith=normalized)[:limit])
    if len(found) < limit:
        found += communes.filter(name_normalized__contains=normalized).exclude(pk__in=[c.pk for c in found])[
            : limit - len(found)
        ]
    return found


def _entry(zone) -> dict:
    level = level_of(zone)
    if isinstance(zone, Commune):
        dep = zone.departement
        parents = [f"{dep.name} ({dep.code})", dep.region.name]
        if zone.parent_id:
            parents.insert(0, zone.parent.name)
        detail = f"{zone.level_label} · {', '.join(parents)}"
    else:
        parents = [getattr(z, "name", str(z)) for z in parent_zones(zone)[:4]]
        detail = f"{LEVEL_WORDS[level][:1].upper()}{LEVEL_WORDS[level][1:]}" + (
            f" · {', '.join(parents)}" if parents else ""
        )
    return {
        "label": label(zone),
        "name": zone.name,
        "level": level,
        "level_label": LEVEL_WORDS[level],
        "code": zone.pk,
        "parents": parents,
        "detail": detail,
        "url": zone.get_absolute_url(),
    }


class TerritoryInput(forms.TextInput):
    """A text input that territory_picker.js turns into an ARIA combobox with suggestions."""

    def __init__(self, levels=None, attrs=None):
        attrs = {"autocomplete": "off", "spellcheck": "false", **(attrs or {})}
        attrs["data-territory-suggest"] = reverse_lazy("territories:suggestions")
        if levels:
            attrs["data-levels"] = ",".join(levels)
        super().__init__(attrs)


class TerritoryField(forms.CharField):
    """A territory typed by name or code; ``clean`` returns the zone (or None when left empty)."""

    def __init__(self, *, levels=None, **kwargs):
        self.levels = tuple(levels) if levels else None
        kwargs.setdefault("max_length", MAX_QUERY)
        kwargs.setdefault("widget", TerritoryInput(levels=self.levels))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value is not None and not isinstance(value, str):
            return label(value)
        return value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            return resolve(text, self.levels)
        except TerritoryError as exc:
            raise forms.ValidationError(str(exc), code="territory") from exc


MAX_LIST_LINES = 50


class TerritoryListField(forms.CharField):
    """Several territories, one per line (names, codes or suggestion labels); ``clean`` returns the
    zones in order without duplicates, and an error names the line that does not resolve."""

    def __init__(self, *, levels=None, **kwargs):
        self.levels = tuple(levels) if levels else None
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
        kwargs.setdefault("max_length", MAX_LIST_LINES * (MAX_QUERY + 1))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(label(zone) for zone in value)
        return value

    def clean(self, value):
        value = super().clean(value)
        lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
        if len(lines) > MAX_LIST_LINES:
            raise forms.ValidationError(f"{len(lines)} territoires : {MAX_LIST_LINES} au plus.")
        zones = {}
        for number, line in enumerate(lines, start=1):
            try:
                zone = resolve(line, self.levels)
            except TerritoryError as exc:
                raise forms.ValidationError(f"Ligne {number} (« {line[:60]} ») : {exc}") from None
            zones.setdefault(stored_key(zone)[:2], zone)
        return list(zones.values())

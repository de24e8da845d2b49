"""Forms of the registry pages (French labels, errors next to their field)."""

import re

from django import forms
from django.contrib.gis.geos import Point

from offers import perms
from offers.models import Offer
from territories.constants import WGS84
from territories.models import Commune
from territories.picker import TerritoryField

PROFESSIONS = [
    ("medecin_generaliste", "Médecins généralistes"),
    ("infirmier", "Infirmiers"),
    ("masseur_kinesitherapeute", "Masseurs-kinésithérapeutes"),
    ("chirurgien_dentiste", "Chirurgiens-dentistes"),
    ("sage_femme", "Sages-femmes"),
    ("pharmacien", "Pharmaciens"),
]
# One professional, lower case, for running text (« médecin généraliste : 3, infirmier : 2 »).
PROFESSION_LABELS = {
    "medecin_generaliste": "médecin généraliste",
    "infirmier": "infirmier",
    "masseur_kinesitherapeute": "masseur-kinésithérapeute",
    "chirurgien_dentiste": "chirurgien-dentiste",
    "sage_femme": "sage-femme",
    "pharmacien": "pharmacien",
}
STALE_MESSAGE = (
    "Cette fiche a été modifiée par quelqu’un d’autre pendant votre saisie (version {current} "
    "enregistrée, vous éditiez la version {yours}). Vos modifications n’ont pas été enregistrées : "
    "rechargez la fiche pour voir la version actuelle, puis refaites vos changements."
)


def hand_entry_emergency_choices(instance=None):
    """Emergency bases a person may choose: « non renseigné » or « renseigné par l’ARS ».

    The name / category bases describe what an import deduced; they are set by imports only (an
    imported record keeps its current basis selectable so that editing other fields still works).
    """
    allowed = [Offer.EmergencyBasis.NONE, Offer.EmergencyBasis.DECLARED]
    current = getattr(instance, "emergency_basis", "") if instance is not None and instance.pk else ""
    if current and current not in allowed:
        allowed.append(current)
    return [(value, label) for value, label in Offer.EmergencyBasis.choices if value in allowed]


class OfferForm(forms.ModelForm):
    commune_code = TerritoryField(
        label="Commune",
        levels=("commune",),
        required=False,
        help_text="Nom, code postal ou code INSEE, puis choisissez dans les suggestions ; laissez vide "
        "pour le déduire du point placé sur la carte. Paris, Lyon, Marseille : l’arrondissement.",
    )
    latitude = forms.FloatField(
        label="Latitude (WGS 84)",
        required=False,
        min_value=-90,
        max_value=90,
        help_text="Cliquez sur la carte pour placer le site, ou saisissez les coordonnées.",
    )
    longitude = forms.FloatField(label="Longitude (WGS 84)", required=False, min_value=-180, max_value=180)
    perimeter_codes = forms.CharField(
        label="Périmètre de la CPTS (codes INSEE)",
        required=False,
        max_length=12_000,  # 2,000 communes: every query it feeds stays bounded
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="CPTS uniquement : codes INSEE des communes couvertes, séparés par des espaces "
        "ou des virgules.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Offer
        fields = [
            "kind",
            "subkind",
            "name",
            "finess_et",
            "finess_ej",
            "address",
            "status",
            "opened_on",
            "closed_on",
            "aci_signed",
            "cpts",
            "emergency_basis",
        ]
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "aci_signed": forms.NullBooleanSelect,
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for code, label in PROFESSIONS:
            self.fields[f"prof_{code}"] = forms.IntegerField(label=label, required=False, min_value=0)
        cpts = perms.attachable_cpts(
            user, Offer.objects.filter(kind=Offer.Kind.CPTS).exclude(status=Offer.Status.CLOSED)
        )
        instance = self.instance
        if instance.pk and instance.cpts_id:
            # Keep the current attachment selectable (an admin may have set it across régions).
            cpts = cpts | Offer.objects.filter(pk=instance.cpts_id)
        self.fields["cpts"].queryset = cpts.distinct()
        self.fields["emergency_basis"].choices = hand_entry_emergency_choices(instance)
        if instance.pk:
            self.fields["commune_code"].initial = instance.commune
            self.fields["version"].initial = instance.version
            if instance.location is not None:
                self.fields["latitude"].initial = round(instance.location.y, 6)
                self.fields["longitude"].initial = round(instance.location.x, 6)
            self.fields["perimeter_codes"].initial = " ".join(
                instance.perimeter.order_by("code").values_list("code", flat=True)
            )
            for code, _label in PROFESSIONS:
                self.fields[f"prof_{code}"].initial = instance.professionals.get(code)
        for field in self.fields.values():
            if field.help_text and not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("aria-describedby", "")

    @property
    def profession_fields(self):
        return [self[f"prof_{code}"] for code, _label in PROFESSIONS]

    def clean_finess_et(self):
        value = self.cleaned_data["finess_et"].strip().upper()
        if value and Offer.objects.filter(finess_et=value).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Une autre offre porte déjà ce numéro FINESS.")
        return value

    def clean_finess_ej(self):
        return self.cleaned_data["finess_ej"].strip().upper()

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        point = None
        if (lat is None) != (lon is None):
            self.add_error("latitude", "Donnez la latitude et la longitude, ou cliquez sur la carte.")
        elif lat is not None:
            point = Point(lon, lat, srid=WGS84)
        commune = data.get("commune_code")
        if commune is not None and not commune.is_active:
            self.add_error("commune_code", f"La commune {commune.name} n’est plus en vigueur.")
            commune = None
        elif "commune_code" in self.errors:
            pass
        elif commune is None and point is not None:
            candidates = Commune.objects.filter(is_active=True, geometry__contains=point).select_related(
                "departement"
            )
            # Paris, Lyon, Marseille: attach to the arrondissement rather than the commune.
            commune = sorted(candidates, key=lambda c: c.kind != Commune.Kind.ARRONDISSEMENT)[:1]
            commune = commune[0] if commune else None
            if commune is None:
                self.add_error("latitude", "Le point placé n’est dans aucune commune connue du portail.")
        elif commune is None:
            self.add_error("commune_code", "Indiquez la commune ou placez le site sur la carte.")
        if commune is not None and point is not None and commune.geometry is not None:
            if not commune.geometry.contains(point):
                self.add_error("latitude", f"Le point placé est en dehors de la commune {commune.name}.")
        if commune is not None and not perms.can_create_offer(self.user, commune):
            self.add_error(
                "commune_code",
                f"Vous ne pouvez saisir que des offres de vos régions ({commune.name} n’en fait pas partie).",
            )
        data["commune"] = commune
        data["location"] = point
        kind, subkind = data.get("kind"), data.get("subkind") or ""
        allowed = {
            Offer.Kind.CENTRE_SANTE: {"", Offer.SubKind.MUNICIPAL},
            Offer.Kind.EMERGENCY: {"", Offer.SubKind.URGENCES, Offer.SubKind.SMUR},
        }.get(kind, {""})
        if subkind not in allowed:
            self.add_error("subkind", "Ce sous-type ne correspond pas au type choisi.")
        status = data.get("status")
        if status == Offer.Status.CLOSED and not data.get("closed_on"):
            self.add_error("closed_on", "Indiquez la date de fermeture.")
        if data.get("opened_on") and data.get("closed_on") and data["closed_on"] < data["opened_on"]:
            self.add_error("closed_on", "La date de fermeture précède la date d’ouverture.")
        cpts = data.get("cpts")
        if cpts is not None and kind not in (Offer.Kind.MSP, Offer.Kind.ESP):
            self.add_error("cpts", "Seules une MSP ou une ESP peuvent être rattachées à une CPTS.")
        elif (
            cpts is not None
            and cpts.pk != self.instance.cpts_id
            and not perms.can_attach_to_cpts(self.user, cpts)
        ):
            self.add_error("cpts", "Vous ne pouvez rattacher une offre qu’à une CPTS de vos régions.")
        if data.get("aci_signed") is not None and kind != Offer.Kind.CPTS:
            self.add_error("aci_signed", "Le contrat ACI ne concerne que les CPTS.")
        codes = [c for c in re.split(r"[\s,;]+", data.get("perimeter_codes") or "") if c]
        if codes and kind != Offer.Kind.CPTS:
            self.add_error("perimeter_codes", "Seule une CPTS a un périmètre.")
        found = set(Commune.objects.filter(pk__in=codes, is_active=True).values_list("code", flat=True))
        unknown = [c for c in codes if c not in found]
        if unknown:
            self.add_error("perimeter_codes", f"Codes INSEE inconnus : {', '.join(unknown[:10])}.")
        outside = perms.communes_outside_editable_regions(self.user, found)
        if outside:
            self.add_error(
                "perimeter_codes",
                "Le périmètre ne peut comprendre que des communes de vos régions "
                f"(hors de vos régions : {', '.join(outside[:10])}"
                f"{' …' if len(outside) > 10 else ''}). Une CPTS interrégionale est saisie par un "
                "administrateur.",
            )
        data["perimeter"] = sorted(found)
        if data.get("emergency_basis") and kind not in (Offer.Kind.HOSPITAL, Offer.Kind.EMERGENCY):
            self.add_error("emergency_basis", "Réservé aux établissements hospitaliers.")
        return data

    def apply(self, offer: Offer) -> Offer:
        """Copy the cleaned values on the offer (not saved)."""
        data = self.cleaned_data
        offer.commune = data["commune"]
        if data["location"] is not None:
            moved = offer.location is None or offer.location.distance(data["location"]) > 1e-7
            offer.location = data["location"]
            if moved or not offer.location_precision:
                offer.location_precision = Offer.LocationPrecision.MANUAL
        elif offer.location is not None:
            offer.location = None
            offer.location_precision = ""
        professionals = {k: v for k, v in offer.professionals.items() if k not in dict(PROFESSIONS)}
        for code, _label in PROFESSIONS:
            if data.get(f"prof_{code}") is not None:
                professionals[code] = data[f"prof_{code}"]
        offer.professionals = professionals
        return offer


class ConflictDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("kept", "Conserver la saisie"), ("accepted", "Appliquer la valeur importée")]
    )

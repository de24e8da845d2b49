"""Forms of the indicators app."""

from django import forms
from django.template.defaultfilters import filesizeformat

from indicators.importers import uploads
from indicators.importers.uploads import (
    EXTENSIONS,
    MAX_UPLOAD_SIZE,
    NO_SYNTHETIC_FLAG,
    WITH_COVERAGE,
    WITH_MILLESIME,
)
from indicators.models import DatasetUpload


def _extensions_text():
    return (
        "tableaux CSV, TXT, TSV ou XLSX (UTF-8, Windows-1252 ou Latin-1 ; séparateur virgule, "
        "point-virgule ou tabulation ; lignes de titre au-dessus de l’en-tête tolérées), éventuellement "
        "compressés en .gz, .xz ou .zip d’un seul fichier ; APL de la DREES : le classeur XLSX tel que publié"
    )


class DatasetUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Type de fichier", choices=DatasetUpload.Kind.choices)
    file = forms.FileField(
        label="Fichier",
        help_text=f"{filesizeformat(MAX_UPLOAD_SIZE)} au plus. Formats acceptés — {_extensions_text()}.",
    )
    millesime = forms.CharField(
        label="Millésime (facultatif)",
        max_length=40,
        required=False,
        help_text="Date ou année des données (RPPS, SIRENE, zonage, distancier ; APL DREES : par défaut "
        "l’année de la feuille la plus récente).",
    )
    dry_run = forms.BooleanField(
        label="Essai à blanc : tout valider et compter, ne rien écrire", required=False, initial=False
    )
    synthetic = forms.BooleanField(
        label="Échantillon synthétique (affiché comme tel partout)",
        required=False,
        help_text="Pas pour les sites hospitaliers ni le zonage (fichiers réels uniquement).",
    )
    skip_other_categories = forms.BooleanField(
        label="FINESS : ignorer (et compter) les catégories hors registre (extraction nationale complète)",
        required=False,
    )
    partial = forms.BooleanField(
        label="Fichier partiel : ne mettre à jour que les départements qu’il couvre",
        required=False,
        help_text="Médecins (SIRENE, RPPS) et zonage. Sans cette case, un fichier qui ne couvre pas tous "
        "les départements chargés est refusé (il ne sera jamais pris pour toute la France).",
    )
    ignore_unknown = forms.BooleanField(
        label="Accepter les codes commune inconnus du COG (ils seront listés dans le compte rendu)",
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = uploads.MAX_UPLOAD_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                f"Fichier trop volumineux ({filesizeformat(upload.size)}) : {filesizeformat(limit)} au plus."
            )
        if upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        return upload

    def clean(self):
        data = super().clean()
        kind, upload = data.get("kind"), data.get("file")
        if kind and upload:
            name = upload.name.lower()
            allowed = EXTENSIONS[DatasetUpload.Kind(kind)]
            if not name.endswith(allowed):
                self.add_error(
                    "file",
                    f"Extension non acceptée pour ce type de fichier : {', '.join(allowed)} attendu.",
                )
        if kind in NO_SYNTHETIC_FLAG and data.get("synthetic"):
            self.add_error("synthetic", "Ce type de fichier ne peut pas être marqué synthétique.")
        if data.get("millesime") and kind not in WITH_MILLESIME:
            self.add_error(
                "millesime", "Ce type de fichier ne prend pas de millésime (il le lit dans le fichier)."
            )
        if data.get("skip_other_categories") and kind != DatasetUpload.Kind.FINESS:
            self.add_error("skip_other_categories", "Option réservée aux extractions FINESS.")
        for option in ("partial", "ignore_unknown"):
            if data.get(option) and kind not in WITH_COVERAGE:
                self.add_error(
                    option, "Option réservée aux fichiers de médecins (SIRENE, RPPS) et au zonage."
                )
        return data

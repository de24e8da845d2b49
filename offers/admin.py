"""Django admin of the registry, guarded by the same predicates as the pages (offers.perms)."""

from django import forms
from django.contrib.gis import admin
from django.core.exceptions import PermissionDenied

from offers import perms
from offers.forms import STALE_MESSAGE, hand_entry_emergency_choices
from offers.models import ARSAgent, DoctorZoning, GPSupply, HospitalActivity, ImportConflict, Offer


class OfferAdminForm(forms.ModelForm):
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Offer
        fields = [
            "kind",
            "subkind",
            "name",
            "finess_et",
            "finess_ej",
            "address",
            "commune",
            "location",
            "location_precision",
            "status",
            "opened_on",
            "closed_on",
            "emergency_basis",
            "professionals",
            "perimeter",
            "aci_signed",
            "cpts",
            "dataset",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version
        user = getattr(self, "request_user", None)
        if "emergency_basis" in self.fields and not perms.is_admin(user):
            self.fields["emergency_basis"].choices = hand_entry_emergency_choices(self.instance)

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            current = Offer.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            seen = data.get("seen_version")
            # A form posted without the version it was opened on cannot prove it is not stale.
            if seen is None or seen != current:
                raise forms.ValidationError(
                    STALE_MESSAGE.format(current=current, yours="inconnue" if seen is None else seen)
                )
        commune = data.get("commune")
        user = getattr(self, "request_user", None)
        if commune is not None and user is not None and not perms.can_create_offer(user, commune):
            self.add_error("commune", "Cette commune n’est pas dans une de vos régions.")
        if user is not None and "perimeter" in data:
            outside = perms.communes_outside_editable_regions(user, [c.pk for c in data["perimeter"]])
            if outside:
                self.add_error(
                    "perimeter",
                    "Le périmètre ne peut comprendre que des communes de vos régions "
                    f"(hors de vos régions : {', '.join(outside[:10])}).",
                )
        cpts = data.get("cpts")
        if (
            user is not None
            and cpts is not None
            and cpts.pk != self.instance.cpts_id
            and not perms.can_attach_to_cpts(user, cpts)
        ):
            self.add_error("cpts", "Vous ne pouvez rattacher une offre qu’à une CPTS de vos régions.")
        return data


@admin.register(Offer)
class OfferAdmin(admin.GISModelAdmin):
    form = OfferAdminForm
    list_display = ["name", "kind", "status", "commune", "finess_et", "version", "updated_at"]
    list_filter = ["kind", "status", "commune__departement__region"]
    search_fields = ["name", "finess_et", "commune__name"]
    raw_id_fields = ["commune", "cpts", "dataset"]
    filter_horizontal = ["perimeter"]
    readonly_fields = ["version", "updated_by", "imported_values", "created_at", "updated_at"]
    # Provenance is set by imports (and the page form), never typed in by hand: a hand entry must
    # not claim « Source : FINESS » or « Adresse géolocalisée ».
    provenance_fields = ["dataset", "location_precision"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not perms.is_admin(request.user):
            fields += [f for f in self.provenance_fields if f not in fields]
        return fields

    def _is_registry_user(self, request):
        return perms.is_admin(request.user) or perms.is_ars_agent(request.user)

    def has_module_permission(self, request):
        return request.user.is_staff and self._is_registry_user(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff and self._is_registry_user(request)

    def has_add_permission(self, request):
        return request.user.is_staff and perms.can_create_offer(request.user)

    def has_change_permission(self, request, obj=None):
        if not request.user.is_staff:
            return False
        if obj is None:
            return perms.can_create_offer(request.user)  # may edit some offers (their régions)
        return perms.can_edit_offer(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_staff and perms.can_delete_offer(request.user, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class RequestForm(form):
            request_user = request.user

        return RequestForm

    def save_model(self, request, obj, form, change):
        if change and not perms.can_edit_offer(request.user, Offer.objects.get(pk=obj.pk)):
            raise PermissionDenied
        if not perms.can_create_offer(request.user, obj.commune):
            raise PermissionDenied
        if not perms.is_admin(request.user):
            before = (
                Offer.objects.filter(pk=obj.pk).values_list("location", flat=True).first() if change else None
            )
            moved = obj.location is not None and (before is None or before.distance(obj.location) > 1e-7)
            if moved:
                obj.location_precision = Offer.LocationPrecision.MANUAL
            elif obj.location is None:
                obj.location_precision = ""
        if change:
            obj.version += 1
        if "perimeter" in form.cleaned_data:
            obj._perimeter_codes = sorted(c.pk for c in form.cleaned_data["perimeter"])
        obj.updated_by = request.user
        obj._change_reason = "administration Django"
        super().save_model(request, obj, form, change)


class AdminOnly:
    def has_module_permission(self, request):
        return perms.is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return perms.is_admin(request.user)

    def has_add_permission(self, request):
        return perms.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return perms.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return perms.is_admin(request.user)


@admin.register(ARSAgent)
class ARSAgentAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["user"]
    filter_horizontal = ["regions"]
    raw_id_fields = ["user"]


@admin.register(GPSupply)
class GPSupplyAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["commune", "headcount", "fte", "share_aged_60_plus", "dataset"]
    raw_id_fields = ["commune", "dataset"]

    def has_add_permission(self, request):
        return False  # imported only


@admin.register(HospitalActivity)
class HospitalActivityAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["commune", "establishments", "dataset"]
    raw_id_fields = ["commune", "dataset"]

    def has_add_permission(self, request):
        return False  # imported only (SIRENE 86.10Z proxy)


@admin.register(DoctorZoning)
class DoctorZoningAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["commune", "zone", "zrr", "dataset"]
    list_filter = ["zone", "zrr"]
    raw_id_fields = ["commune", "dataset"]

    def has_add_permission(self, request):
        return False


@admin.register(ImportConflict)
class ImportConflictAdmin(AdminOnly, admin.ModelAdmin):
    list_display = ["offer", "field", "resolution", "dataset", "created_at"]
    list_filter = ["resolution"]
    raw_id_fields = ["offer", "dataset", "resolved_by"]

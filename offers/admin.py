"""Django admin of the registry, guarded by the same predicates as the pages (offers.perms)."""

from django import forms
from django.contrib.gis import admin
from django.core.exceptions import PermissionDenied

from . import perms
from .forms import STALE_MESSAGE
from .models import ARSAgent, DoctorZoning, GPSupply, ImportConflict, Offer


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

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            current = Offer.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            seen = data.get("seen_version")
            if seen is not None and seen != current:
                raise forms.ValidationError(STALE_MESSAGE.format(current=current, yours=seen))
        commune = data.get("commune")
        user = getattr(self, "request_user", None)
        if commune is not None and user is not None and not perms.can_create_offer(user, commune):
            self.add_error("commune", "Cette commune n’est pas dans une de vos régions.")
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
        if change:
            obj.version += 1
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

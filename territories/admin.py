from django.contrib.gis import admin

from territories.models import (
    EPCI,
    BassinDeVie,
    Commune,
    CommuneCodeAlias,
    Dataset,
    Departement,
    Perimeter,
    Region,
    TerritoireVieSante,
)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["title", "millesime", "status", "rows_read", "rows_created", "rows_updated", "started_at"]
    list_filter = ["status", "source", "is_synthetic", "is_proxy"]
    readonly_fields = [f.name for f in Dataset._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False  # provenance is never deleted


@admin.register(Region, Departement, EPCI, BassinDeVie, TerritoireVieSante)
class ZoneAdmin(admin.GISModelAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name_normalized", "name"]
    list_filter = ["is_active"]


@admin.register(Commune)
class CommuneAdmin(admin.GISModelAdmin):
    list_display = ["code", "name", "kind", "departement", "population", "is_active"]
    list_filter = ["kind", "is_active", "departement__region"]
    search_fields = ["code", "name", "name_normalized", "postal_codes"]
    raw_id_fields = ["parent", "departement", "epci", "bassin_de_vie"]


admin.site.register(CommuneCodeAlias)


@admin.register(Perimeter)
class PerimeterAdmin(admin.ModelAdmin):
    filter_horizontal = ["communes_set"]

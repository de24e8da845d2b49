"""Database extensions come from migrations, never by hand (PostGIS, pg_trgm, unaccent).

On SpatiaLite the operations are no-ops (CreateExtension checks the vendor)."""

from django.contrib.postgres.operations import CreateExtension, TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [CreateExtension("postgis"), TrigramExtension(), UnaccentExtension()]

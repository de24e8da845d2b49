"""Published values written faster: no per-row foreign-key check of the dataset (provenance of
rows an import writes under its own, never deleted, Dataset; PROTECT stays enforced by Django),
no index of the indicator code alone (the composite index starts with it) and, on PostgreSQL, no
pattern-matching (varchar_pattern_ops) copy of the key and commune indexes, which no query reads
(nothing filters these columns with LIKE). The zone aggregates keep one index besides their
primary key: the unique key, reordered to start with (indicator, level, zone), which every reader
filters on, replaces the index on those three columns."""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEXED = ("key", "commune")


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("indicators", "PublishedIndicatorValue")
    for name in LIKE_INDEXED:
        column = model._meta.get_field(name).column
        index = schema_editor._create_index_name(model._meta.db_table, [column], suffix="_like")
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index)}")


def create_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    model = apps.get_model("indicators", "PublishedIndicatorValue")
    for name in LIKE_INDEXED:
        schema_editor.execute(schema_editor._create_like_index_sql(model, model._meta.get_field(name)))


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0014_exactplan"),
        ("territories", "0007_commune_with_parent_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="publishedindicatorvalue",
            name="dataset",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="territories.dataset",
                verbose_name="jeu de données",
            ),
        ),
        migrations.AlterField(
            model_name="publishedindicatorvalue",
            name="indicator_code",
            field=models.CharField(max_length=40, verbose_name="code de l’indicateur"),
        ),
        migrations.AlterField(
            model_name="publishedzonevalue",
            name="dataset",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="territories.dataset",
                verbose_name="jeu de données",
            ),
        ),
        migrations.RunPython(drop_like_indexes, create_like_indexes, elidable=True),
        migrations.RemoveConstraint(
            model_name="publishedzonevalue",
            name="published_zone_value_unique",
        ),
        migrations.RemoveIndex(
            model_name="publishedzonevalue",
            name="indicators__indicat_fb610c_idx",
        ),
        migrations.AddConstraint(
            model_name="publishedzonevalue",
            constraint=models.UniqueConstraint(
                fields=("indicator_code", "level", "zone_code", "millesime", "variant"),
                name="published_zone_value_unique",
            ),
        ),
    ]

"""The two reader roles that may simulate, as auth groups an admin assigns: « élus » and « agents ARS».

ARS editing rights themselves are per région (offers.ARSAgent); the group only opens the what-if."""

from django.db import migrations

GROUPS = ("élus", "agents ARS")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0002_seed_definitions_and_rule"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]

"""Seed the harm taxonomy from fixtures/taxonomy.json. Every installation needs it, so it
is a data migration rather than demo data. Re-running updates names and mappings."""

from django.db import migrations

from tellsafe.taxonomy.seed import seed


def forwards(apps, schema_editor):
    seed(apps.get_model("taxonomy", "HarmCategory"))


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

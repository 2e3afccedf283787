"""Seed the harm taxonomy from fixtures/taxonomy.json. Every installation needs it, so it
is a data migration rather than demo data. Re-running updates names and mappings."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "taxonomy.json"


def seed(apps, schema_editor):
    HarmCategory = apps.get_model("taxonomy", "HarmCategory")
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        code = row.pop("code")
        HarmCategory.objects.update_or_create(code=code, defaults=row)


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

from django.db import migrations

from tellsafe.cases.urgency import DEFAULT_RULES


def seed(apps, schema_editor):
    UrgencyRule = apps.get_model("cases", "UrgencyRule")
    if not UrgencyRule.objects.exists():
        for rule in DEFAULT_RULES:
            UrgencyRule.objects.create(**rule)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_urgency_rules")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

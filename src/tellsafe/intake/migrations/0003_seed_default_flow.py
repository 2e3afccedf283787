from django.db import migrations
from django.utils import timezone

from tellsafe.intake.flows.default import DEFAULT_FLOW


def seed(apps, schema_editor):
    Flow = apps.get_model("intake", "Flow")
    if not Flow.objects.exists():
        Flow.objects.create(version=1, active=True, definition=DEFAULT_FLOW,
                            note="The default flow", created_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_channels")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

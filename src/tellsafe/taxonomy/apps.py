from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "tellsafe.taxonomy"
    label = "taxonomy"
    verbose_name = "Harm taxonomy"

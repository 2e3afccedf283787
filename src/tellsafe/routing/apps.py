from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "tellsafe.routing"
    label = "routing"
    verbose_name = "Hosting trace, routing and notices"

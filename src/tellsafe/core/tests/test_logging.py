import json
import logging

from tellsafe.core.logging import JsonFormatter, ScrubFilter


def _format(record):
    assert ScrubFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_unknown_extras_are_dropped():
    record = logging.makeLogRecord(
        {"msg": "report created", "report_id": 5, "details": "my secret story", "contact": "+91999"}
    )
    out = _format(record)
    assert out["report_id"] == 5
    assert "my secret story" not in json.dumps(out) and "+91999" not in json.dumps(out)


def test_django_request_messages_lose_their_path():
    record = logging.makeLogRecord(
        {
            "name": "django.request",
            "msg": "Not Found: %s",
            "args": ("/status/K7M4-Q9TX",),
            "status_code": 404,
        }
    )
    out = _format(record)
    assert "K7M4" not in json.dumps(out)
    assert out["status_code"] == 404


def test_exceptions_keep_their_type_but_not_their_message():
    try:
        raise ValueError("narrative: he hurt me")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "boom", "exc_info": sys.exc_info()})
    out = _format(record)
    assert out["exception"] == "ValueError"
    assert "he hurt me" not in json.dumps(out)


def test_outbound_request_urls_never_reach_the_log():
    record = logging.makeLogRecord(
        {
            "name": "httpx",
            "msg": "HTTP Request: %s %s",
            "args": ("POST", "https://api.telegram.org/bot123456:SECRET-TOKEN/sendMessage"),
        }
    )
    assert "SECRET-TOKEN" not in json.dumps(_format(record))
    from django.conf import settings

    assert settings.LOGGING["loggers"]["httpx"]["level"] == "WARNING"

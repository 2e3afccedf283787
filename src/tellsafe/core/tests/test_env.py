import pytest
from django.core.exceptions import ImproperlyConfigured

from tellsafe.config import env


def test_secret_from_file(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-file\n")
    monkeypatch.setenv("TELLSAFE_X", "from-env")
    monkeypatch.setenv("TELLSAFE_X_FILE", str(secret))
    assert env.get("TELLSAFE_X") == "from-file"


def test_unreadable_secret_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TELLSAFE_X_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="TELLSAFE_X_FILE"):
        env.get("TELLSAFE_X")


def test_required_and_typed_values(monkeypatch):
    monkeypatch.delenv("TELLSAFE_NOPE", raising=False)
    with pytest.raises(ImproperlyConfigured):
        env.required("TELLSAFE_NOPE")
    monkeypatch.setenv("TELLSAFE_B", "yes")
    assert env.boolean("TELLSAFE_B") is True
    monkeypatch.setenv("TELLSAFE_B", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env.boolean("TELLSAFE_B")
    monkeypatch.setenv("TELLSAFE_I", "x")
    with pytest.raises(ImproperlyConfigured):
        env.integer("TELLSAFE_I", 1)

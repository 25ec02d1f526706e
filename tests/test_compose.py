"""No Docker engine runs here, so the production shape is checked by reading it."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_database_is_postgres_18_with_volume_and_healthcheck() -> None:
    db = load()["services"]["db"]
    assert db["image"] == "postgres:18"
    assert any(v.startswith("pgdata:") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_migrations_run_before_the_api() -> None:
    services = load()["services"]
    assert services["migrate"]["command"] == ["academy", "db", "upgrade"]
    api = services["api"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8000:8000" in api["ports"]
    assert {"DATABASE_URL", "ACADEMY_BASE_URL", "ACADEMY_SECRET_KEY"} <= set(api["environment"])
    assert "/ready" in " ".join(api["healthcheck"]["test"])


def test_api_image_is_built_from_the_dockerfile() -> None:
    assert load()["services"]["api"]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["academy", "serve"]' in dockerfile

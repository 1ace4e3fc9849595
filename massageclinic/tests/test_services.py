"""The app talks to real Redis and PostgreSQL, and can start private ones itself."""

from __future__ import annotations

import psycopg2
import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from massageclinic import devstack
from massageclinic.celery import app as celery_app


def test_the_cache_is_redis_and_round_trips_a_value():
    cache.set("clinic-test-key", {"visits": 3}, timeout=30)
    assert cache.get("clinic-test-key") == {"visits": 3}
    cache.delete("clinic-test-key")


def test_celery_uses_redis_from_redis_url():
    assert celery_app.conf.broker_url == settings.REDIS_URL
    assert (
        celery_app.conf.beat_scheduler
        == "django_celery_beat.schedulers:DatabaseScheduler"
    )
    assert celery_app.conf.task_acks_late is True


@pytest.fixture
def private_var(tmp_path, monkeypatch):
    monkeypatch.setattr(devstack, "VAR_DIR", tmp_path)
    return tmp_path


def test_the_embedded_redis_keeps_its_data_in_var_and_stops(private_var):
    with devstack.embedded_redis() as url:
        server = redis.Redis.from_url(url)
        server.set("hello", "clinic")
        assert server.get("hello") == b"clinic"
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    assert (private_var / "redis").is_dir()


def _run_sql(url: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def test_the_embedded_postgres_creates_the_database_and_keeps_it(private_var):
    private_var.chmod(0o755)  # the server may run as its own system user
    with devstack.embedded_postgres() as url:
        _run_sql(url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
    with devstack.embedded_postgres() as url:
        assert _run_sql(url, "SELECT n FROM kept") == [(42,)]
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(url, connect_timeout=2)

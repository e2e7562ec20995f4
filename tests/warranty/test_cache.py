"""config.cache: Django's Redis cache with one redis-py client per pool, against the real Redis."""

import os

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from config.cache import ReusedClientRedisCache
from config.settings.base import cache_settings

URL = os.environ.get("TEST_REDIS_CACHE_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url(URL).ping()
    except redis.ConnectionError:  # pragma: no cover - CI has Redis; say so rather than pass
        pytest.fail(f"Redis is not answering at {URL}")
    backend = ReusedClientRedisCache(URL, {"KEY_PREFIX": "test-cache", "TIMEOUT": 60})
    yield backend
    backend.clear()


def test_the_settings_use_it_for_redis_and_sessions_follow():
    assert cache_settings(URL)["default"]["BACKEND"] == "config.cache.ReusedClientRedisCache"
    assert issubclass(ReusedClientRedisCache, RedisCache)


def test_one_client_per_pool_serves_every_call(cache):
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client  # one server: reads and writes share the pool
    cache.set("k", {"n": 1})
    assert cache.get("k") == {"n": 1}
    assert cache.add("n", 1) and cache.incr("n") == 2
    assert cache.get_many(["k", "missing"]) == {"k": {"n": 1}}
    cache.delete("k")
    assert cache.get("k") is None
    assert cache._cache.get_client(write=True) is client

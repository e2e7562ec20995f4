"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache call, and redis-py's
constructor fills its table of about 170 response callbacks each time: about 0.1 ms per call, a
session read and a queue count on most pages. The client is only a handle on the pool (which holds
the connections and is fork-safe), so one per pool serves every call of the process.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _ReusedClients(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ReusedClientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with :class:`_ReusedClients`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedClients

"""Several crawler processes sharing one frontier in Redis, built on scrapy-redis.

scrapy-redis gives the shared priority queue and the shared fingerprint set. What it lacks is a
way back for requests a worker had taken when it died: its queue pop is final, so a worker killed
with kill -9 loses the requests it was working on, and their fingerprints keep anybody else from
requesting them again. We add leases:

- `LeasedPriorityQueue.pop` moves the request, atomically (one Lua script), from the queue into the
  worker's lease hash `<prefix>:leases:<worker>`.
- The request's lease is released when its work is done: the callback has yielded everything
  (listings), the item has left the pipelines (articles: stored, or dropped with a reason), or it
  failed (errback).
- Each worker refreshes `<prefix>:alive:<worker>` (a key with a short TTL) every few seconds.
  Any worker finding a lease hash whose owner is no longer alive pushes its requests back on
  the queue: at most once, under a short Redis lock.

A requeued request may have been fetched already by the dead worker; storing is idempotent (same
URL and text: unchanged), so the worst case is one extra fetch, never a duplicate row.

Redis away for a while (restarted, a network cut) loses nothing and stops nothing: every call
retries with backoff for about a minute (`REDIS_RETRY`); the heartbeat and the idle check outlive
a call that still fails; a lease whose release failed, or whose pop's reply was lost, is found at
idle (this worker idle and still holding leases: none can be in progress) and pushed back on the
queue. Before, one dropped connection left a lease in Redis for ever, and the crawl, its worker
alive, waited on it for ever.

Redis restarted empty (it keeps nothing on disk unless told to) takes the queue, the leases and the
fingerprints with it: the crawl went on with what its workers held and ended `finished`, errors 0,
the requests Redis held never fetched, and nothing said so. The seeding crawl sets a marker key
(`<prefix>:frontier`); a worker that saw it and finds it gone says so once, counts the error
`redis_lost` (so the crawl is not complete: its listings' validators are not kept, and the next
crawl reads them in full), and sets it again. The articles among the requests lost were written
pending when their listings were read (crawler/pending.py): the next crawl asks for them.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
import warnings
from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured, ScrapyDeprecationWarning
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

from crawler.report import crawl_report

logger = logging.getLogger(__name__)
# scrapy-redis 0.9 still passes `spider=` to the stats collector; its warning would fill every log.
warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")

LEASE_META = "wiredesk_lease"
lease_done = object()
"""Signal sent by the spider (with `lease=`) when the work on a leased request is complete."""
HEARTBEAT_SECONDS = 2.0
ALIVE_TTL_SECONDS = 10
# Each Redis call is tried again on a lost connection or a time-out: 0.1 s, doubling up to 2 s
# between tries, 35 tries in all, about a minute (a Redis restart takes seconds).
REDIS_RETRY = {"retries": 35, "cap": 2.0, "base": 0.1}
# Pop the best request and lease it to a worker in one step, so no crash can fall between the two.
POP_AND_LEASE = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return nil end
redis.call('ZREM', KEYS[1], found[1])
local lease = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], lease, found[1])
return {tostring(lease), found[1]}
"""


def worker_id() -> str:
    """Unique per process: host, pid and a random suffix (pids repeat across hosts and restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def redis_settings(url: str, prefix: str) -> dict[str, Any]:
    """The Scrapy settings that make a crawl share its frontier through Redis at `url`, once Redis
    has answered (RedisError when it does not)."""
    check_redis(url)
    return {
        "WIREDESK_REDIS": url,
        "WIREDESK_REDIS_PREFIX": prefix,
        "REDIS_URL": url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedPriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "REDIS_PARAMS": redis_params(),
    }


def check_redis(url: str) -> None:
    """One try, at once: a wrong URL or a Redis down at the start is a one-line error now, not after
    the minute of retries a running crawl gives a Redis that went away."""
    client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5, retry=Retry(NoBackoff(), 0))
    try:
        client.ping()
    finally:
        client.close()


def redis_params() -> dict[str, Any]:
    """scrapy-redis' connection parameters, with retries (REDIS_RETRY) on a lost connection."""
    backoff = ExponentialBackoff(cap=REDIS_RETRY["cap"], base=REDIS_RETRY["base"])
    errors = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
    return {
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        "retry": Retry(backoff, int(REDIS_RETRY["retries"]), supported_errors=errors),
        "retry_on_error": list(errors),
        "encoding": "utf-8",
    }


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis' priority queue, whose pop leases the request to this worker."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        settings = spider.crawler.settings
        self.prefix = settings.get("WIREDESK_REDIS_PREFIX")
        self.worker = settings.get("WIREDESK_WORKER_ID")
        self._pop = server.register_script(POP_AND_LEASE)

    def pop(self, timeout: int = 0) -> Any:
        found = self._pop(keys=[self.key, lease_key(self.prefix, self.worker), f"{self.prefix}:lease-ids"])
        if not found:
            return None
        lease, data = found
        request = self._decode_request(data)
        request.meta[LEASE_META] = lease.decode() if isinstance(lease, bytes) else str(lease)
        return request


def lease_key(prefix: str, worker: str) -> str:
    return f"{prefix}:leases:{worker}"


class LeaseKeeper:
    """Scrapy extension: heartbeat, lease release, requeue of dead workers' leases, and idle exit.

    A worker stays up while the shared queue or anybody's leases are not empty; once both have
    been empty for WIREDESK_WORKER_IDLE seconds, it lets Scrapy close the spider.
    """

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = get_redis_from_settings(settings)
        self.prefix = settings.get("WIREDESK_REDIS_PREFIX")
        self.worker = settings.get("WIREDESK_WORKER_ID")
        self.idle_seconds = settings.getfloat("WIREDESK_WORKER_IDLE")
        self.queue_key = f"{self.prefix}:requests"
        self._idle_since: float | None = None
        self._saw_frontier = False
        self._loop = task.LoopingCall(self.beat)

    @classmethod
    def from_crawler(cls, crawler: Any) -> LeaseKeeper:
        if not crawler.settings.get("WIREDESK_REDIS"):
            raise NotConfigured
        keeper = cls(crawler)
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(keeper.spider_idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(keeper.item_done, signal=signal)
        crawler.signals.connect(keeper.spider_error, signal=signals.spider_error)
        crawler.signals.connect(keeper.release, signal=lease_done)
        return keeper

    def spider_opened(self, spider: Any) -> None:
        self._loop.start(HEARTBEAT_SECONDS, now=True)

    def _check_frontier(self) -> None:
        """The frontier's marker gone since this worker saw it: Redis lost what it held (module docstring)."""
        marker = frontier_marker(self.prefix)
        if self.server.exists(marker):
            self._saw_frontier = True
            return
        if not self._saw_frontier:
            return
        self.server.set(marker, 1)
        crawl_report(self.crawler).error(None, "redis_lost")
        logger.warning(
            "Redis lost the shared queue (restarted empty, or flushed): the requests it held are not "
            "fetched by this crawl; the articles among them stay pending, and the next crawl asks for them"
        )

    def spider_closed(self, spider: Any) -> None:
        if self._loop.running:
            self._loop.stop()
        self.server.delete(f"{self.prefix}:alive:{self.worker}")

    def beat(self) -> None:
        """Say this worker is alive and requeue dead workers' leases; a Redis error waits for the
        next beat (an exception would stop the loop for good, and the worker would pass for dead)."""
        try:
            self.server.set(f"{self.prefix}:alive:{self.worker}", 1, ex=ALIVE_TTL_SECONDS)
            self._check_frontier()
            requeued = requeue_dead_leases(self.server, self.prefix)
        except RedisError as error:
            logger.warning("Redis unavailable for the heartbeat (%s); trying again", error)
            return
        if requeued:
            self.crawler.stats.inc_value("wiredesk/redis/requeued", requeued)
            logger.warning("requeued %d requests leased by workers that stopped answering", requeued)

    def release(self, lease: str | None, **_: Any) -> None:
        """Done with a request; a lease whose release fails is pushed back at idle."""
        if lease is None:
            return
        try:
            self.server.hdel(lease_key(self.prefix, self.worker), lease)
        except RedisError as error:
            logger.warning("Redis unavailable to release a lease (%s); it is requeued at idle", error)

    def item_done(self, item: Any, **_: Any) -> None:
        self.release(getattr(item, "lease", None))

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        self.release(response.meta.get(LEASE_META))

    def spider_idle(self, spider: Any) -> None:
        """Stay up while there is work anywhere; a Redis error keeps the worker up too (closing on
        it would leave the queue unworked with the crawl reported finished)."""
        try:
            busy = self._requeue_own_leases() > 0 or self._work_left()
        except RedisError as error:
            logger.warning("Redis unavailable at idle (%s); waiting", error)
            raise DontCloseSpider from None
        now = time.monotonic()
        if busy or self._idle_since is None:
            self._idle_since = None if busy else now
            raise DontCloseSpider
        if now - self._idle_since < self.idle_seconds:
            raise DontCloseSpider

    def _work_left(self) -> bool:
        return self.server.zcard(self.queue_key) > 0 or any(
            self.server.hlen(key) for key in self.server.scan_iter(f"{self.prefix}:leases:*")
        )

    def _requeue_own_leases(self) -> int:
        """Push back this worker's leases: at idle none is in progress, so each is one whose
        release failed, or whose pop's reply was lost, on a dropped connection."""
        key = lease_key(self.prefix, self.worker)
        leased = self.server.hgetall(key)
        if not leased:
            return 0
        pipe = self.server.pipeline()
        for lease, data in leased.items():
            pipe.zadd(self.queue_key, {data: 0})
            pipe.hdel(key, lease)
        pipe.execute()
        self.crawler.stats.inc_value("wiredesk/redis/requeued", len(leased))
        logger.warning("requeued %d requests whose lease was not released (Redis was away)", len(leased))
        return len(leased)


def requeue_dead_leases(server: Any, prefix: str, queue: str = "requests", leases: str = "leases") -> int:
    """Push back on the queue the leased requests of workers whose heartbeat has expired.

    `queue` and `leases` name another queue of leased tasks (the WARC files of `wiredesk import`).
    """
    if not server.set(f"{prefix}:reaper-lock:{leases}", 1, nx=True, ex=5):
        return 0
    moved = 0
    try:
        for key in server.scan_iter(f"{prefix}:{leases}:*"):
            name = key.decode() if isinstance(key, bytes) else key
            worker = name.removeprefix(f"{prefix}:{leases}:")
            if server.exists(f"{prefix}:alive:{worker}"):
                continue
            leased = server.hgetall(name)
            if leased:
                pipe = server.pipeline()
                for data in leased.values():
                    pipe.zadd(f"{prefix}:{queue}", {data: 0})
                pipe.delete(name)
                pipe.execute()
                moved += len(leased)
            else:
                server.delete(name)
    finally:
        server.delete(f"{prefix}:reaper-lock:{leases}")
    return moved


def frontier_is_empty(server: Any, prefix: str) -> bool:
    """No queued request and no lease: no crawl is under way with this prefix."""
    return server.zcard(f"{prefix}:requests") == 0 and not any(
        server.hlen(key) for key in server.scan_iter(f"{prefix}:leases:*")
    )


def start_shared_crawl(settings: Any) -> None:
    """Seeding: when no crawl is under way, forget the fingerprints of the last one.

    Fingerprints keep N workers from fetching one article twice within a crawl; kept across
    crawls, they would hide an article whose feed says it changed.
    """
    server = get_redis_from_settings(settings)
    prefix = settings.get("WIREDESK_REDIS_PREFIX")
    if frontier_is_empty(server, prefix):
        server.delete(f"{prefix}:dupefilter")
    server.set(frontier_marker(prefix), 1)


def frontier_marker(prefix: str) -> str:
    """A key set while a shared crawl may hold requests in Redis: gone, Redis lost them."""
    return f"{prefix}:frontier"

"""robots.txt obeyed by every request of a host, however many wait for its robots.txt at once.

Scrapy 2.19's RobotsTxtMiddleware (since scrapy/scrapy#6802) lets requests that arrive while a
host's robots.txt is being fetched wait on one shared Deferred, each through
`maybe_deferred_to_future`, which hands the parser to the first of them and None to every later
one (Twisted's `Deferred.asFuture` consumes the result); None means "no robots.txt", so the third
request and later were sent whatever robots.txt says. A crawl starts many requests to one host at
once (start URLs, the pending articles it asks for again): a resumed crawl fetched pages robots.txt
disallowed (tests/test_robots_concurrent.py). Each waiter here gets a Deferred of its own.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's, with the parser passed on to every request waiting for it (module docstring)."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        fetching = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(fetching, Deferred):
            return await super().robot_parser(request)
        waiter: Deferred[RobotParser | None] = Deferred()

        def pass_on(parser: RobotParser | None) -> RobotParser | None:
            waiter.callback(parser)
            return parser

        fetching.addCallback(pass_on)
        return await maybe_deferred_to_future(waiter)

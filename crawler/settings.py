"""Scrapy settings for wiredesk: Scrapy's own, and every WIREDESK_* key from its registry.

`scrapy crawl news` reads this module through scrapy.cfg; `wiredesk crawl` loads it and applies
command-line overrides on top. Components read their own WIREDESK_* keys in `from_crawler`, with
no default of their own: the registry's (crawler/settings_registry.py) is always set here.
"""

from crawler import settings_registry
from crawler.urlpolicy import MAX_REDIRECTS

BOT_NAME = "wiredesk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- wiredesk's own keys: defaults and meanings in crawler/settings_registry.py (docs/settings.md) ---
for _setting in settings_registry.SETTINGS:
    globals()[_setting.name] = _setting.value()

# --- politeness -----------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = settings_registry.user_agent(settings_registry.BY_NAME["WIREDESK_CONTACT"].value())
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
# Pages above 16 MiB are refused by the downloader; gzip bombs stop at the same size.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Redirects followed in a row (Scrapy's default is 20); where they may lead: crawler/urlpolicy.py.
REDIRECT_MAX_TIMES = MAX_REDIRECTS
RETRY_ENABLED = True
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- wiring -------------------------------------------------------------------------------------
# clean (CPU) then store (database); lower numbers run first.
ITEM_PIPELINES = {
    "crawler.pipelines.CleanPipeline": 300,
    "crawler.pipelines.StorePipeline": 500,
}
DOWNLOADER_MIDDLEWARES = {
    # Before Scrapy's offsite check (50), so a redirect to another source's site is counted as such.
    "crawler.middlewares.SourceBoundsMiddleware": 49,
    # After the bounds, before robots.txt: a page the corpus holds costs neither a fetch nor a robots.txt.
    "crawler.corpusgate.CorpusGate": 60,
    # Scrapy's own sends the third request to a host and later ones unchecked (crawler/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Scrapy's decodes every whole HTML page to look at its first 4 KB; this one decodes those 4 KB.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadMetaRefreshMiddleware": 580,
    # Its figures (downloader/request_count, bytes...) are read by no report, test or doc.
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
    # Next to the downloader: every response as received (3xx and errors too), the request as sent.
    "crawler.warcwriter.WarcWriterMiddleware": 840,
}
SPIDER_MIDDLEWARES = {
    # Only counts depths (request_depth_max) when DEPTH_LIMIT is 0, as here: read by nothing.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    # Next to the spider: the due pending articles before its start requests, the listed ones
    # recorded as the spider yields them (crawler/pendingkeeper.py).
    "crawler.pendingkeeper.PendingKeeper": 950,
}
EXTENSIONS = {
    "crawler.progress.Progress": 500,
    "crawler.distributed.LeaseKeeper": 510,
    # Before the engine opens the scheduler: a queue a killed crawl left is dropped (crawler/jobqueue.py).
    "crawler.jobqueue.JobQueueRepair": 520,
}

# --- throughput ----------------------------------------------------------------------------------
# Items processed at once per response. A response yields one item at most (an article page) and
# otherwise requests, but Scrapy starts this many asyncio tasks for every response whatever it
# yields: at the default of 100 that cost 2 ms of CPU per page, a third of the crawl's own
# (docs/performance.md).
CONCURRENT_ITEMS = 1

# Requests of one priority are sent in the order the spider made them (Scrapy's default is last
# first), so articles go in the order their listings name them and --max-articles takes the first.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"

LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"

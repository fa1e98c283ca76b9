"""Scrapy settings for wiredesk, and every WIREDESK_* key with its default.

`scrapy crawl news` reads this module through scrapy.cfg; `wiredesk crawl` loads it and applies
command-line overrides on top. Components read their own WIREDESK_* keys in `from_crawler`.
"""

import os

from crawler.urlpolicy import MAX_REDIRECTS

BOT_NAME = "wiredesk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- wiredesk's own keys -------------------------------------------------------------------------
# SQLAlchemy URL of the corpus; WIREDESK_DB in the environment, else ./wiredesk.db.
WIREDESK_DB = os.environ.get("WIREDESK_DB", "sqlite:///wiredesk.db")
# Fetch at most this many article pages in one crawl (None: no limit).
WIREDESK_MAX_ARTICLES = None
# How many "next page" links of a section page to follow.
WIREDESK_SECTION_PAGES = 3
# Show the live progress line on a terminal.
WIREDESK_PROGRESS = True
# Only fetch articles that feeds and sitemaps date on or after this ISO date (None: no bound).
WIREDESK_SINCE = None
# Refetch a stored article when it was last fetched longer ago than this many hours (None: never,
# unless its feed or sitemap says it changed). Sources can set their own `revisit_hours`.
WIREDESK_REVISIT_HOURS = None
# Retries wait 2^n times this many seconds, or what the server's Retry-After says...
WIREDESK_RETRY_BASE_WAIT = 1.0
# ...but never longer than this; a longer Retry-After gives the request up until the next run.
WIREDESK_RETRY_MAX_WAIT = 120.0
# Contact URL or address in the User-Agent, so publishers can reach whoever runs the crawler.
WIREDESK_CONTACT = os.environ.get("WIREDESK_CONTACT", "https://github.com/wiredesk/wiredesk")
# Processes that clean pages (None: one per CPU; 0: clean in the crawler's own thread).
WIREDESK_CLEAN_WORKERS = None
# A TOML file of your own per-site cleaning rules, merged over cleaner/site_rules.toml (docs/cleaning.md).
WIREDESK_CLEAN_RULES = os.environ.get("WIREDESK_CLEAN_RULES")
# A page still being cleaned after this many seconds is dropped as failed (0: no limit).
WIREDESK_CLEAN_TIME_LIMIT = 20.0
# MB of address space per cleaning worker (RLIMIT_AS; about 250 are the interpreter and its
# libraries): a page that needs more fails alone with MemoryError (0: no limit).
WIREDESK_CLEAN_MEMORY_LIMIT = 0
# A URL lost to an error this many times (in earlier crawls: time limit, dead worker, cleaner or
# storage error) is not fetched again.
WIREDESK_CLEAN_FAILURES = 2
# Clean each page with its site's memory (False: without, as a one-page extractor would).
WIREDESK_SITE_MEMORY = True
# A site's memory (its learnt furniture, storage/sitememory.py) is read again once this many
# seconds old, so the pages of a crawl are cleaned with what its earlier pages taught.
WIREDESK_SITE_MEMORY_REFRESH = 2.0
# After a crawl, articles of its sites that still carry a line their site's memory now knows as
# furniture are cleaned again (crawler/reclean.py).
WIREDESK_RECLEAN_AFTER_CRAWL = True
# Articles written in one transaction...
WIREDESK_STORE_BATCH = 50
# ...or fewer, once the first of them has waited this many seconds.
WIREDESK_STORE_WAIT = 0.5
# Where articles wait when the database is unreachable (default: $WIREDESK_SPOOL, else .wiredesk/spool).
WIREDESK_SPOOL = None
# Redis URL of a shared crawl (scrapy-redis frontier); None: this process crawls alone.
WIREDESK_REDIS = os.environ.get("WIREDESK_REDIS")
# Prefix of the shared crawl's Redis keys; crawls with different prefixes never meet.
WIREDESK_REDIS_PREFIX = "wiredesk"
# This process's name in a shared crawl (leases and heartbeats); set per process by crawler.run.
WIREDESK_WORKER_ID = None
# A worker leaves a shared crawl after its queue and every lease have been empty this many seconds.
WIREDESK_WORKER_IDLE = 5.0
# Write every response fetched, with its request, into gzipped WARC files here (crawler/warcwriter.py).
WIREDESK_WARC_DIR = os.environ.get("WIREDESK_WARC_DIR")
# A WARC file is closed, and the next begun, past this many bytes.
WIREDESK_WARC_MAX_BYTES = 1024**3
# Seconds between two progress lines when stderr is not a terminal (logs); 0 turns them off.
WIREDESK_PROGRESS_LOG_INTERVAL = 60

# --- politeness -----------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = f"wiredesk/0.1 (news corpus crawler; +{WIREDESK_CONTACT})"
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
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Next to the downloader: every response as received (3xx and errors too), the request as sent.
    "crawler.warcwriter.WarcWriterMiddleware": 840,
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

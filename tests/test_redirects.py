"""Where a redirect may lead, in the crawl and in `wiredesk clean URL`; credentials in URLs.

Two newsrooms serve the same loopback hosts on two ports: a redirect from one to the other is to
the same host on another port, another server, and must not be followed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FAST, column_values, run_wiredesk

from crawler.newsroom import Newsroom
from crawler.newsroom.stories import FERRY_TALKS, RATES_HOLD
from crawler.urlpolicy import (
    MAX_REDIRECTS,
    UrlRefused,
    address_problem,
    fetch,
    mask_credentials,
    redirect_problem,
    same_site_and_port,
    start_url_problem,
)

ARTICLE = f"/article/{FERRY_TALKS.slug}"
OTHER_ARTICLE = f"/article/{RATES_HOLD.slug}"
# Paths on the first newsroom's wire site, each redirecting somewhere.
SAME_PORT = "/moved/same-host-same-port"
OTHER_PORT = "/moved/same-host-other-port"
OTHER_SCHEME = "/moved/to-ftp"
WITH_CREDENTIALS = "/moved/to-credentials"
PRIVATE = "/moved/to-a-ten-address"
CHAIN = "/moved/chain-0"


@dataclass
class Sites:
    home: Newsroom
    other: Newsroom
    """The same hosts as `home`, on another port."""

    def url(self, path: str) -> str:
        return self.home.wire.url(path)


@pytest.fixture(scope="session")
def sites() -> Iterator[Sites]:
    with Newsroom() as home, Newsroom() as other:
        assert home.wire.port != other.wire.port
        wire = home.wire
        wire.redirect(SAME_PORT, wire.url(ARTICLE))
        wire.redirect(OTHER_PORT, other.wire.url(OTHER_ARTICLE))
        wire.redirect(OTHER_SCHEME, f"ftp://{wire.host}/{RATES_HOLD.slug}")
        wire.redirect(WITH_CREDENTIALS, wire.url(OTHER_ARTICLE).replace("://", "://user:s3cret@"))
        wire.redirect(PRIVATE, f"http://10.11.12.13{OTHER_ARTICLE}")
        for hop in range(MAX_REDIRECTS + 1):
            wire.redirect(f"/moved/chain-{hop}", wire.url(f"/moved/chain-{hop + 1}"))
        wire.redirect(f"/moved/chain-{MAX_REDIRECTS + 1}", wire.url(OTHER_ARTICLE))
        yield Sites(home, other)


# --- the decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "target", "problem"),
    [
        ("http://news.example/a", "http://news.example/b", None),
        ("http://news.example/a", "https://news.example/b", None),
        ("http://news.example/a", "https://www.news.example/b", None),
        ("http://www.news.example/a", "http://edition.news.example/b", None),
        ("http://news.example:8080/a", "http://news.example:8081/b", "offsite_redirect"),
        ("http://news.example/a", "http://news.example:8080/b", "offsite_redirect"),
        ("http://news.example/a", "http://other.example/b", "offsite_redirect"),
        ("http://news.example/a", "http://10.0.0.1/b", "offsite_redirect"),
        ("http://127.0.0.2:8000/a", "http://127.0.0.2:8000/b", None),
        ("http://127.0.0.2:8000/a", "http://127.0.0.3:8000/b", "offsite_redirect"),
        ("http://news.example/a", "ftp://news.example/b", "bad_scheme"),
        ("http://news.example/a", "file:///etc/passwd", "bad_scheme"),
        ("http://news.example/a", "http://u:p@news.example/b", "credentials"),
    ],
)
def test_redirect_decisions(previous: str, target: str, problem: str | None) -> None:
    assert redirect_problem(previous, target) == problem


def test_a_redirect_may_go_to_one_of_the_sources_own_sites() -> None:
    anchors = ["http://news.example/rss.xml", "http://127.0.0.2:8000/feed", "https://wire.example"]
    assert redirect_problem("http://news.example/a", "https://wire.example/b", anchors) is None
    assert redirect_problem("http://127.0.0.2:9000/a", "http://127.0.0.2:8000/b", anchors) is None
    assert (
        redirect_problem("http://news.example/a", "http://wire.example:81/b", anchors) == "offsite_redirect"
    )


@pytest.mark.parametrize(
    ("start", "target", "problem"),
    [
        (["93.184.216.34"], ["10.1.2.3"], "private_address"),
        (["93.184.216.34"], ["192.168.0.1"], "private_address"),
        (["93.184.216.34"], ["127.0.0.1"], "private_address"),
        (["93.184.216.34"], ["169.254.169.254"], "private_address"),
        (["93.184.216.34"], ["100.64.0.1"], "private_address"),
        (["2606:2800:220:1::1"], ["fe80::1"], "private_address"),
        (["2606:2800:220:1::1"], ["::1"], "private_address"),
        (["93.184.216.34"], ["93.184.216.34", "10.0.0.1"], "private_address"),
        (["93.184.216.34"], ["151.101.1.69"], None),
        (["127.0.0.2"], ["127.0.0.3"], None),
        (["10.0.0.5"], ["10.0.0.6"], None),
        (["93.184.216.34"], [], None),
        ([], ["10.0.0.1"], None),
    ],
)
def test_no_private_address_after_a_public_start(
    start: list[str], target: list[str], problem: str | None
) -> None:
    assert address_problem(start, target) == problem


def test_same_site_and_port() -> None:
    assert same_site_and_port("http://example.com/", "https://example.com:443/x")
    assert not same_site_and_port("http://example.com:8080/", "https://example.com:8080x/")
    assert not same_site_and_port("http://example.com/", "http://notexample.com/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://user:s3cret@news.example/a",
            "credentials (user:password@) are refused: http://***@news.example/a",
        ),
        ("https://:s3cret@news.example/", "credentials"),
        ("ftp://news.example/a", "only http and https"),
        ("http://news.example:abc/a", "not a valid URL"),
        ("http:///a", "no host"),
    ],
)
def test_bad_start_urls(url: str, message: str) -> None:
    problem = start_url_problem(url)
    assert problem is not None and message in problem and "s3cret" not in problem


def test_mask_credentials() -> None:
    assert mask_credentials("https://u:p@h.example:8080/x?y=1") == "https://***@h.example:8080/x?y=1"
    assert mask_credentials("https://h.example/a@b") == "https://h.example/a@b"


# --- the crawl ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def crawled(
    sites: Sites, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One crawl whose start URLs are every redirecting page."""
    db = tmp_path_factory.mktemp("redirects") / "c.db"
    starts = [SAME_PORT, OTHER_PORT, OTHER_SCHEME, WITH_CREDENTIALS, PRIVATE, CHAIN]
    urls = [arg for path in starts for arg in ("--url", sites.url(path))]
    result = run_wiredesk("crawl", *urls, "--db", f"sqlite:///{db}", *FAST, check=False)
    return result, db


@pytest.mark.slow
@pytest.mark.xdist_group("redirects_crawled")
def test_crawl_follows_a_redirect_on_the_same_host_and_port(
    sites: Sites, crawled: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    _, db = crawled
    assert set(column_values(db, "SELECT url FROM articles")) == {sites.url(ARTICLE)}


@pytest.mark.xdist_group("redirects_crawled")
def test_crawl_refuses_a_redirect_to_another_port_of_the_same_host(
    sites: Sites, crawled: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    result, _ = crawled
    assert "redirected off-site ×2" in result.stderr  # the other port, and the 10.x address
    assert sites.other.requests == [], "the other port was connected to"


@pytest.mark.xdist_group("redirects_crawled")
def test_crawl_refuses_redirects_to_other_schemes_and_to_credentials(
    crawled: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, _ = crawled
    # Scrapy itself declines to follow a redirect to ftp:, so the 301 is what the crawl got.
    assert "http-301 ×1" in result.stderr and "credentials in the URL ×1" in result.stderr
    assert "s3cret" not in result.stderr


@pytest.mark.xdist_group("redirects_crawled")
def test_crawl_follows_a_bounded_number_of_redirects(
    sites: Sites, crawled: tuple[subprocess.CompletedProcess[str], Path]
) -> None:
    result, _ = crawled
    assert "redirect-loop ×1" in result.stderr
    hops = [path for _, path in sites.home.requests if path.startswith("/moved/chain-")]
    assert len(hops) == MAX_REDIRECTS + 1


@pytest.mark.parametrize("command", ["crawl", "clean"])
def test_credentials_in_a_start_url_are_refused_without_echo(
    sites: Sites, tmp_path: Path, command: str
) -> None:
    url = sites.url(ARTICLE).replace("://", "://editor:s3cret@")
    args = (
        ["crawl", "--url", url, "--db", f"sqlite:///{tmp_path / 'c.db'}"]
        if command == "crawl"
        else [
            "clean",
            url,
        ]
    )
    before = len(sites.home.requests)
    result = run_wiredesk(*args, check=False)
    assert result.returncode == 1
    assert "credentials (user:password@) are refused" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert len(sites.home.requests) == before, "nothing may be fetched"


def test_credentials_in_a_sources_file_are_refused(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('[sources.x]\nstart_urls = ["https://u:s3cret@news.example/rss"]\n', "utf-8")
    result = run_wiredesk(
        "crawl", "--sources", str(sources), "--db", f"sqlite:///{tmp_path / 'c.db'}", check=False
    )
    assert result.returncode == 1 and "credentials" in result.stderr and "s3cret" not in result.stderr


# --- wiredesk clean URL ---------------------------------------------------------------------------


def test_clean_url_follows_a_redirect_on_the_same_host_and_port(sites: Sites) -> None:
    result = run_wiredesk("clean", sites.url(SAME_PORT))
    assert result.stdout.startswith(FERRY_TALKS.headline)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (OTHER_PORT, "offsite redirect"),
        (OTHER_SCHEME, "refused (bad scheme)"),
        (WITH_CREDENTIALS, "refused (credentials)"),
        (PRIVATE, "http://10.11.12.13"),
        (CHAIN, f"more than {MAX_REDIRECTS} redirects"),
    ],
)
def test_clean_url_refuses_redirects_off_the_site(sites: Sites, path: str, message: str) -> None:
    result = run_wiredesk("clean", sites.url(path), check=False)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sites.other.requests == []


def test_clean_url_refuses_a_private_address_after_a_public_one(sites: Sites) -> None:
    """DNS rebinding: the start host resolves to a public address, then to a private one. The
    resolver is the one seam: the page is fetched from the loopback newsroom for real."""
    answers = iter([["93.184.216.34"], ["10.0.0.7"]])
    with pytest.raises(UrlRefused, match="private address") as refused:
        fetch(sites.url(SAME_PORT), user_agent="test", max_bytes=1 << 20, resolver=lambda host: next(answers))
    assert refused.value.reason == "private_address"
    body, final = fetch(sites.url(SAME_PORT), user_agent="test", max_bytes=1 << 20, resolver=lambda host: [])
    assert final == sites.url(ARTICLE) and FERRY_TALKS.headline.encode() in body

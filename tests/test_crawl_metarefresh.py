"""Meta refresh redirects read from the first 4 KB of the body, which is never decoded whole."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler import settings as crawl_settings
from crawler.middlewares import META_REFRESH_HEAD, HeadMetaRefreshMiddleware

_REFRESH = b'<meta http-equiv="refresh" content="0; url=/moved/story">'


class _WholeBodyForbidden(HtmlResponse):
    """An HTML response whose whole text may not be asked for: decoding it is the cost saved."""

    @property
    def text(self) -> str:
        raise AssertionError("the whole body was decoded")


def _middleware() -> HeadMetaRefreshMiddleware:
    settings: dict[str, Any] = {"DOWNLOADER_MIDDLEWARES": crawl_settings.DOWNLOADER_MIDDLEWARES}
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict=settings))


def _page(head: bytes, charset: str = "utf-8") -> _WholeBodyForbidden:
    body = b"<html><head>" + head + b"</head><body>" + b"<p>A story.</p>" * 5000 + b"</body></html>"
    headers = {"Content-Type": f"text/html; charset={charset}"}
    return _WholeBodyForbidden("http://127.0.0.2/old/story", body=body, headers=headers)


def test_a_meta_refresh_in_the_head_redirects_without_decoding_the_page() -> None:
    request = Request("http://127.0.0.2/old/story")
    redirected = _middleware().process_response(request, _page(_REFRESH))
    assert isinstance(redirected, Request)
    assert redirected.url == "http://127.0.0.2/moved/story"
    assert redirected.meta["redirect_urls"] == ["http://127.0.0.2/old/story"]


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-1", "shift_jis"])
def test_a_page_without_a_refresh_goes_on_as_it_came(charset: str) -> None:
    page = _page(b"<title>\xe2\x80\x94</title>", charset)
    assert _middleware().process_response(Request(page.url), page) is page


def test_a_refresh_past_the_first_4_kb_is_not_followed_as_with_scrapy() -> None:
    page = _page(b"<!--" + b" " * META_REFRESH_HEAD + b"-->" + _REFRESH)
    assert _middleware().process_response(Request(page.url), page) is page


def test_the_crawl_uses_it_in_place_of_scrapys() -> None:
    middlewares = crawl_settings.DOWNLOADER_MIDDLEWARES
    assert middlewares["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert middlewares["crawler.middlewares.HeadMetaRefreshMiddleware"] == 580

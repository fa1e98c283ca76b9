"""The cleaner decodes a page as a browser would (issue #21): broken bytes, mislabelled Latin-1,
charsets named in the HTTP header, a meta tag or a byte-order mark."""

from __future__ import annotations

import pytest
from cleanerpages import page

import cleaner

ACCENTED = (
    "<p>In Zürich — so sagte sie — wurde über die Lage in Genève gesprochen, und „alle“ hörten zu.</p>\n"
)


def utf8_page(extra: bytes, charset: str | None = "utf-8", paragraphs: int = 400) -> bytes:
    """A 43 KB page of accented German in UTF-8 with `extra` bytes spliced in before its end."""
    head = f"<meta charset='{charset}'>" if charset else ""
    return page(head, ACCENTED * paragraphs).encode().replace(b"</article>", extra + b"</article>")


@pytest.mark.parametrize(
    ("extra", "replaced"),
    [
        pytest.param(b"<p>A CESU-8 emoji: \xed\xa0\xbd\xed\xb8\x80.</p>", 6, id="one CESU-8 emoji"),
        pytest.param(b"<p>Three latin-1 bytes: caf\xe9 na\xefve \xfc.</p>", 3, id="three latin-1 bytes"),
        pytest.param(b"<p>A character cut short: \xe2\x80.</p>", 1, id="a truncated character"),
    ],
)
@pytest.mark.parametrize("declared_in", ["meta", "http", "nowhere"])
def test_a_few_broken_bytes_leave_the_rest_of_a_utf8_page_intact(
    extra: bytes, replaced: int, declared_in: str
) -> None:
    body = utf8_page(extra, "utf-8" if declared_in == "meta" else None)
    assert len(body) > 43_000
    article = cleaner.clean(body, declared_charset="utf-8" if declared_in == "http" else None)
    assert "In Zürich — so sagte sie — wurde über die Lage in Genève gesprochen" in article.text
    assert "Ã" not in article.text and "â€" not in article.text
    assert article.text.count("\ufffd") == replaced


def test_a_latin1_page_labelled_utf8_is_read_as_windows_1252() -> None:
    """Mostly not valid UTF-8 (every accent a broken byte): the label is wrong, not the page."""
    html = page("<meta charset='utf-8'>", "<p>Zürich, “Genève” – São Paulo.</p>" * 40)
    article = cleaner.clean(html.encode("cp1252"))
    assert "Zürich, “Genève” – São Paulo." in article.text


def test_a_latin1_article_in_a_utf8_template_is_read_as_windows_1252() -> None:
    """Broken bytes outnumber valid characters: the article's legacy bytes decide."""
    template = "<nav>Startseite » Nachrichten © Verlag</nav>".encode()
    story = "<p>Die Straße nach Zürich war über Nacht gesperrt, sagte die Polizei.</p>".encode("cp1252")
    html = page("<meta charset='utf-8'>", "{}").encode().replace(b"{}", template + story * 20)
    assert "Die Straße nach Zürich war über Nacht gesperrt" in cleaner.clean(html).text


def test_latin1_labels_mean_windows_1252() -> None:
    html = page("<meta charset='iso-8859-1'>", "<p>“Curly quotes” and an en dash – in a story.</p>" * 12)
    assert "“Curly quotes” and an en dash – in a story." in cleaner.clean(html.encode("cp1252")).text


def test_a_meta_tag_naming_utf16_means_utf8() -> None:
    html = page("<meta charset='utf-16'>", "<p>Zürich und Genève are in the news today again.</p>" * 12)
    assert "Zürich und Genève" in cleaner.clean(html.encode("utf-8")).text


def test_the_http_charset_wins_over_the_meta_tag_and_a_bom_over_both() -> None:
    html = page("<meta charset='utf-8'>", "<p>Москва заявила о встрече министров на этой неделе.</p>" * 12)
    body = html.encode("cp1251")
    assert "Москва заявила" in cleaner.clean(body, declared_charset="windows-1251").text
    bom = b"\xef\xbb\xbf" + html.encode("utf-8")
    assert "Москва заявила" in cleaner.clean(bom, declared_charset="windows-1251").text

"""Pages whose declared charset is wrong, stored as mojibake (cleaner/html.py).

A UTF-8 page under a latin-1 header (`_utf8_text`), below; and a CJK page in a double-byte legacy
charset served as UTF-8 (`_double_byte_text`):

A page mostly invalid in its declared charset is read as windows-1252 when declared (latin-1 served
as UTF-8 is by far the usual mislabel). An EUC-JP, EUC-KR or GB2312 page whose server says UTF-8
and that has no `<meta charset>` decodes without error in windows-1252 too (all its bytes are in
0xA1-0xFE), so its whole text was stored as mojibake, found and counted as an article. Shift_JIS
was read right (its lead bytes include 0x81, undefined in windows-1252, so detection ran).
Old code: 0 of 3 texts right; now 3 (a page too short to be an article
still has its text read).
"""

from __future__ import annotations

import pytest

import cleaner

PARAGRAPHS = {
    "euc_jp": [
        "東京都は水曜日、来年度の予算案を発表した。新しい学校の建設と公園の整備に重点を置いた内容で、都議会では活発な議論が交わされた。",
        "知事は記者会見で、この決定は子どもたちの未来のために必要だと述べた。一方、野党は税負担の増加を批判している。",
        "商店街の代表者は駐車場の問題が議論されなかったことに失望を表明した。最終的な採決は来月行われる予定だ。",
    ],
    "euc_kr": [
        "서울시는 수요일 내년도 예산안을 발표했다. 새로운 학교 건설과 공원 정비에 중점을 둔 내용으로",
        "시의회에서는 활발한 논의가 이어졌다. 시장은 기자회견에서 이번 결정은 아이들의 미래를 위해",
        "필요하다고 말했다. 반면 야당은 세금 부담 증가를 비판하고 있다.",
        "상인 대표들은 주차 문제가 논의되지 않은 것에 실망을 표했다. 최종 표결은 다음 달에 열릴 예정이다.",
    ],
    "gb2312": [
        "北京市政府星期三公布了明年的预算草案，重点是新建学校和整修公园，市人大代表对此进行了热烈的讨论。",
        "市长在记者会上表示，这一决定是为了孩子们的未来所必需的。与此同时，反对者批评税收负担增加。",
        "商户代表对停车问题没有得到讨论表示失望。最终表决将于下个月举行。",
    ],
}
FRENCH = [
    "Le conseil municipal a approuvé mercredi le budget de l'année prochaine, après un débat très animé.",
    "Selon le maire, cette décision était nécessaire pour financer la rénovation des écoles du quartier.",
    "Les représentants des commerçants ont salué la baisse prévue de la taxe sur les terrasses, à côté.",
]


def _page(paragraphs: list[str]) -> str:
    title = paragraphs[0][:20]
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><article><h1>{title}</h1>{body}</article></body></html>"


@pytest.mark.parametrize("charset", sorted(PARAGRAPHS))
def test_a_double_byte_page_served_as_utf8_is_read_in_its_charset(charset: str) -> None:
    paragraphs = PARAGRAPHS[charset]
    article = cleaner.clean(
        _page(paragraphs).encode(charset), "https://x.example/a/b", declared_charset="utf-8"
    )
    # Decoded right: the text as written (the cleaner may find these three paragraphs too short).
    assert all(text in article.text for text in paragraphs), article.text[:80]


@pytest.mark.parametrize("charset", ["cp1252", "latin-1"])
def test_western_text_served_as_utf8_is_still_windows_1252(charset: str) -> None:
    article = cleaner.clean(_page(FRENCH).encode(charset), "https://x.example/a/b", declared_charset="utf-8")
    assert all(text in article.text for text in FRENCH)


@pytest.mark.parametrize("label", ["iso-8859-1", "windows-1252", "latin1"])
@pytest.mark.parametrize("meta", ["<meta charset='utf-8'>", ""], ids=["meta-utf8", "no-meta"])
def test_a_utf8_page_under_a_latin1_header_is_read_as_utf8(label: str, meta: str) -> None:
    """A server's default `charset=ISO-8859-1` over a UTF-8 page: the header won, a windows-1252
    decode never fails, and every accent was stored as mojibake (`approuvÃ©`). Old code: 0 of 6."""
    page = _page(FRENCH).replace("<head>", f"<head>{meta}").encode("utf-8")
    article = cleaner.clean(page, "https://x.example/a/b", declared_charset=label)
    assert all(text in article.text for text in FRENCH), article.text[:80]


def test_a_utf8_page_with_one_broken_byte_under_a_latin1_header_is_still_utf8() -> None:
    page = _page(FRENCH).replace("</article>", "<p>caf\xe9</p></article>").encode("utf-8")
    page = page.replace("café".encode(), b"caf\xe9")
    article = cleaner.clean(page, "https://x.example/a/b", declared_charset="iso-8859-1")
    assert all(text in article.text for text in FRENCH), article.text[:80]

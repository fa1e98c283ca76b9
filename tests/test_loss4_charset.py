"""Big5 and GBK pages served as UTF-8 without a `<meta charset>` (cleaner/html.py).

A page mostly invalid in its declared charset is read as windows-1252 (latin-1 served as UTF-8 is
the usual mislabel), unless every non-ASCII byte is in an EUC-style pair (`_double_byte_text`). Big5
and GBK second bytes may be ASCII letters (0x40-0x7E), so a page in them was read as windows-1252
and stored as mojibake, counted as an article. Now a page whose non-ASCII bytes mostly stand in runs
(double-byte text; a Western accent stands alone between ASCII letters) goes to detection, whose
guess is taken when it is a multi-byte charset the page is mostly valid in (`_multi_byte_guess`).
Old code: 0 of 4 texts right; now 4 of 4. Western text served as UTF-8 is read as before.
"""

from __future__ import annotations

import pytest

import cleaner
from cleaner.html import decode_page

TRADITIONAL = [
    "臺北市政府週三公布明年度預算案，重點在興建學校與整修公園，市議會對此展開熱烈討論。",
    "市長在記者會上表示，這項決定是為了孩子們的未來所必需。與此同時，反對者批評稅負增加。",
    "商家代表對停車問題未獲討論表示失望，最終表決將於下個月舉行。",
]
SIMPLIFIED = [
    "北京市政府星期三公布了明年的预算草案，重点是新建学校和整修公园，市人大代表对此进行了热烈的讨论。",
    "市长在记者会上表示，这一决定是为了孩子们的未来所必需的。与此同时，反对者批评税收负担增加。",
    "商户代表对停车问题没有得到讨论表示失望。最终表决将于下个月举行，镕基喆玥堃也出席了会议。",
]
CASES = {"big5": TRADITIONAL, "cp950": TRADITIONAL, "gbk": SIMPLIFIED, "gb18030": SIMPLIFIED}
JAPANESE = [
    "東京都は水曜日、来年度の予算案を発表した。新しい学校の建設と公園の整備に重点を置いた内容だ。",
    "知事は記者会見で、この決定は子どもたちの未来のために必要だと述べた。最終的な採決は来月行われる。",
]
KOREAN = [
    "서울시는 수요일 내년도 예산안을 발표했다. 새로운 학교 건설과 공원 정비에 중점을 둔 내용이다.",
    "시장은 기자회견에서 이번 결정은 아이들의 미래를 위해 필요하다고 말했다. 최종 표결은 다음 달이다.",
]
UNDER_LATIN1 = {
    "euc_jp": JAPANESE,
    "euc_kr": KOREAN,
    "gb2312": SIMPLIFIED[:2],
    "gbk": SIMPLIFIED,
    "big5": TRADITIONAL,
}
WESTERN = {
    "fr": "Le conseil a approuvé mercredi le budget de l'année prochaine, après un débat très animé à côté.",
    "de": "Der Stadtrat hat am Mittwoch den Haushalt für das nächste Jahr gebilligt, trotz Kritik.",
    "es": "El ayuntamiento aprobó el miércoles el presupuesto del año próximo, tras un debate «muy animado».",
    "pt": "A câmara aprovou na quarta-feira o orçamento do próximo ano, após um debate muito animado.",
    "one-accent": "The premier of Québec announced a new plan for the roads of the province on Wednesday.",
}


def _page(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{text}</p>" for text in paragraphs)
    return f"<html><head><title>t</title></head><body><article><h1>t</h1>{body}</article></body></html>"


@pytest.mark.parametrize("charset", sorted(CASES))
def test_a_big5_or_gbk_page_served_as_utf8_is_read_in_its_charset(charset: str) -> None:
    paragraphs = CASES[charset]
    body = _page(paragraphs).encode(charset)
    assert any(0x40 <= low <= 0x7E for low in "".join(paragraphs).encode(charset)), "ASCII second bytes"
    article = cleaner.clean(body, "https://x.example/a/b", declared_charset="utf-8")
    assert all(text in article.text for text in paragraphs), article.text[:80]


@pytest.mark.parametrize("charset", sorted(UNDER_LATIN1))
@pytest.mark.parametrize("meta", [True, False], ids=["meta", "no-meta"])
def test_a_cjk_page_under_a_latin1_header_is_read_in_its_charset(charset: str, meta: bool) -> None:
    """A server's default `charset=ISO-8859-1` over a double-byte page (the header wins over the
    meta tag): windows-1252 decoded it without error, all mojibake. Old code: 0 of 10 right."""
    paragraphs = UNDER_LATIN1[charset]
    page = _page(paragraphs).replace("<head>", f"<head><meta charset='{charset}'>" if meta else "<head>")
    text = decode_page(page.encode(charset), "iso-8859-1")
    assert all(paragraph in text for paragraph in paragraphs), text[60:120]


@pytest.mark.parametrize("label", ["utf-8", "iso-8859-1", "windows-1252"])
@pytest.mark.parametrize("charset", ["cp1252", "latin-1"])
@pytest.mark.parametrize("language", sorted(WESTERN))
def test_western_text_is_still_windows_1252(language: str, charset: str, label: str) -> None:
    paragraph = WESTERN[language]
    body = _page([paragraph] * 3).encode(charset)
    assert paragraph in decode_page(body, label)

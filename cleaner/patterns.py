"""Noise vocabularies as data, grouped by kind. Logic lives in cleaner/noise.py and cleaner/wire.py.

Each group says where its kind of noise was seen. Patterns are general news furniture (English
and German), never strings copied from benchmark pages.
"""

from __future__ import annotations

import re

# class/id tokens of page blocks that are never the story (teasers, share bars, ads, prompts).
# Seen on wire sites and their republishers: AP ("related-stories"), Yahoo ("caas-" widgets),
# UK publishers carrying PA copy ("latest", "most-read"), and most CMS themes.
NOISE_BLOCK_TOKENS = (
    "related",
    "recommend",
    "read-more",
    "readmore",
    "more-from",
    "most-read",
    "mostread",
    "trending",
    "popular",
    "latest",
    "teaser",
    "promo",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "share",
    "sharing",
    "social",
    "comment",
    "advert",
    "advertisement",
    "sponsor",
    "outbrain",
    "taboola",
    "cookie",
    "consent",
    "gdpr",
    "paywall",
    "byline-social",
    "ticker",
    "stock-box",
    "in-this-article",
    "video-player",
    "player-chrome",
    "gallery-nav",
    "breadcrumb",
    "tags",
    "author-bio",
    "skip",
)
NOISE_BLOCK_PATTERN = re.compile(
    r"(^|[\s_-])(" + "|".join(re.escape(token) for token in NOISE_BLOCK_TOKENS) + r")($|[\s_-])",
    re.IGNORECASE,
)
NOISE_TAGS = ("aside", "nav", "footer", "form", "button", "noscript")

# Whole lines that are interface text, not story (seen on Yahoo, UK publishers, German portals).
UI_LINES = re.compile(
    r"^\W*("
    r"oops!?|something went wrong\.?|please try again later\.?|advertisement|anzeige|werbung|"
    r"skip to (main )?content|zum inhalt springen|read more|continue reading|weiterlesen|mehr lesen|"
    r"view comments|\d+ comments?|\d+ kommentare?|show comments|leave a comment|kommentare anzeigen|"
    r"share( this( article| story)?)?|teilen|copy link|link copied|"
    r"sign up( now)?|subscribe( now)?|jetzt abonnieren|newsletter abonnieren|"
    r"(accept|reject|manage) (all )?cookies|alle akzeptieren|"
    r"in this article:?.*|watch:? .{0,60}|play video|video player is loading\.?|"
    r"(image|photo|picture|bild|foto)( credit)?:.*|getty images|"
    r"story continues below( advertisement)?|article continues below|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d{4}(,? \d{1,2}:\d{2})?"
    r")\W*$",
    re.IGNORECASE,
)

# Lines that prompt rather than report: newsletter plugs, follow-us, app downloads.
PROMPT_LINES = re.compile(
    r"^\W*(sign up|subscribe|get (our|the) (daily|free|latest)|download (our|the) app|follow (us|@)|"
    r"(join|like) us on|melden sie sich|abonnieren sie)\b.{0,160}$",
    re.IGNORECASE,
)

# Agency furniture (AP, Reuters, PA, AFP): copyright and redistribution lines, coverage plugs.
COPYRIGHT_LINES = re.compile(
    r"^\W*(copyright|©|\(c\))\s*\d{0,4}.{0,200}$|"
    r"all rights reserved|may not be (published|broadcast|rewritten|redistributed)|"
    r"^\W*follow (ap|reuters|afp)['’]s coverage .{0,200}$|"
    r"^\W*(reporting|editing|writing|additional reporting) by .{0,200}$",
    re.IGNORECASE,
)
# "Associated Press writer X in Y contributed." / "___ X reported from Athens. Y contributed."
CONTRIBUTOR_LINE = re.compile(
    r"^(_{2,}\s*)?([^.]{0,200}\b(reported from|contributed( to this report)?)\b[^.]{0,200}\.?\s*){1,3}$",
    re.IGNORECASE,
)
CONTRIBUTOR_TAIL = re.compile(r"\s*_{3,}\s*(.{0,300}\bcontributed\b.{0,200})$", re.IGNORECASE)

# Headings of teaser lists: "Latest World News", "More from Reuters", "Most read", "Related".
RELATED_HEADING = re.compile(
    r"^\W*(latest( \w+){0,3} news|more (from|on|in|stories|news)\b.{0,40}|most (read|popular|viewed)|"
    r"related( stories| articles| coverage| content)?|you may also like|recommended( for you)?|"
    r"trending( now)?|top stories|see more .{0,40}|das könnte sie auch interessieren|mehr zum thema|"
    r"meistgelesen|weitere artikel|auch interessant)\W*$",
    re.IGNORECASE,
)

# Photo credits in captions: "(Alberto Pizzoli/Pool/AP)", "(Photo: PA Wire)", "Picture: PA".
CREDIT = re.compile(
    r"\((photo|picture|image|credit|foto|bild)?:?\s*[^()]{0,80}(/|\b)(ap|pa|pa wire|reuters|afp|getty images|"
    r"alamy|epa|dpa|shutterstock|pool)\)\s*$|\b(picture|photo|image|foto|bild):\s*\S.{0,60}$",
    re.IGNORECASE,
)

# Agencies by the names bylines and datelines use.
AGENCIES = {
    "AP": ("associated press", "ap"),
    "Reuters": ("reuters", "thomson reuters"),
    "AFP": ("agence france-presse", "agence france presse", "afp"),
    "PA": ("press association", "pa media", "pa"),
    "UPI": ("united press international", "upi"),
    "dpa": ("deutsche presse-agentur", "dpa"),
    "ANSA": ("ansa",),
    "EFE": ("efe",),
    "Bloomberg": ("bloomberg", "bloomberg news"),
}
# "SKOPJE, North Macedonia (AP) —", "PRAGUE (Reuters) -", "BERLIN (dpa) -"
DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Ý][A-ZÀ-Ý .'’-]{1,40}(?:,\s*[A-Z][\w .'’-]{1,40})?)\s*"
    r"\((?P<agency>AP|Reuters|AFP|UPI|PA|dpa|ANSA|EFE|Bloomberg)\)\s*[—–-]+\s*"
)
BYLINE = re.compile(r"^\s*by\s+(?P<names>.{2,160})$", re.IGNORECASE)

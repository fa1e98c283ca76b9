"""Noise vocabularies as data, grouped by kind. Logic lives in cleaner/noise.py and cleaner/wire.py.

Each group says where its kind of noise was seen. Patterns are general news furniture (English
and German), never strings copied from benchmark pages.

Every pattern runs in time linear in the line, whatever the line (docs/cleaning.md, "Linear-time
patterns"): no two neighbouring quantifiers may match the same characters unless one of them is
bounded or possessive (`*+`, `++`), and no bounded repetition holds another. tests/
test_cleaner_robustness.py runs each on adversarial lines; benchmarks/patterns.py times them.
"""

from __future__ import annotations

import re

# class/id tokens of page blocks that are never the story (share bars, ads, prompts, consent).
# Seen on wire sites and their republishers: Yahoo ("caas-" widgets), UK publishers carrying PA
# copy, and most CMS themes. Left out after benchmarks/rule_audit.py (docs/cleaning.md): "ticker"
# (a stock table or a live ticker is story as often) and "comment" (trafilatura drops comment
# threads itself; the token took a photo story's captioned blocks): neither helped a page of the
# three sets.
NOISE_BLOCK_TOKENS = (
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "share",
    "sharing",
    "social",
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
# Tokens of blocks that are usually teasers (related, latest, most-read lists), but that CMS
# themes also put on the story's own lead ("article-teaser", "read-more" wrappers of
# the body): such a block goes only when it reads like a list of links, not like prose.
TEASER_BLOCK_TOKENS = (
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
)


def _token_pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        r"(^|[\s_-])(" + "|".join(re.escape(token) for token in tokens) + r")($|[\s_-])", re.IGNORECASE
    )


NOISE_BLOCK_PATTERN = _token_pattern(NOISE_BLOCK_TOKENS)
TEASER_BLOCK_PATTERN = _token_pattern(TEASER_BLOCK_TOKENS)
MARKER_PATTERN = _token_pattern(NOISE_BLOCK_TOKENS + TEASER_BLOCK_TOKENS)
# class/id tokens of the dek printed under the headline (it is the summary, not the text).
STANDFIRST_PATTERN = re.compile(
    r"standfirst|\bdek\b|sub-?title|sub-?head|summary|excerpt|\blede\b|\bintro\b|strapline|description|abstract",
    re.IGNORECASE,
)
NOISE_TAGS = ("aside", "nav", "footer", "form", "button", "noscript")
# Controls whose text is a list of choices (a category or country picker), never prose, whatever
# their size.
CHOICE_TAGS = ("select", "datalist")

# Whole lines that are interface text, not story (seen on Yahoo, UK publishers, German portals).
UI_LINES = re.compile(
    r"^\W*+("
    r"oops!?|something went wrong\.?|please try again later\.?|advertisement|anzeige|werbung|"
    r"skip to (main )?content|zum inhalt springen|read more|continue reading|weiterlesen|mehr lesen|"
    r"czytaj (więcej|dalej)|leer más|seguir leyendo|lire (la suite|plus)|leggi (di più|tutto)|lees meer|"
    r"läs mer|les mer|læs mere|lue lisää|devamını oku|číst dále|čtěte (dále|více)|читать (далее|дальше)|"
    r"publicidad|publicité|pubblicità|reklama|advertentie|annons|annonse|reklam|реклама|"
    r"view comments|([\d.,]+k? )?comments?|([\d.,]+ )?kommentare?|show comments|leave a (comment|reply)|"
    r"kommentare anzeigen|"
    r"tell us what you think.{0,40}|join the conversation|have your say|"
    r"print( this)?( article| story| page)?|order reprints|e-?mail( this)?( article| story)?|thank you|"
    r"(an )?error (has )?occurred.{0,60}|"
    r"share( this( article| story)?)?|teilen|copy link|link copied|"
    r"sign up( now)?|subscribe( now)?|jetzt abonnieren|newsletter abonnieren|"
    r"(accept|reject|manage) (all )?cookies|alle akzeptieren|"
    r"in this article(:.*)?|watch:? .{0,60}|play video|video player is loading\.?|"
    r"(image|photo|picture|bild|foto)( credit)?:.*|getty images|"
    r"story continues below( advertisement)?|article continues below|"
    r"(sie sind|you are|du bist) (\w+ )?(nicht|not) (eingeloggt|angemeldet|logged in|signed in)|"
    r"(vorschau auf den )?(nächste[rn]?|vorherige[rn]?) (artikel|beitrag)|"
    r"(next|previous) (article|post|story)|([\d:.]{1,12} min\W{0,5})?(video |audio )?verfügbar bis .{0,30}|"
    r"alle angaben ohne gewähr|kommentare insgesamt.{0,20}|"
    r"wie hat (ihnen|dir) (dieser|der) (artikel|beitrag) gefallen\?|"
    r"(durchschnittliche )?bewertung: [\d,.]{1,6}|"
    r"rate this (article|story)|(average )?rating: [\d,.]{1,6}|was this (article|story) helpful\?|"
    r"suscr[íi]bete|abonnez-vous|abbonati|"
    r"loading|wird geladen|lädt|cargando|chargement( en cours)?|caricamento( in corso)?|ładowanie|carregando|"
    r"(bilder|foto|photo)?gal(l)?er(y|ie|ía|ia)( de fotos| photos?| fotografica)?|photo gallery|fotostrecke|"
    r"diaporama|slideshow|(\d{1,3} )?(bilder|fotos|photos|images|pictures)|"
    r"((bild|foto|photo|image|picture|slide) )?\d{1,3} ?(/|von|of|de|sur|di|z|van) ?\d{1,3}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d{4}(,? \d{1,2}:\d{2})?"
    r")\W*+$",
    re.IGNORECASE,
)

# Lines that prompt rather than report: newsletter plugs, follow-us, app downloads.
PROMPT_LINES = re.compile(
    r"^\W*(sign up|subscribe|get (our|the) (daily|free|latest)|download (our|the) app|follow (us|@)|"
    r"(join|like) us on|melden sie sich|abonnieren sie|folgen sie uns|folge uns|s[íi]guenos|suivez-nous|"
    r"seguici|siga-nos|obserwuj nas)\b.{0,160}$|"
    r"^.{0,100}\b(click(ing)? here|klicken sie hier|hier klicken)\b.{0,100}$",
    re.IGNORECASE,
)

# Promotion and consent prose: what a site says to its reader about itself, in the languages of
# news sites. PROMO_TERMS name the site's own offers (newsletters, subscriptions, affiliate
# links, consent); SITE_TERMS are words such prose also uses, but so do stories about technology
# ("app", "account", "download"). `cleaner/noise.py` wants a promotion word and more (`_promo`).
PROMO_TERMS = re.compile(
    r"\b(?:"
    r"newsletters?|subscri(?:be|bed|bers?|ptions?|bing)|unsubscribe|affiliate[\w-]*|paywall|consent|"
    r"special offers?|"
    r"abos?|abonn\w*|e-?paper|probeabo|einwilligung|"
    r"suscri\w+|boletín|assinatura|assinante|abbona\w+|iscriviti|subskrypcj\w+|prenumerat\w+|"
    r"(?:deine|ihre|eure|your) (?:unterstützung|support)|unterstützen sie|unterstütze uns|"
    r"support(?:ing)? (?:us|our|independent)|spende[nr]?|donate|apóyanos|apoya (?:nuestro|el) periodismo|"
    r"soutenez"
    r")\b",
    re.IGNORECASE,
)
SITE_TERMS = re.compile(
    r"\b(?:"
    r"sign(?:ing|ed)?[ -]?up|log(?:ged)?[ -]?in|inbox|e-?mails?|offers?|promotions|adverts?|advertis\w*|"
    r"sponsor\w*|partners|privacy|cookies?|apps?|download|ios|android|premium|membership|members|"
    r"donat\w+|compensation|commissions?|accounts?|regist(?:er|ration)|notifications?|alerts|"
    r"whatsapp|telegram|free trial|access|"
    r"anmeld\w*|melde\w* (?:dich|sie sich)|postfach|registrier\w*|eingeloggt|einloggen|konto|"
    r"kundenkonto|herunterlad\w*|datenschutz\w*|"
    r"zustimmung|werbung|partnern?|angebote?|provision|button|posteingang|freischalt\w*|zugang|"
    r"gratis|kostenlos\w*|push-\w+|benachrichtigung\w*|"
    r"regístrate|únete|inicia sesión|descarga\w*|aplicación|privacidad|ofertas|socios|publicidad|"
    r"acceso|inscri\w+|connecte[zr]|compte|télécharg\w+|confidentialité|partenaires|publicité|"
    r"gratuit\w*|accedi|scarica|pubblicità|zaloguj\w*|aplikacj\w+|pobierz|"
    r"journalism|journalismus|journalisme|periodismo|giornalismo"
    r")\b",
    re.IGNORECASE,
)
# Words by which a site addresses its reader or speaks of itself ("you", "our", "Sie", "unser");
# German's formal "Sie" and "Ihr" only capitalised (lower case they are "she", "they", "her").
READER_ADDRESS = re.compile(
    r"\b(?:[Yy]ou|[Yy]our|[Yy]ours|[Ww]e|[Oo]ur|us|Sie|Ihr|Ihre[mnrs]?|Ihnen|[Dd]u|dich|dir|[Dd]ein\w*|"
    r"euch|[Ee]uer|[Ee]ure[mnrs]?|[Ww]ir|uns|[Uu]nser\w*|[Tt]ú|[Tt]us?|[Uu]sted|[Uu]stedes|[Nn]osotros|"
    r"[Nn]uestr[oa]s?|[Vv]ous|[Vv]otre|[Vv]os|[Nn]ous|[Nn]otre|[Nn]os|[Vv]oi|[Vv]ostr\w+|[Nn]oi|"
    r"[Nn]ostr\w+|[Tt]wój|[Ww]asz\w*|[Nn]asz\w*|[Vv]ocês?|[Nn]osso\w*)\b"
)

# Disclosures of paid content and affiliate links, the legal furniture a site prints above or under
# a review or a sponsored post: "This post contains affiliate links", "We may earn a commission
# when you buy through our links", "Dieser Beitrag enthält Werbung", "Anzeige, enthält
# Affiliate-Links". A story about advertising law names such links too, but not in a line this
# short (`cleaner/lines.py` wants the line short, and no quotation in it).
DISCLOSURE_LINES = re.compile(
    r"\b(?:affiliate[ -]?links?|(?:advertiser|advertising|affiliate) (?:disclosure|policy)|"
    r"(?:we|i)\s(?:may\s|might\s|could\s|will\s)?(?:earn|receive|get|make)\s(?:a\s)?(?:small\s)?"
    r"(?:compensation|commissions?|provision)|"
    r"(?:beitrag|artikel|post|video)\s(?:enthält|contains)\s(?:\w+\s){0,2}?(?:werbung|anzeigen?|advertising))\b",
    re.IGNORECASE,
)

# How to reach or follow the writer: "Write to Jane Doe at jane@example.com", "Follow him on Twitter".
CONTACT_LINES = re.compile(
    r"^.{0,200}(\b[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,190}\b|\bfollow (him|her|them|me|us)( on| at|\b)|"
    r"\b(may|can) be reached at\b|^\W*(write to|e-?mail|contact) [\w .'’-]{2,60}\b(at|on)\b).{0,200}$",
    re.IGNORECASE,
)

# A teaser inside the text: "Related: ...", "READ MORE: ...", "Lesen Sie auch: ...".
RELATED_LINE = re.compile(
    r"^\W*(related|read more|see more|read also|also read|more|lesen sie auch|mehr zum thema|lire aussi|"
    r"à lire aussi|leggi anche|lee también|don['’]t miss|watch|listen|mira|mire|puedes ver|ver también|"
    r"lea también|te puede interesar|veja também|leia também|czytaj (też|także)|zobacz (też|także)|"
    r"auch interessant|schon gelesen)\s*:\s*\S.{0,200}$",
    re.IGNORECASE,
)

# A line that only names a source, under a graphic or closing the story: "Quelle: dpa", "Source: Reuters
# Graphics", "(Fuente: INE)".
SOURCE_LINE = re.compile(
    r"^\W*+(?:quellen?|sources?|fuentes?|fontes?|źródło|kilde|källa|bron)\s*+:\s*+\S.{0,60}$", re.IGNORECASE
)

# A line pointing the reader to the site's live blog or ticker, with the link (gone) after its colon:
# "Alle Entwicklungen zum Krieg finden Sie in unserem Liveblog:", "More in our live blog:".
LIVE_BLOG_POINTER = re.compile(
    r"^.{0,160}\b(?:in|im|on|auf|zum|to)\s++(?:(?:unserem|unseren|our|the|dem|den)\s++)?"
    r"(?:live-?blog|live blog|news-?blog|live-?ticker)\W{0,3}:\s*+$",
    re.IGNORECASE,
)

# Words of a line that is only a date ("Updated at 1:23 p.m. Jan. 5, 2020", "Montag, 3. Mai 2021 um
# 12:00 Uhr"): month and day names, and the words that go with them. A time alone ("10 p.m.") is
# no date: it heads a section of AP's "The Latest" stories.
MONTH_AND_DAY_NAMES = frozenset(
    " ".join(
        (
            "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july",
            "august september october november december mon tue wed thu fri sat sun monday tuesday",
            "wednesday thursday friday saturday sunday",
            "januar februar märz mai juni juli oktober dezember montag dienstag mittwoch donnerstag",
            "freitag samstag sonntag",
            "janvier février mars avril juin juillet août septembre octobre novembre décembre lundi",
            "mardi mercredi jeudi vendredi samedi dimanche",
            "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
            "lunes martes miércoles jueves viernes sábado domingo",
            "janeiro fevereiro março maio junho julho setembro outubro novembro dezembro segunda terça",
            "quarta quinta sexta gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre",
        )
    ).split()
)
DATE_FILLER_WORDS = frozenset(
    " ".join(
        (
            "updated published posted last modified at on the of a.m p.m am pm gmt utc bst cet cest",
            "est edt et pst pdt h aktualisiert veröffentlicht am um uhr mez mesz publié mis à jour le",
            "actualizado publicado de del feira às stand zuletzt letzte änderung geändert erstellt datum",
            "date edited dernière modification modifié última actualización",
        )
    ).split()
)
# A date line's words and numbers, and the numeric dates that make a line of numbers a date.
DATE_TOKEN = re.compile(r"[ap]\.m\.|[^\W\d_]+\.?|\d+", re.UNICODE)
NUMERIC_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b")

# Agency furniture (AP, Reuters, PA, AFP): copyright and redistribution lines, coverage plugs; the
# rights notice in the languages of the sets' pages, not only English.
COPYRIGHT_LINES = re.compile(
    r"^\W*(copyright|©|\(c\))\s*\d{0,4}.{0,200}$|"
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|"
    r"tutti i diritti riservati|wszelkie prawa zastrzeżone|todos os direitos reservados|"
    r"alle rechten voorbehouden|alle rettigheder forbeholdes|alle rettigheter reservert|"
    r"alla rättigheter förbehållna|všechna práva vyhrazena|"
    r"may not be (published|broadcast|rewritten|redistributed)|"
    r"for your personal,? non-commercial use|"
    r"^\W*follow (ap|reuters|afp)['’]s coverage .{0,200}$|^\W*our standards:",
    re.IGNORECASE,
)
# "Associated Press writer X in Y contributed." / "___ X reported from Athens. Y contributed." /
# Reuters' "Reporting by X; Editing by Y". One to three sentences, each naming a contribution; a
# sentence ends at its full stop, so the repetitions cannot share characters.
CONTRIBUTOR_LINE = re.compile(
    r"^(?:_{2,}+\s*+)?"
    r"(?:[^.]{0,200}\b(?:reported from|contributed(?: to this report)?)\b[^.]{0,200}(?:\.|$)){1,3}\s*$|"
    r"^\W*+(?:reporting|editing|writing|additional reporting) by .{0,200}$",
    re.IGNORECASE,
)
# The same after the last paragraph's text: "... said. ___ Jane Doe in Rome contributed." The match
# starts only where a run of spaces and underscores starts, so each run is scanned once.
CONTRIBUTOR_TAIL = re.compile(r"(?<![\s_])\s*+_{3,}+\s*+(.{0,300}\bcontributed\b.{0,200})$", re.IGNORECASE)

# Headings of teaser lists: "Latest World News", "More from Reuters", "Most read", "Related".
RELATED_HEADING = re.compile(
    r"^\W*(latest( \w+){0,3} news|more (from|on|in|stories|news)\b.{0,40}|most (read|popular|viewed)|"
    r"related( stories| articles| coverage| content)?|you may also like|recommended( for you)?|"
    r"trending( now)?|top stories|see more .{0,40}|das könnte sie auch interessieren|mehr zum thema|"
    r"meistgelesen|weitere artikel|auch interessant|don['’]t miss|tags|schlagwörter|themen|"
    r"see also|further reading|(you )?might also like|(similar|more|other|recent) (articles|posts|stories)|"
    r"ähnliche( artikel| beiträge| themen| nachrichten)?|weiterführende (links|artikel)|"
    r"weitere (nachrichten|meldungen|beiträge|themen)|lesen sie auch|siehe auch|"
    r"das könnte dich auch interessieren|"
    r"te puede interesar|à lire aussi|lire aussi|"
    r"sur le même (sujet|thème)|articles similaires|leggi anche|potrebbe interessarti|"
    r"articoli correlati|zobacz (też|także)|przeczytaj (też|także)|les også|läs också|læs også|"
    r"\w+ relacionad[oa]s?|más (noticias|sobre .{0,40})|te recomendamos|empfohlene (beiträge|artikel)|"
    r"zum weiterlesen|schon gelesen|(weitere|mehr) informationen|(more|further) information|"
    r"más información|plus d['’]informations|ulteriori informazioni|więcej informacji)\W*$",
    re.IGNORECASE,
)

# Headings of the contact block under a press release or a report: "Kontakt:", "Media contact",
# "Ansprechpartnerin zum Thema:". The names, telephone numbers and addresses under them are no story.
CONTACT_HEADING = re.compile(
    r"^\W*+(?:kontakt|contact|contacts|pressekontakt|medienkontakt|(?:press|media) contacts?|"
    r"ansprechpartner(?:in|innen)?(?: zum thema| für die presse)?|contacto|contact presse)\W*+$",
    re.IGNORECASE,
)

# Photo credits in captions: "(Alberto Pizzoli/Pool/AP)", "(Photo: PA Wire)", "Picture: PA", and a
# caption closing on its credit, "The team after the final. © Agency / Photographer" (a notice with
# a year, "© 2021 Example Media", is a copyright line, not a credit).
CREDIT = re.compile(
    r"\((photo|picture|image|credit|foto|bild)?:?\s*+[^()]{0,80}(/|\b)"
    r"(ap|pa|pa wire|reuters|afp|getty images|alamy|epa|dpa|shutterstock|pool)\)\s*$|"
    r"\b(pictures?|photos?|images?|fotos?|bilder?|credits?|beitragsbild|titelbild|bildquelle)\s?:\s*\S.{0,60}$|"
    r"(?:^|\s)©\s*+[^\s\d©][^©]{0,60}$",
    re.IGNORECASE,
)

# A listing's counter: "Showing 1-10 of 19 results", "Es werden die Artikel 1 bis 10 von insgesamt 19
# angezeigt", "Mostrando 1 a 10 de 19" (a line of at most this many words, `cleaner/lines.py`).
COUNTER_LINE = re.compile(
    r"^\W*+(?:\S++\s++){0,5}?\d{1,5}\s*+(?:-|–|bis|to|à|a|al)\s*+\d{1,5}\s++"
    r"(?:of|von|sur|de|di|z|van|av)\s++(?:insgesamt\s++|total\s++)?\d{1,7}\b[^\d]{0,60}$",
    re.IGNORECASE,
)

# The label that opens a figure's caption: "Abbildung 4: the weak layer", "Fig. 2 - ...", "Grafik 1 |".
FIGURE_LABEL = re.compile(
    r"^\W*+(?:abbildung|abb\.|figure|fig\.|grafik|schaubild|infografik|figura|gráfico|rysunek|rys\.|"
    r"bild|foto|photo|image|illustration|chart|karte|map)\s*+\d{1,3}[a-z]?\s*+[:.|–—-]\s*+\S",
    re.IGNORECASE,
)

# Where a picture came from, when a caption's credit names no agency: picture libraries and free
# licences ("Beitragsbild via Unsplash", "Image: Jane Doe, CC BY-SA 4.0, via Wikimedia Commons").
# A line naming one is a credit when it also reads as one (`CREDIT_WORDS`) or ends no sentence.
# The lookahead on the first letters settles most positions before the alternation is tried.
PICTURE_SOURCES = re.compile(
    r"\b(?=[cpwugsiafd])(?:creative commons|cc[ -]by(?:[ -](?:sa|nd|nc))*+|cc0|public domain|gemeinfrei|"
    r"wikimedia( commons)?|unsplash|pixabay|pexels|shutterstock|istock(?:photo)?|adobe ?stock|getty ?images|"
    r"picture[ -]alliance|imago(?: images)?|alamy|flickr|depositphotos|fotolia)\b",
    re.IGNORECASE,
)
CREDIT_WORDS = re.compile(
    r"\b(?:via|foto\w*|photo\w*|bild\w*|image\w*|credits?|crédits?|crédito|"
    r"licen[cs]\w*|lizenz\w*|urheber\w*|quelle)\b|©|/",
    re.IGNORECASE,
)

# The placeholder of an embed a consent tool holds back: "Klicken Sie auf den unteren Button, um den
# Inhalt von ... zu laden", "Click the button below to load the content from ...".
EMBED_CONSENT = re.compile(
    r"^(?=.{0,220}$)(?=.*?\b(?=[lcaeu])(?:laden|load|cargar|charger|anzuzeigen|entsperren|unblock)\b)"
    r"(?=.*?\b(?=[kcbsp])(?:klick\w*|click\w*|button|schaltfläche|botón|bouton|pulsa\w*|cliqu\w*)\b)"
    r".*?\b(?=[ickvm])(?:inhalt\w*|content|contenido|contenu|video|karte|map)\b",
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
# "SKOPJE, North Macedonia (AP) —", "PRAGUE, Dec 18 (Reuters) -" (the date is not the place), "BERLIN (dpa) -"
DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-Ý][A-ZÀ-Ý .'’-]{1,40}(?:,\s*(?![A-Z][a-z]{2,4}\.? \d)[A-Z][\w .'’-]{1,40})?)"
    r"(?:,\s*[A-Z][a-z]{2,4}\.? \d{1,2})?\s*"
    r"\((?P<agency>AP|Reuters|AFP|UPI|PA|dpa|ANSA|EFE|Bloomberg)\)\s*[—–-]+\s*"
)
# "By Jane Doe", and the same in the languages of news sites ("von", "por", "par", "di", "door",
# "av", "af", "od"): `cleaner/wire.py` wants most of the words after it capitalised, like names.
BYLINE = re.compile(r"^\s*(?:by|von|por|par|di|door|av|af|od)\s+(?P<names>.{2,160})$", re.IGNORECASE)

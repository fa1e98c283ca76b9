"""The bundled newsroom's stories: invented wire copy, written for the demo and the tests.

Each story is data; `crawler.newsroom` dresses it in each publisher's page furniture.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Story:
    """One story as its wire service filed it."""

    slug: str
    headline: str
    byline: str
    agency: str
    dateline: str
    published: str
    paragraphs: tuple[str, ...]
    contributors: str = ""

    def edited(self, headline: str, paragraphs: tuple[str, ...]) -> Story:
        """A republisher's copy: new headline, lightly edited text."""
        return replace(self, headline=headline, paragraphs=paragraphs)


FERRY_TALKS = Story(
    slug="baltic-ferry-safety-talks-valletta",
    headline="Ministers agree tighter ferry safety rules after Baltic collision",
    byline="By Maria Lindqvist, Global Wire",
    agency="AP",
    dateline="VALLETTA, Malta (AP) —",
    published="2024-12-05T15:34:00+00:00",
    paragraphs=(
        "Transport ministers from 14 countries agreed on Thursday to tighten safety inspections of "
        "passenger ferries, two months after a collision in the Baltic Sea left 31 people injured.",
        "The agreement, reached at a two-day meeting in the Maltese capital, requires annual checks of "
        "lifeboats and evacuation systems on every vessel carrying more than 200 passengers.",
        "“We owe it to every family that boards a ferry this winter,” said Estonia’s transport minister, "
        "Kadri Valk, who chaired the closing session.",
        "Inspectors found last year that one in five ferries operating in northern Europe had at least "
        "one lifeboat that could not be launched within the required time.",
        "Operators will have until March to bring their fleets into line. Vessels that fail inspection "
        "will be barred from sailing until repairs are certified.",
        "The shipping industry’s main trade group said it supported the rules but warned that a shortage "
        "of qualified inspectors could delay the checks.",
        "The next meeting of the group is scheduled for Gdansk in June.",
    ),
    contributors="Associated Press writer Jonas Berg in Stockholm contributed.",
)

ADRIATIC_STORM = Story(
    slug="storm-closes-adriatic-ports",
    headline="Storm closes ports along the Adriatic coast",
    byline="By Press Association",
    agency="PA",
    dateline="",
    published="2024-12-06T09:10:00+00:00",
    paragraphs=(
        "Ports along the Adriatic coast were closed on Friday as a winter storm brought winds of more than "
        "100km/h to Croatia, Montenegro and southern Italy.",
        "Ferry services between Split and the islands of Brac and Hvar were cancelled for a second day, "
        "leaving hundreds of travellers stranded on the mainland.",
        "Croatia’s meteorological service issued its highest warning for the central coast and urged "
        "residents to stay indoors until the evening.",
        "In the Italian port of Bari, a cargo ship broke free of its moorings and drifted into a breakwater, "
        "but the coastguard said none of the 19 crew members was hurt.",
        "Forecasters expect the wind to ease overnight, with services likely to resume on Saturday morning.",
    ),
)

RATES_HOLD = Story(
    slug="central-bank-holds-rates-inflation-eases",
    headline="Central bank holds rates as inflation eases to two-year low",
    byline="By Tomas Novak, Global Wire",
    agency="Reuters",
    dateline="PRAGUE (Reuters) -",
    published="2024-12-04T12:00:00+00:00",
    paragraphs=(
        "The Czech National Bank kept its main interest rate unchanged on Wednesday, saying that inflation, "
        "which fell to its lowest level in two years last month, needed to settle before further cuts.",
        "The bank’s board voted five to two to hold the two-week repo rate at 4.00%, in line with the "
        "forecasts of most economists polled before the meeting.",
        "“We want to see that the fall in inflation is durable,” Governor Ales Michl told a news conference.",
        "Consumer prices rose 2.1% year on year in November, down from 2.8% in October, helped by cheaper "
        "energy and food.",
        "Two board members voted for a quarter-point cut, the bank said, the first split vote since the "
        "start of the year.",
        "Markets expect the bank to resume cutting rates in February.",
    ),
)

ROMAN_ROAD = Story(
    slug="archaeologists-find-roman-road-under-car-park",
    headline="Archaeologists find Roman road under town centre car park",
    byline="By Press Association",
    agency="PA",
    dateline="",
    published="2024-12-03T07:45:00+00:00",
    paragraphs=(
        "A well-preserved section of Roman road has been found under a car park in the centre of a market "
        "town, archaeologists said on Tuesday.",
        "The 30-metre stretch of cobbled road, thought to date from the second century, was uncovered during "
        "work to build a new health centre.",
        "Dr Helen Price, who led the excavation, said the road’s drainage ditches were still intact.",
        "“It is remarkable to find something this complete only a metre below the tarmac,” she said.",
        "Coins, a brooch and fragments of pottery were also recovered and will go on display at the town "
        "museum next spring.",
    ),
)

RAIL_STRIKE = Story(
    slug="rail-strike-called-off-after-late-talks",
    headline="Rail strike called off after late-night talks",
    byline="By Press Association",
    agency="PA",
    dateline="",
    published="2024-12-02T23:30:00+00:00",
    paragraphs=(
        "A national rail strike planned for Monday has been called off after late-night talks between "
        "unions and train operators produced a new pay offer.",
        "The offer, worth 4.5% over two years, will be put to a ballot of members of the drivers’ union "
        "over the next three weeks.",
        "Passengers had been warned to expect severe disruption, with only one in five trains expected to "
        "run on the busiest routes.",
        "The union’s general secretary said the deal was “a step forward” but that members would have the "
        "final say.",
        "Train operators said services would run normally on Monday.",
    ),
)

# The republisher's copy of the wire story: the same text under a rewritten headline.
FERRY_TALKS_REPUBLISHED = FERRY_TALKS.edited(
    "Europe tightens ferry checks after Baltic crash", FERRY_TALKS.paragraphs
)

HARBOUR_REOPENS = Story(
    slug="harbour-reopens-after-dredging",
    headline="Harbour reopens to cargo ships after six months of dredging",
    byline="By Pieter de Vries, Global Wire",
    agency="AP",
    dateline="ROTTERDAM, Netherlands (AP) —",
    published="2024-11-20T08:00:00+00:00",
    paragraphs=(
        "One of Europe’s busiest cargo harbours reopened its eastern basin on Wednesday after six months of "
        "dredging that deepened the channel for the largest container ships.",
        "Port officials said the work, which cost 140 million euros, would allow ships carrying up to 24,000 "
        "containers to dock without waiting for high tide.",
        "“This keeps the port competitive for the next twenty years,” the harbour master told reporters.",
        "Shipping companies had diverted some vessels to neighbouring ports during the closure, and "
        "officials expect traffic to return to normal levels by January.",
    ),
)

FERRY_FIRE_2019 = Story(
    slug="ferry-fire-forces-evacuation-2019",
    headline="Ferry fire forces evacuation of 300 passengers",
    byline="By Global Wire",
    agency="AP",
    dateline="HELSINKI (AP) —",
    published="2019-03-14T10:00:00+00:00",
    paragraphs=(
        "A fire in the engine room of a passenger ferry forced the evacuation of 300 people in the Gulf of "
        "Finland on Thursday, the coast guard said.",
        "All passengers and crew were taken off safely by lifeboats and rescue vessels, and nobody was "
        "seriously hurt, officials said.",
        "The cause of the fire was under investigation. The ferry was towed to port in the afternoon.",
        "It was the second fire on a passenger vessel in the region this year.",
    ),
)

# Stories at URLs of the shapes real sites use, which no guess from the URL's shape takes for
# articles: only the feeds and sitemaps that list them say they are (issue 17).
LAVROV_WALKOUT = Story(
    slug="lavrov-walkout",
    headline="Lavrov walks out of security conference as envoys trade accusations",
    byline="By Global Wire",
    agency="AP",
    dateline="SKOPJE, North Macedonia (AP) —",
    published="2024-12-05T18:20:00+00:00",
    paragraphs=(
        "Russia’s foreign minister left a meeting of Europe’s main security body on Thursday before the "
        "Ukrainian delegation spoke, the latest in a series of walkouts at international gatherings.",
        "Sergey Lavrov had used his own speech to accuse Western governments of turning the organisation "
        "into a tool against Moscow, and did not return for the afternoon session.",
        "Diplomats from several member states said the departure had been expected and did not change the "
        "agenda, which includes the election of new heads for three of the body’s institutions.",
        "The two-day gathering in Skopje is the first held in North Macedonia, which chairs the "
        "organisation this year.",
    ),
)

GRAIN_CORRIDOR = Story(
    slug="cy4m84d2xz2o",
    headline="Grain ships wait off Constanta as dock workers extend stoppage",
    byline="By Global Wire",
    agency="Reuters",
    dateline="BUCHAREST (Reuters) -",
    published="2024-12-05T07:45:00+00:00",
    paragraphs=(
        "More than forty bulk carriers were anchored off Romania’s main Black Sea port on Thursday as dock "
        "workers extended a stoppage over pay into a fourth day.",
        "The port handles a large share of the grain that leaves the region by sea, and traders said the "
        "delays had already pushed up freight rates for December loadings.",
        "The workers’ union said it would keep the terminals closed until the operator agreed to raise "
        "night-shift pay, while the operator called the demand unaffordable.",
        "The transport ministry has asked both sides to meet on Friday with a government mediator.",
    ),
)

CHIP_PLANT = Story(
    slug="12345",
    headline="Chipmaker picks Saxony for second European plant",
    byline="By Press Association",
    agency="PA",
    dateline="",
    published="2024-12-05T11:00:00+00:00",
    paragraphs=(
        "A Taiwanese chipmaker said on Thursday it would build its second European factory near Dresden, "
        "creating about 2,000 jobs once production starts at the end of the decade.",
        "The company said it chose the site for its skilled workforce and for the cluster of suppliers "
        "that has grown around the region’s existing semiconductor plants.",
        "Germany’s economy ministry said subsidies for the project were still being negotiated with the "
        "European Commission under the bloc’s rules for state aid.",
        "Construction is due to begin next autumn, subject to planning approval from the state government.",
    ),
)

FLOOD_DEFENCES = Story(
    slug="4567",
    headline="Town votes to raise flood walls after third winter of floods",
    byline="By Press Association",
    agency="PA",
    dateline="",
    published="2024-12-04T16:30:00+00:00",
    paragraphs=(
        "Councillors in a riverside market town voted unanimously on Wednesday to raise its flood walls by "
        "half a metre, after the river burst its banks for the third winter running.",
        "The work will cost 6.5 million pounds, most of it from a national flood defence fund, and is "
        "expected to take two years to complete.",
        "Shopkeepers on the high street said insurance premiums had tripled since the first flood and that "
        "several businesses had closed rather than reopen again.",
        "The Environment Agency said the new walls would protect about 400 homes from a flood of the size "
        "expected once in a hundred years.",
    ),
)

MUSEUM_RETURN = Story(
    slug="short-slug",
    headline="Museum returns bronze heads to Nigeria",
    byline="By Press Association",
    agency="PA",
    dateline="",
    published="2024-12-06T12:15:00+00:00",
    paragraphs=(
        "A university museum handed back a set of bronze heads to Nigerian officials at a ceremony on "
        "Friday, more than a century after they were taken from Benin City by British soldiers.",
        "The museum’s director said the return had been agreed after two years of talks with the National "
        "Commission for Museums and Monuments in Abuja.",
        "Nigeria’s culture minister thanked the museum and said the heads would be shown in a new gallery "
        "being built in Benin City.",
        "Several other British institutions are in talks about returning objects from their collections.",
    ),
)

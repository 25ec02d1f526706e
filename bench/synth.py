"""Synthetic course documents for benchmarks: realistic, deterministic, always valid.

Titles and descriptions in Dutch and English from the catalogue's domains (nursing,
education, management, theology, arts, engineering, law, health, ICT), all six partners
with their own domain mix and cities, and distributions close to a continuing-education
offer: many short courses and micro-credentials, postgraduates of 20 to 60 ECTS, prices
from free to a few thousand euro, 0 to 5 offerings (2.5 on average) starting within the
next 18 months, and a share of unknown (null) values.

The same ``(n, seed, today)`` always gives the same documents.

    python bench/synth.py --n 100000 --out courses.ndjson

writes one ``{"institution": slug, "course": document}`` object a line.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

__all__ = ["DOMAINS", "INSTITUTIONS", "Domain", "Partner", "generate_courses", "main"]


class Domain(NamedTuple):
    isced: list[str]
    topics: list[tuple[str, str]]  # (Dutch, English)
    audiences: list[tuple[str, str]]  # (Dutch, English)
    keywords: list[str]


class Partner(NamedTuple):
    web: str
    share: float  # of all courses
    domains: dict[str, int]  # domain: weight
    cities: list[tuple[str, list[str]]]  # (city, campuses)


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(";")]


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(nl.strip(), en.strip()) for nl, en in (item.split("|") for item in _items(text))]


def _domain(isced: str, topics: str, audiences: str, keywords: str) -> Domain:
    """A domain from ``;``-separated lists, with ``nl|en`` pairs: it keeps the tables short."""
    return Domain(isced.split(), _pairs(topics), _pairs(audiences), _items(keywords))


def _partner(web: str, share: float, domains: str, cities: str) -> Partner:
    """Domains as ``name weight``; cities as ``City: Campus, Campus`` (default: the city's name)."""
    weights = {name: int(weight) for name, weight in (d.split() for d in _items(domains))}
    places = [(c.partition(":")[0].strip(), c.partition(":")[2]) for c in _items(cities)]
    return Partner(
        web,
        share,
        weights,
        [
            (city, [x.strip() for x in campuses.split(",")] if campuses else [city])
            for city, campuses in places
        ],
    )


DOMAINS: dict[str, Domain] = {
    "nursing": _domain(
        "0913",
        "wondzorg|wound care; palliatieve zorg|palliative care; "
        "geriatrische zorg|geriatric care; diabeteseducatie|diabetes education; "
        "intensieve zorg|intensive care; spoedgevallenzorg|emergency care; "
        "oncologische zorg|oncology care; pediatrische verpleegkunde|paediatric nursing; "
        "thuisverpleging|home nursing; pijnbehandeling|pain management; "
        "dementiezorg|dementia care; infectiepreventie|infection prevention",
        "verpleegkundigen|nurses; zorgkundigen|care assistants; vroedvrouwen|midwives",
        "verpleegkunde; nursing; zorg; patiëntveiligheid; klinisch redeneren",
    ),
    "education": _domain(
        "0111 0113 0114",
        "inclusief onderwijs|inclusive education; digitale didactiek|digital didactics; "
        "taalgericht vakonderwijs|language-sensitive teaching; "
        "zorgcoördinatie|special needs coordination; leerlingenbegeleiding|pupil guidance; "
        "STEM-didactiek|STEM teaching; "
        "meertaligheid in de klas|multilingualism in the classroom; "
        "evaluatie en feedback|assessment and feedback; schoolleiderschap|school leadership; "
        "mentorschap voor startende leraren|mentoring new teachers",
        "leraren|teachers; schoolleiders|school leaders; "
        "leerkrachten basisonderwijs|primary school teachers",
        "onderwijs; education; didactiek; lerarenopleiding; klaspraktijk",
    ),
    "management": _domain(
        "0413 0414 0411",
        "leiderschap|leadership; projectmanagement|project management; "
        "verandermanagement|change management; financieel management|financial management; "
        "human resources management|human resources management; "
        "supply chain management|supply chain management; digitale marketing|digital marketing; "
        "bedrijfsbeheer|business administration; duurzaam ondernemen|sustainable business; "
        "kwaliteitsmanagement|quality management; ondernemerschap|entrepreneurship",
        "leidinggevenden|managers; ondernemers|entrepreneurs; teamcoaches|team coaches",
        "management; bedrijfskunde; strategie; organisatie; leiderschap",
    ),
    "theology": _domain(
        "0221 0223",
        "interreligieuze dialoog|interreligious dialogue; pastorale zorg|pastoral care; "
        "spirituele zorg|spiritual care; bijbelwetenschappen|biblical studies; "
        "kerkelijk recht|canon law; zorgethiek|care ethics; "
        "godsdienstpedagogiek|religious education",
        "pastores|pastoral workers; godsdienstleraren|religion teachers; "
        "zorgpastores|healthcare chaplains",
        "theologie; theology; religie; zingeving; ethiek",
    ),
    "arts": _domain(
        "0211 0212 0213 0215",
        "fotografie|photography; grafisch ontwerp|graphic design; "
        "muziekproductie|music production; scenografie|scenography; animatiefilm|animation film; "
        "beeldende kunst|visual arts; kunsteducatie|arts education; "
        "creatief schrijven|creative writing",
        "kunstenaars|artists; ontwerpers|designers; kunstdocenten|art teachers",
        "kunst; arts; design; creativiteit; atelier",
    ),
    "engineering": _domain(
        "0710 0713 0714 0715 0732",
        "industriële automatisering|industrial automation; energietechniek|energy engineering; "
        "duurzame bouwtechniek|sustainable construction; elektromobiliteit|electric mobility; "
        "veiligheidskunde|safety engineering; procestechnologie|process technology; "
        "hernieuwbare energie|renewable energy; brouwerijtechnologie|brewing technology",
        "ingenieurs|engineers; technici|technicians; preventieadviseurs|prevention advisers",
        "techniek; engineering; innovatie; energie; industrie 4.0",
    ),
    "law": _domain(
        "0421",
        "arbeidsrecht|employment law; gegevensbescherming|data protection; "
        "fiscaal recht|tax law; familierecht|family law; bemiddeling|mediation; "
        "overheidsopdrachten|public procurement; milieurecht|environmental law; "
        "insolventierecht|insolvency law",
        "juristen|lawyers; advocaten|attorneys; HR-professionals|HR professionals",
        "recht; law; juridisch; wetgeving; GDPR",
    ),
    "health": _domain(
        "0912 0915 0916 0914",
        "kinesitherapie|physiotherapy; geestelijke gezondheidszorg|mental health care; "
        "voedingsadvies|nutrition counselling; farmaceutische zorg|pharmaceutical care; "
        "revalidatie|rehabilitation; medische beeldvorming|medical imaging; "
        "logopedie|speech therapy; sportgeneeskunde|sports medicine; "
        "gezondheidspromotie|health promotion",
        "zorgprofessionals|healthcare professionals; kinesitherapeuten|physiotherapists; "
        "apothekers|pharmacists",
        "gezondheid; health; welzijn; preventie; eerstelijnszorg",
    ),
    "ict": _domain(
        "0611 0612 0613",
        "cybersecurity|cybersecurity; artificiële intelligentie|artificial intelligence; "
        "data-analyse|data analytics; softwareontwikkeling|software development; "
        "cloud computing|cloud computing; netwerkbeheer|network administration; "
        "UX-ontwerp|UX design; programmeren in Python|Python programming; "
        "machine learning|machine learning; databanken|databases",
        "IT-professionals|IT professionals; ontwikkelaars|developers; data-analisten|data analysts",
        "ICT; informatica; digitalisering; data; programmeren",
    ),
}

INSTITUTIONS: dict[str, Partner] = {
    "kuleuven": _partner(
        "kuleuven.be",
        0.3,
        "theology 3; law 3; engineering 3; health 3; management 3; education 2; ict 2; "
        "nursing 1; arts 1",
        "Leuven: Gasthuisberg, Sociale Wetenschappen, Arenberg; Brussel; Gent; "
        "Antwerpen: Carolus; Kortrijk: Kulak; Brugge; Geel; Diepenbeek; "
        "Sint-Katelijne-Waver: De Nayer; Aalst",
    ),
    "luca": _partner(
        "luca-arts.be",
        0.08,
        "arts 8; education 2",
        "Brussel: Narafi, Sint-Lukas; Gent: Sint-Lucas; Genk: C-mine; Leuven: Lemmens; "
        "Antwerpen: Sint-Lucas Antwerpen",
    ),
    "odisee": _partner(
        "odisee.be",
        0.14,
        "management 3; education 3; health 2; nursing 2; ict 2; law 1",
        "Brussel; Gent: Waas, Schoonmeersen; Aalst; Sint-Niklaas: Waas; Dilbeek",
    ),
    "thomasmore": _partner(
        "thomasmore.be",
        0.16,
        "nursing 3; education 3; management 2; ict 2; engineering 2; health 2; arts 1",
        "Mechelen: Kruidtuin, De Vest, Lucas Faydherbe; Antwerpen: Sint-Andries, National; Geel; "
        "Turnhout; Lier; Sint-Katelijne-Waver: De Nayer",
    ),
    "ucll": _partner(
        "ucll.be",
        0.16,
        "nursing 3; education 3; health 3; management 2; ict 2",
        "Leuven: Gasthuisberg, Proximus, Hertogstraat; Diepenbeek; Hasselt; Genk",
    ),
    "vives": _partner(
        "vives.be",
        0.16,
        "nursing 3; education 3; management 2; ict 2; engineering 2; health 2",
        "Kortrijk; Brugge: Brugge Xaverianen, Brugge Sint-Michiels; Roeselare; Oostende; Torhout",
    ),
}

_TYPES = {
    "postgraduate": 0.28,
    "microcredential": 0.30,
    "short_course": 0.27,
    "module": 0.11,
    "other": 0.04,
}
_TITLES = {  # course type: (Dutch patterns, English patterns); {t} is the topic
    "postgraduate": (
        ["Postgraduaat {t}", "Postgraduaat {t} voor {a}"],
        ["Postgraduate Certificate in {T}", "Postgraduate Programme in {T}"],
    ),
    "microcredential": (
        ["Microcredential {t}", "Microcredential {t} voor {a}"],
        ["Micro-credential {T}", "Micro-credential in {T} for {A}"],
    ),
    "short_course": (
        ["Opleiding {t}", "Studiedag {t}", "Bijscholing {t} voor {a}", "Vormingsreeks {t}"],
        ["Short Course in {T}", "Masterclass {T}", "Workshop {T} for {A}"],
    ),
    "module": (["Module {t}", "Module {t} (gevorderd)"], ["Module {T}", "Advanced Module in {T}"]),
    "other": (
        ["Zomerschool {t}", "Getuigschrift {t}"],
        ["Summer School {T}", "Certificate in {T}"],
    ),
}
_MODES = {
    "presential": 0.42,
    "blended": 0.25,
    "online": 0.18,
    "hybrid": 0.08,
    "work_based": 0.04,
    "project_based": 0.03,
}
_OFFERING_COUNTS = {0: 0.10, 1: 0.17, 2: 0.23, 3: 0.22, 4: 0.16, 5: 0.12}  # mean 2.53
_ECTS = {
    "postgraduate": [20, 20, 25, 30, 30, 30, 45, 60, 60],
    "microcredential": [3, 4, 5, 6, 6, 10, 12, 15],
    "short_course": [1, 2, 3],
    "module": [3, 4, 5, 6],
    "other": [1, 2, 5, 10],
}
_PRICE = {
    "postgraduate": (1200, 6500),
    "microcredential": (150, 1500),
    "short_course": (0, 600),
    "module": (300, 1200),
    "other": (0, 900),
}
_DAYS = {
    "postgraduate": (180, 300),
    "microcredential": (30, 120),
    "short_course": (0, 30),
    "module": (40, 100),
    "other": (3, 60),
}


def generate_courses(
    n: int, seed: int = 0, *, today: date | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``n`` (institution slug, course document) pairs; offerings start after ``today``."""
    rng = random.Random(seed)
    today = today or date.today()
    slugs, shares = list(INSTITUTIONS), [v[1] for v in INSTITUTIONS.values()]
    for i in range(n):
        slug = rng.choices(slugs, shares)[0]
        yield slug, _course(rng, slug, f"SYN-{i:07d}", today)


def _pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def _maybe(rng: random.Random, p_null: float, value: Any) -> Any:
    return None if rng.random() < p_null else value


def _course(rng: random.Random, slug: str, code: str, today: date) -> dict[str, Any]:
    web, _, domain_weights, cities = INSTITUTIONS[slug]
    isced, topics, audiences, keywords = DOMAINS[_pick(rng, domain_weights)]
    kind = _pick(rng, _TYPES)
    (topic_nl, topic_en), (aud_nl, aud_en) = rng.choice(topics), rng.choice(audiences)
    roll = rng.random()
    languages = (
        ["nl"]
        if roll < 0.70
        else ["en"]
        if roll < 0.82
        else ["nl", "en"]
        if roll < 0.97
        else ["nl", "fr"]
    )
    title_languages = {"nl"} if "nl" in languages else {"en"}
    if "en" in languages or rng.random() < 0.35:
        title_languages.add("en")
    langs = sorted(title_languages)
    words = {"t": topic_nl, "a": aud_nl, "T": _title_case(topic_en), "A": aud_en}
    title = {lang: _cap(rng.choice(_TITLES[kind][lang == "en"]).format(**words)) for lang in langs}
    mode = _maybe(rng, 0.05, _pick(rng, _MODES))
    both = {
        "target_group": (
            f"Voor {aud_nl} die zich willen verdiepen in {topic_nl}.",
            f"For {aud_en} who want to deepen their knowledge of {topic_en}.",
        ),
        "prerequisites": (
            "Een bachelordiploma of gelijkwaardige ervaring.",
            "A bachelor's degree or equivalent experience.",
        ),
        "description": _description(rng, topic_nl, topic_en, aud_nl, aud_en, mode),
    }
    text = {field: {lang: pair[lang == "en"] for lang in langs} for field, pair in both.items()}
    picked = list(dict.fromkeys([topic_nl, *rng.sample(keywords, rng.randint(1, 4))]))
    homepage = f"https://www.{web}/opleidingen/{_slug(title[langs[0]])}-{code.lower()}"
    doc: dict[str, Any] = {
        "code": code,
        "type": kind,
        "title": title,
        "description": _maybe(rng, 0.15, text["description"]),
        "learning_outcomes": _outcomes(rng, langs, topic_nl, topic_en),
        "ects": _maybe(rng, 0.6 if kind == "short_course" else 0.1, rng.choice(_ECTS[kind])),
        "eqf_level": _maybe(rng, 0.15, _eqf(rng, slug, kind)),
        "isced_codes": _maybe(
            rng, 0.2, sorted(rng.sample(isced, k=min(len(isced), rng.randint(1, 2))))
        ),
        "languages": languages,
        "mode": mode,
        "target_group": _maybe(rng, 0.3, text["target_group"]),
        "prerequisites": _maybe(rng, 0.5, text["prerequisites"]),
        "microcredential": kind == "microcredential" or (kind == "module" and rng.random() < 0.2),
        "keywords": _maybe(rng, 0.1, picked),
        "skills": _maybe(
            rng, 0.5, [{"label": topic_nl if "nl" in langs else topic_en, "esco_uri": None}]
        ),
        "url": _maybe(rng, 0.1, homepage),
    }
    if rng.random() < 0.08:
        others = [s for s in INSTITUTIONS if s != slug]
        doc["joint_partners"] = sorted(rng.sample(others, rng.randint(1, 2)))
    price = _maybe(rng, 0.15, _price(rng, kind))
    count = _pick(rng, _OFFERING_COUNTS)
    starts = sorted(_weekday(today + timedelta(days=rng.randint(1, 548))) for _ in range(count))
    doc["offerings"] = [
        _offering(rng, k, start, today, doc, price, web, cities) for k, start in enumerate(starts)
    ]
    return doc


def _offering(
    rng: random.Random,
    k: int,
    start: date,
    today: date,
    course: dict[str, Any],
    base_price: float | None,
    web: str,
    cities: list[tuple[str, list[str]]],
) -> dict[str, Any]:
    code = f"E{k + 1:02d}-{start:%Y%m}"
    mode = course["mode"] if rng.random() < 0.85 else _pick(rng, _MODES)
    city, campuses = rng.choice(cities)
    remote = mode == "online" and rng.random() < 0.7
    end = start + timedelta(days=rng.randint(*_DAYS[course["type"]]))
    price = base_price
    if base_price and rng.random() < 0.2:
        price = round(base_price * rng.uniform(0.9, 1.1))
    soon = (start - today).days < 60
    status = _pick(
        rng,
        {"open": 0.6, "full": 0.2, "planned": 0.15, "cancelled": 0.05}
        if soon
        else {"planned": 0.6, "open": 0.35, "cancelled": 0.05},
    )
    deadline = start - timedelta(days=rng.randint(7, 28))
    enrol = f"https://www.{web}/inschrijven/{course['code'].lower()}/{code.lower()}"
    return {
        "code": code,
        "start_date": start.isoformat(),
        "end_date": _maybe(rng, 0.1, end.isoformat()),
        "enrolment_deadline": _maybe(rng, 0.4, deadline.isoformat()),
        "mode": mode,
        "campus": None if remote else _maybe(rng, 0.3, rng.choice(campuses)),
        "city": None if remote else city,
        "price_eur": price,
        "incentive_eligible": _pick(rng, {True: 0.45, False: 0.25, None: 0.30}),
        "capacity": _maybe(rng, 0.45, rng.choice([12, 15, 16, 20, 24, 25, 30, 40, 60, 100])),
        "language": _maybe(rng, 0.05, rng.choice(course["languages"])),
        "enrolment_url": _maybe(rng, 0.5, enrol),
        "status": _maybe(rng, 0.1, status),
    }


def _description(
    rng: random.Random, topic_nl: str, topic_en: str, aud_nl: str, aud_en: str, mode: str | None
) -> tuple[str, str]:
    route_nl = {"online": "een volledig online", "blended": "een blended", "hybrid": "een hybride"}
    route_en = {"online": "a fully online", "blended": "a blended", "hybrid": "a hybrid"}
    nl = (
        f"In deze opleiding verdiep je je in {topic_nl}. Je combineert recente inzichten uit "
        f"onderzoek met casussen uit de praktijk van {aud_nl}, in "
        f"{route_nl.get(mode or '', 'een praktijkgericht')} traject."
    )
    en = (
        f"This programme deepens your knowledge of {topic_en}. It combines recent research with "
        f"cases from the daily practice of {aud_en}, in {route_en.get(mode or '', 'a hands-on')} "
        "format."
    )
    if rng.random() < 0.5:
        nl += " Je werkt aan een opdracht uit je eigen werkcontext."
        en += " You work on an assignment from your own workplace."
    return nl, en


def _outcomes(
    rng: random.Random, langs: list[str], topic_nl: str, topic_en: str
) -> list[dict[str, str]] | None:
    pairs = [
        (
            f"Je past de principes van {topic_nl} toe in je eigen praktijk.",
            f"You apply the principles of {topic_en} in your own practice.",
        ),
        (
            f"Je analyseert een complexe situatie rond {topic_nl} en stelt een aanpak voor.",
            f"You analyse a complex situation in {topic_en} and propose an approach.",
        ),
        (
            "Je reflecteert kritisch op je eigen handelen en dat van je team.",
            "You reflect critically on your own actions and those of your team.",
        ),
        (
            "Je communiceert helder met collega's, cliënten en andere betrokkenen.",
            "You communicate clearly with colleagues, clients and other stakeholders.",
        ),
    ]
    chosen = rng.sample(pairs, rng.randint(0, 4))
    return [{lang: pair[lang == "en"] for lang in langs} for pair in chosen] or None


def _eqf(rng: random.Random, slug: str, kind: str) -> int:
    if kind == "postgraduate":
        return 7 if slug == "kuleuven" and rng.random() < 0.8 else 6
    levels = {"microcredential": [5, 6, 6, 7], "module": [6, 7], "short_course": [5, 6]}
    return rng.choice(levels.get(kind, [5, 6]))


def _price(rng: random.Random, kind: str) -> float:
    if kind in ("short_course", "other") and rng.random() < 0.1:
        return 0
    low, high = _PRICE[kind]
    return round(rng.uniform(low, high) / 25) * 25


def _weekday(day: date) -> date:
    """Move a Saturday or Sunday start to the Monday after."""
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_case(text: str) -> str:
    small = {"and", "in", "of", "for", "the"}
    return " ".join(w if w in small else _cap(w) for w in text.split())


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:80]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic course documents as NDJSON.")
    parser.add_argument("--n", type=int, default=1000, help="number of courses")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="YYYY-MM-DD that offerings start after; default today",
    )
    parser.add_argument("--out", type=Path, default=None, help="NDJSON file; default stdout")
    args = parser.parse_args(argv)
    encoder = msgspec.json.Encoder()
    out = args.out.open("wb") if args.out else sys.stdout.buffer
    try:
        for slug, doc in generate_courses(args.n, args.seed, today=args.today):
            out.write(encoder.encode({"institution": slug, "course": doc}) + b"\n")
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

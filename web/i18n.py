"""The pages' strings in Dutch and English, and choosing the language of a request.

Choice order: ``?lang=`` (the switch, remembered in a cookie), the ``lang`` cookie, the
browser's ``Accept-Language`` (highest q wins), Dutch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["DEFAULT", "LANGUAGES", "choose_language", "translator"]

LANGUAGES = ("nl", "en")
DEFAULT = "nl"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "site": "Academy", "tagline": "Courses and microcredentials of the Association",
        "nav.search": "Search", "nav.verify": "Verify", "nav.me": "My credentials",
        "skip": "Skip to content", "switch": "Nederlands", "switch.label": "Taal: Nederlands",
        "search.title": "Find a course", "search.q": "What do you want to learn?",
        "search.submit": "Search", "search.filters": "Filters", "search.apply": "Apply filters",
        "search.reset": "Clear all", "search.ranges": "Dates, ECTS and price",
        "search.results": "{n} courses", "search.none": "No courses match this search.",
        "search.did_you_mean": "Did you mean", "search.more": "Load more",
        "search.partial": "Not every word of your search matched. These courses match part of it, the closest first.",
        "card.partial": "Partial match",
        "search.pathways": "Pathways: stack microcredentials into an award",
        "search.sort": "Sort by", "sort.relevance": "Relevance", "sort.start_date": "Start date",
        "sort.price": "Price", "sort.title": "Title",
        "filter.starts_after": "Starts after", "filter.starts_before": "Starts before",
        "filter.ects_min": "ECTS at least", "filter.ects_max": "ECTS at most",
        "filter.price_max": "Price at most (EUR)", "filter.microcredential": "Microcredentials only",
        "facet.institution": "Institution", "facet.language": "Language", "facet.mode": "Mode",
        "facet.city": "City", "facet.type": "Type",
        "card.next": "Next start", "card.none": "No upcoming start announced", "card.price": "Price",
        "card.free": "free", "badge.mc": "Microcredential", "course.enrol": "Enrol",
        "course.more": "More information",
        "course.withdrawn": "This course is no longer offered.",
        "course.outcomes": "Learning outcomes", "course.start": "Start", "course.end": "End",
        "course.deadline": "Enrolment deadline", "course.where": "Where",
        "course.language": "Language", "course.status": "Status",
        "cred.title": "Credential", "cred.earned": "Earned", "cred.by": "Issued by",
        "cred.on": "Issued on", "cred.ects": "ECTS", "cred.eqf": "EQF level",
        "cred.holder": "Holder", "cred.download": "Download the credential (JSON)",
        "cred.pdf": "Certificate to print (PDF)", "cred.baked": "Badge with the credential (SVG)",
        "cred.linkedin": "Add to LinkedIn profile", "cred.badge": "Badge of {title}",
        "cred.links_note": "The certificate and LinkedIn point to share links made for them: "
                           "deleting such a link makes them unverifiable.",
        "wallet.add": "Add to wallet", "wallet.title": "Add to your wallet",
        "wallet.scan": "Scan this QR code with your wallet app (OpenID4VCI).",
        "wallet.code": "Then enter this code in the wallet:",
        "wallet.expires": "The QR code works once and expires at {at} (UTC).",
        "wallet.qr": "QR code of the credential offer for your wallet",
        "wallet.back": "Back to the credential",
        "wallet.open": "On this phone: open the wallet app.",
        "cred.qr": "QR code that opens this page", "cred.checks": "Checks behind the verdict",
        "cred.check": "Check", "cred.result": "Result", "cred.reason": "Details",
        "verdict.valid": "valid", "verdict.revoked": "revoked", "verdict.suspended": "suspended",
        "verdict.unknown": "status unknown", "verdict.invalid": "not valid",
        "verdict.label": "Verification",
        "check.ok": "passed", "check.failed": "failed", "check.unknown": "undecided",
        "check.proof": "Signature", "check.issuer": "Issuer", "check.status": "Status",
        "check.validity": "Validity period", "check.schema": "Format",
        "verify.title": "Verify a credential",
        "verify.intro": "Paste a credential (JSON) or upload its file. Nothing is stored.",
        "verify.paste": "Credential JSON", "verify.file": "Or upload a file",
        "verify.submit": "Verify", "verify.empty": "Paste a credential or choose its file.",
        "verify.bad": "This is not a credential we can read",
        "me.title": "My credentials and progress", "me.token": "Learner token",
        "me.token.help": "The token your institution sent you (starts with lrn_).",
        "me.open": "Open", "me.logout": "Forget my token", "me.none": "You hold no credentials yet.",
        "me.bad": "This token is unknown or has expired.", "me.pathways": "Pathways",
        "me.nopathways": "None of your credentials counts towards a pathway yet.",
        "me.scope": "This token shows what {name} issued to you.",
        "error.title": "Something is not right", "error.back": "Back to search",
        "error.404": "We could not find this page.", "error.4xx": "We could not handle this request.",
    },
    "nl": {
        "site": "Academy", "tagline": "Opleidingen en microcredentials van de Associatie",
        "nav.search": "Zoeken", "nav.verify": "Verifiëren", "nav.me": "Mijn credentials",
        "skip": "Naar de inhoud", "switch": "English", "switch.label": "Language: English",
        "search.title": "Vind een opleiding", "search.q": "Wat wil je leren?",
        "search.submit": "Zoeken", "search.filters": "Filters", "search.apply": "Filters toepassen",
        "search.reset": "Alles wissen", "search.ranges": "Data, ECTS en prijs",
        "search.results": "{n} opleidingen", "search.none": "Geen opleidingen gevonden.",
        "search.did_you_mean": "Bedoelde je", "search.more": "Meer laden",
        "search.partial": "Niet elk woord van je zoekopdracht is gevonden. Deze opleidingen komen er deels mee overeen, de beste eerst.",
        "card.partial": "Deels overeenkomend",
        "search.pathways": "Trajecten: stapel microcredentials tot een getuigschrift",
        "search.sort": "Sorteren op", "sort.relevance": "Relevantie", "sort.start_date": "Startdatum",
        "sort.price": "Prijs", "sort.title": "Titel",
        "filter.starts_after": "Start na", "filter.starts_before": "Start voor",
        "filter.ects_min": "Minstens ECTS", "filter.ects_max": "Hoogstens ECTS",
        "filter.price_max": "Hoogstens (EUR)", "filter.microcredential": "Enkel microcredentials",
        "facet.institution": "Instelling", "facet.language": "Taal", "facet.mode": "Vorm",
        "facet.city": "Stad", "facet.type": "Soort",
        "card.next": "Volgende start", "card.none": "Nog geen volgende start aangekondigd", "card.price": "Prijs",
        "card.free": "gratis", "badge.mc": "Microcredential", "course.enrol": "Inschrijven",
        "course.more": "Meer informatie",
        "course.withdrawn": "Deze opleiding wordt niet meer aangeboden.",
        "course.outcomes": "Leerresultaten", "course.start": "Start", "course.end": "Einde",
        "course.deadline": "Inschrijven tot", "course.where": "Waar",
        "course.language": "Taal", "course.status": "Status",
        "cred.title": "Credential", "cred.earned": "Behaald", "cred.by": "Uitgereikt door",
        "cred.on": "Uitgereikt op", "cred.ects": "ECTS", "cred.eqf": "EQF-niveau",
        "cred.holder": "Houder", "cred.download": "Credential downloaden (JSON)",
        "cred.pdf": "Certificaat om af te drukken (PDF)",
        "cred.baked": "Badge met de credential (SVG)",
        "cred.linkedin": "Toevoegen aan LinkedIn-profiel", "cred.badge": "Badge van {title}",
        "cred.links_note": "Het certificaat en LinkedIn verwijzen naar deellinks die daarvoor "
                           "gemaakt zijn: wie zo'n link verwijdert, maakt ze onverifieerbaar.",
        "wallet.add": "Toevoegen aan wallet", "wallet.title": "Toevoegen aan je wallet",
        "wallet.scan": "Scan deze QR-code met je wallet-app (OpenID4VCI).",
        "wallet.code": "Voer daarna deze code in de wallet in:",
        "wallet.expires": "De QR-code werkt één keer en vervalt om {at} (UTC).",
        "wallet.qr": "QR-code van het credentialaanbod voor je wallet",
        "wallet.back": "Terug naar de credential",
        "wallet.open": "Op deze telefoon: open de wallet-app.",
        "cred.qr": "QR-code die deze pagina opent", "cred.checks": "Controles achter het oordeel",
        "cred.check": "Controle", "cred.result": "Resultaat", "cred.reason": "Details",
        "verdict.valid": "geldig", "verdict.revoked": "ingetrokken", "verdict.suspended": "geschorst",
        "verdict.unknown": "status onbekend", "verdict.invalid": "niet geldig",
        "verdict.label": "Verificatie",
        "check.ok": "geslaagd", "check.failed": "mislukt", "check.unknown": "onbeslist",
        "check.proof": "Handtekening", "check.issuer": "Uitreiker", "check.status": "Status",
        "check.validity": "Geldigheidsperiode", "check.schema": "Formaat",
        "verify.title": "Een credential verifiëren",
        "verify.intro": "Plak een credential (JSON) of laad het bestand op. Er wordt niets bewaard.",
        "verify.paste": "Credential (JSON)", "verify.file": "Of laad een bestand op",
        "verify.submit": "Verifiëren", "verify.empty": "Plak een credential of kies het bestand.",
        "verify.bad": "Dit is geen credential dat we kunnen lezen",
        "me.title": "Mijn credentials en voortgang", "me.token": "Leerderstoken",
        "me.token.help": "Het token dat je instelling je stuurde (begint met lrn_).",
        "me.open": "Openen", "me.logout": "Token vergeten", "me.none": "Je hebt nog geen credentials.",
        "me.bad": "Dit token is onbekend of verlopen.", "me.pathways": "Leertrajecten",
        "me.nopathways": "Geen van je credentials telt al mee voor een leertraject.",
        "me.scope": "Dit token toont wat {name} je uitreikte.",
        "error.title": "Er loopt iets mis", "error.back": "Terug naar zoeken",
        "error.404": "We vonden deze pagina niet.", "error.4xx": "We konden dit verzoek niet verwerken.",
    },
}


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)``: the string in ``lang`` (English, then the key, as fallbacks)."""
    table = MESSAGES.get(lang, MESSAGES[DEFAULT])

    def t(key: str, **values: object) -> str:
        text = table.get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text

    return t


def _accepted(header: str) -> list[str]:
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()[:2]))
    return [tag for q, _, tag in sorted(ranked) if q < 0]


def choose_language(query: str | None, cookie: str | None,
                    headers: Mapping[str, str]) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    for tag in _accepted(headers.get("accept-language", "")):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def _merge_parts() -> None:
    """Each family of pages keeps its strings in a module of its own (``web.i18n_*``)."""
    from web.i18n_a11y import A11Y_MESSAGES
    from web.i18n_employer import EMPLOYER_MESSAGES
    from web.i18n_learner import LEARNER_MESSAGES
    from web.i18n_pro import PRO_MESSAGES
    from web.i18n_signin import SIGNIN_MESSAGES

    for part in (SIGNIN_MESSAGES, PRO_MESSAGES, EMPLOYER_MESSAGES, LEARNER_MESSAGES,
                 A11Y_MESSAGES):
        for lang, strings in part.items():
            MESSAGES[lang].update(strings)


_merge_parts()

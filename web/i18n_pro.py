"""Strings of the pages a professional uses to find a course: search, course and pathway pages.

Merged into ``web.i18n.MESSAGES``; both languages carry every key (a test checks).
"""

from __future__ import annotations

__all__ = ["PRO_MESSAGES"]

PRO_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "search.results.one": "1 course",
        "search.matched": "Matches:",
        "date.hint": "Day/month/year, for example 31/03/2026",
        "date.invalid": "{field}: “{value}” is not a date we can read; write it like 31/03/2026.",
        "course.glance": "At a glance", "course.type": "Type", "course.languages": "Taught in",
        "course.target": "Who it is for", "course.prerequisites": "What you need to start",
        "course.organiser": "Organised by", "course.partners": "Together with",
        "course.partner_link": "All courses of {name}",
        "course.incentives": "Training incentives",
        "incentive.yes": "Eligible for training incentives, such as the KMO-portefeuille or "
                         "paid educational leave (Vlaams opleidingsverlof). Ask the organiser "
                         "which ones apply to you.",
        "incentive.no": "Not eligible for training incentives (KMO-portefeuille, paid "
                        "educational leave).",
        "incentive.mixed": "Depends on the session: see the sessions below.",
        "incentive.short.yes": "eligible", "incentive.short.no": "not eligible",
        "course.sessions": "Sessions", "course.earlier": "Earlier sessions ({n})",
        "course.enrol_by": "Enrol by {date}", "course.closed_on": "Enrolment closed on {date}",
        "course.capacity": "Places",
        "course.pathways": "Counts toward these pathways",
        "course.pathways.intro": "Earn this course's credential and stack it with others into "
                                 "a larger award.",
        "pathway.kind": "Pathway", "pathway.award": "What you earn",
        "pathway.awarded_by": "Awarded by", "pathway.with": "Together with",
        "pathway.rules": "How to earn it",
        "pathway.rule.all_root": "Complete all of these:",
        "pathway.rule.all": "All {n} of these:",
        "pathway.rule.one": "One of these {m}:",
        "pathway.rule.some": "{n} of these {m}:",
        "pathway.rule.ects": "At least {x} ECTS from these:",
        "pathway.rule.unit": "Complete this course:",
        "pathway.limit.total": "At least {x} ECTS in total.",
        "pathway.limit.age": "A credential counts for {years} after it was issued.",
        "pathway.limit.grade": "A credential counts with a grade of at least {g} out of 20 "
                               "(10 is the pass mark).",
        "pathway.assessment": "Assessment", "pathway.participation": "Participation",
        "pathway.qa": "Quality assurance", "pathway.valid": "Valid for",
        "pathway.valid.forever": "does not expire", "pathway.languages": "Language",
        "pathway.prerequisites": "Prerequisites",
        "pathway.retired": "This pathway is closed: it no longer leads to new awards.",
        "pathway.unit.gone": "no longer offered",
        "pathway.json": "This pathway as data (JSON)",
    },
    "nl": {
        "search.results.one": "1 opleiding",
        "search.matched": "Gevonden:",
        "date.hint": "Dag-maand-jaar, bijvoorbeeld 31-03-2026",
        "date.invalid": "{field}: “{value}” is geen datum die we kunnen lezen; schrijf ze zoals 31-03-2026.",
        "course.glance": "In het kort", "course.type": "Soort", "course.languages": "Taal",
        "course.target": "Voor wie", "course.prerequisites": "Wat je nodig hebt om te starten",
        "course.organiser": "Georganiseerd door", "course.partners": "Samen met",
        "course.partner_link": "Alle opleidingen van {name}",
        "course.incentives": "Opleidingsincentives",
        "incentive.yes": "Komt in aanmerking voor opleidingsincentives, zoals de "
                         "KMO-portefeuille of betaald opleidingsverlof (Vlaams opleidingsverlof). "
                         "Vraag de organisator welke voor jou gelden.",
        "incentive.no": "Komt niet in aanmerking voor opleidingsincentives (KMO-portefeuille, "
                        "Vlaams opleidingsverlof).",
        "incentive.mixed": "Verschilt per editie: zie de edities hieronder.",
        "incentive.short.yes": "in aanmerking", "incentive.short.no": "niet in aanmerking",
        "course.sessions": "Edities", "course.earlier": "Eerdere edities ({n})",
        "course.enrol_by": "Inschrijven tot {date}",
        "course.closed_on": "Inschrijvingen afgesloten op {date}",
        "course.capacity": "Plaatsen",
        "course.pathways": "Telt mee voor deze leertrajecten",
        "course.pathways.intro": "Behaal de credential van deze opleiding en stapel hem met "
                                 "andere tot een groter getuigschrift.",
        "pathway.kind": "Leertraject", "pathway.award": "Wat je behaalt",
        "pathway.awarded_by": "Uitgereikt door", "pathway.with": "Samen met",
        "pathway.rules": "Hoe behaal je het",
        "pathway.rule.all_root": "Behaal al deze onderdelen:",
        "pathway.rule.all": "Alle {n}:",
        "pathway.rule.one": "Eén van deze {m}:",
        "pathway.rule.some": "{n} van deze {m}:",
        "pathway.rule.ects": "Minstens {x} ECTS uit deze:",
        "pathway.rule.unit": "Behaal deze opleiding:",
        "pathway.limit.total": "Minstens {x} ECTS in totaal.",
        "pathway.limit.age": "Een credential telt mee tot {years} na de uitreiking.",
        "pathway.limit.grade": "Een credential telt mee met een score van minstens {g} op 20 "
                               "(10 is de grens om te slagen).",
        "pathway.assessment": "Beoordeling", "pathway.participation": "Deelname",
        "pathway.qa": "Kwaliteitszorg", "pathway.valid": "Geldig",
        "pathway.valid.forever": "vervalt niet", "pathway.languages": "Taal",
        "pathway.prerequisites": "Toelatingsvoorwaarden",
        "pathway.retired": "Dit leertraject is afgesloten: het leidt niet meer tot nieuwe "
                           "getuigschriften.",
        "pathway.unit.gone": "niet meer aangeboden",
        "pathway.json": "Dit leertraject als data (JSON)",
    },
}

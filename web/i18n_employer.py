"""The strings of the credential page and /verify (#19, "showing a credential to an
employer"), merged into ``web.i18n.MESSAGES``."""

from __future__ import annotations

__all__ = ["EMPLOYER_MESSAGES"]

EMPLOYER_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "verdict.head.valid": "Valid", "verdict.head.revoked": "Revoked",
        "verdict.head.revoked_on": "Revoked on {on}", "verdict.head.suspended": "Suspended",
        "verdict.head.suspended_on": "Suspended since {on}",
        "verdict.head.unknown": "Status unknown", "verdict.head.invalid": "Not valid",
        "verdict.says.valid": "{issuer} issued this credential. It is unchanged since, and "
                              "it has not been revoked.",
        "verdict.says.revoked": "{issuer} revoked this credential: it no longer attests what "
                                "it says.",
        "verdict.says.suspended": "{issuer} has suspended this credential: it does not count "
                                  "until the suspension is lifted.",
        "verdict.says.unknown": "We could not read whether this credential was revoked, so we "
                                "cannot call it valid. Ask the issuer.",
        "verdict.says.invalid": "Do not rely on this credential:",
        "cred.issuer_unknown": "an unnamed issuer",
        "fact.holder": "Earned by", "fact.achievement": "Achievement", "fact.kind": "Kind",
        "fact.issuer": "Issued by", "fact.issued": "Issued on", "fact.valid_until": "Valid until",
        "fact.country": "Country of the issuer", "fact.ects": "Workload",
        "fact.ects_value": "{n} ECTS", "fact.eqf": "EQF level",
        "fact.field": "Field of study (ISCED-F)", "fact.outcomes": "Learning outcomes",
        "fact.assessment": "Assessment", "fact.grade": "Grade",
        "fact.grade_scale": "{value} on a scale of {low} to {high} (pass mark {passing})",
        "fact.grade_letters": "{value} (possible: {allowed}; pass mark {passing})",
        "fact.supervision": "Supervision", "fact.identity": "Identity of the learner checked",
        "fact.yes": "yes", "fact.no": "no", "fact.participation": "Participation",
        "fact.quality": "Quality assurance", "fact.prerequisites": "Prerequisites",
        "fact.stackability": "Stackability", "fact.further": "More information",
        "fact.description": "About this credential",
        "parts.title": "Made up of", "parts.total": "{n} ECTS of these count towards this award.",
        "parts.course": "about the course", "parts.elsewhere": "a credential of another registry",
        "parts.private": "The parts' own credentials (with their grades) are not shared "
                         "through this link: the holder shares each one separately.",
        "how.title": "How was this checked?",
        "how.intro": "We checked the credential itself, here and now: its digital signature "
                     "against the issuer's key in this registry, whether the issuer is a "
                     "partner of the Association, its entry in the issuer's status list, its "
                     "validity dates and its format.",
        "how.issuer_id": "Issuer's identifier (DID)", "how.technical": "Technical detail",
        "why.proof.ok": "The digital signature matches: nothing was changed since the issuer "
                        "signed it.",
        "why.proof.failed": "The digital signature does not match: the credential was changed "
                            "after signing, or not signed with the issuer's key.",
        "why.proof.unknown": "The signature could not be checked in time. Try again.",
        "why.issuer.ok": "The issuer is a partner of the Association, with its key in this "
                         "registry.",
        "why.issuer.failed": "The issuer is not one of the Association's partners.",
        "why.issuer.unknown": "We could not tell who issued it.",
        "why.status.ok": "The issuer has not revoked or suspended it (its status list, read "
                         "just now).",
        "why.status.none": "It has no status entry, so it cannot be revoked.",
        "why.status.revoked": "The issuer revoked it.",
        "why.status.suspended": "The issuer suspended it.",
        "why.status.failed": "Its status entry could not be read.",
        "why.status.unknown": "Its status list is not one we can read: we cannot tell whether "
                              "it was revoked.",
        "why.validity.ok": "Valid since {since}.",
        "why.validity.until": "Valid from {since} until {until}.",
        "why.validity.expired": "Expired on {on}.",
        "why.validity.not_yet": "Not valid before {on}.",
        "why.validity.failed": "Its validity dates are missing or unreadable.",
        "why.validity.unknown": "Its validity dates could not be checked.",
        "why.schema.ok": "It follows the Open Badges 3.0 format.",
        "why.schema.failed": "It does not follow the Open Badges 3.0 format.",
        "why.schema.unknown": "Its format could not be checked in time.",
        "qr.label": "QR code that opens this credential's share link",
        "qr.make": "Make a QR code for an employer",
        "qr.make.note": "This makes a share link: whoever has the code or the link sees this "
                        "credential, until you delete the link under My credentials.",
        "qr.note": "The QR code opens your share link. Delete the link under My credentials "
                   "to stop it.",
        "verify.intro.any": "Paste a credential (JSON), upload its file, or paste the link to a "
                            "credential of this registry (such as a share link). Nothing is "
                            "stored.",
        "verify.paste.any": "Credential (JSON) or its link",
        "verify.url.bad": "We could not verify this link",
        "verify.url.foreign": "This link is not a credential of this registry: we only open "
                              "links of {host}, never other sites. For a credential from "
                              "elsewhere, paste its JSON or upload its file.",
        "verify.url.unknown": "This link is not a credential of this registry: {host} has no "
                              "credential at this address.",
        "verify.url.gone": "No credential is shared under this link: the holder may have "
                           "deleted it. Ask them for a new link.",
        "verify.url.private": "This is the address of a credential that only its holder and "
                              "its issuer can open. Ask the holder for a share link.",
        "verify.from_link": "Open the credential's page",
    },
    "nl": {
        "verdict.head.valid": "Geldig", "verdict.head.revoked": "Ingetrokken",
        "verdict.head.revoked_on": "Ingetrokken op {on}", "verdict.head.suspended": "Geschorst",
        "verdict.head.suspended_on": "Geschorst sinds {on}",
        "verdict.head.unknown": "Status onbekend", "verdict.head.invalid": "Niet geldig",
        "verdict.says.valid": "{issuer} reikte deze credential uit. Ze is sindsdien niet "
                              "gewijzigd en niet ingetrokken.",
        "verdict.says.revoked": "{issuer} trok deze credential in: ze bewijst niet langer wat "
                                "ze zegt.",
        "verdict.says.suspended": "{issuer} heeft deze credential geschorst: ze telt niet mee "
                                  "tot de schorsing wordt opgeheven.",
        "verdict.says.unknown": "We konden niet nagaan of deze credential werd ingetrokken, "
                                "dus we noemen ze niet geldig. Vraag het de uitreiker.",
        "verdict.says.invalid": "Vertrouw niet op deze credential:",
        "cred.issuer_unknown": "een uitreiker zonder naam",
        "fact.holder": "Behaald door", "fact.achievement": "Behaald", "fact.kind": "Soort",
        "fact.issuer": "Uitgereikt door", "fact.issued": "Uitgereikt op",
        "fact.valid_until": "Geldig tot", "fact.country": "Land van de uitreiker",
        "fact.ects": "Studiebelasting", "fact.ects_value": "{n} ECTS",
        "fact.eqf": "EQF-niveau", "fact.field": "Studiegebied (ISCED-F)",
        "fact.outcomes": "Leerresultaten", "fact.assessment": "Beoordeling",
        "fact.grade": "Resultaat",
        "fact.grade_scale": "{value} op een schaal van {low} tot {high} (geslaagd vanaf "
                            "{passing})",
        "fact.grade_letters": "{value} (mogelijk: {allowed}; geslaagd vanaf {passing})",
        "fact.supervision": "Toezicht", "fact.identity": "Identiteit van de lerende gecontroleerd",
        "fact.yes": "ja", "fact.no": "nee", "fact.participation": "Deelname",
        "fact.quality": "Kwaliteitszorg", "fact.prerequisites": "Toelatingsvoorwaarden",
        "fact.stackability": "Stapelbaarheid", "fact.further": "Meer informatie",
        "fact.description": "Over deze credential",
        "parts.title": "Samengesteld uit",
        "parts.total": "Hiervan tellen {n} ECTS mee voor dit getuigschrift.",
        "parts.course": "over de opleiding", "parts.elsewhere": "een credential van een ander register",
        "parts.private": "De credentials van de onderdelen zelf (met hun resultaten) worden niet "
                         "via deze link gedeeld: de houder deelt elk ervan apart.",
        "how.title": "Hoe werd dit gecontroleerd?",
        "how.intro": "We controleerden de credential zelf, hier en nu: de digitale handtekening "
                     "met de sleutel van de uitreiker in dit register, of de uitreiker een "
                     "partner van de Associatie is, de vermelding in de statuslijst van de "
                     "uitreiker, de geldigheidsdata en het formaat.",
        "how.issuer_id": "Identificatie van de uitreiker (DID)",
        "how.technical": "Technisch detail",
        "why.proof.ok": "De digitale handtekening klopt: er werd niets gewijzigd sinds de "
                        "uitreiker ze ondertekende.",
        "why.proof.failed": "De digitale handtekening klopt niet: de credential werd na het "
                            "ondertekenen gewijzigd, of niet met de sleutel van de uitreiker "
                            "ondertekend.",
        "why.proof.unknown": "De handtekening kon niet op tijd gecontroleerd worden. Probeer "
                             "opnieuw.",
        "why.issuer.ok": "De uitreiker is een partner van de Associatie, met zijn sleutel in "
                         "dit register.",
        "why.issuer.failed": "De uitreiker is geen partner van de Associatie.",
        "why.issuer.unknown": "We konden niet nagaan wie ze uitreikte.",
        "why.status.ok": "De uitreiker heeft ze niet ingetrokken of geschorst (de statuslijst, "
                         "net gelezen).",
        "why.status.none": "Ze heeft geen statusvermelding en kan dus niet ingetrokken worden.",
        "why.status.revoked": "De uitreiker heeft ze ingetrokken.",
        "why.status.suspended": "De uitreiker heeft ze geschorst.",
        "why.status.failed": "De statusvermelding kon niet gelezen worden.",
        "why.status.unknown": "De statuslijst is er geen die we kunnen lezen: we weten niet of "
                              "ze werd ingetrokken.",
        "why.validity.ok": "Geldig sinds {since}.",
        "why.validity.until": "Geldig van {since} tot {until}.",
        "why.validity.expired": "Verlopen op {on}.",
        "why.validity.not_yet": "Niet geldig voor {on}.",
        "why.validity.failed": "De geldigheidsdata ontbreken of zijn onleesbaar.",
        "why.validity.unknown": "De geldigheidsdata konden niet gecontroleerd worden.",
        "why.schema.ok": "Ze volgt het formaat van Open Badges 3.0.",
        "why.schema.failed": "Ze volgt het formaat van Open Badges 3.0 niet.",
        "why.schema.unknown": "Het formaat kon niet op tijd gecontroleerd worden.",
        "qr.label": "QR-code die de deellink van deze credential opent",
        "qr.make": "Maak een QR-code voor een werkgever",
        "qr.make.note": "Dit maakt een deellink: wie de code of de link heeft, ziet deze "
                        "credential, tot je de link verwijdert onder Mijn credentials.",
        "qr.note": "De QR-code opent je deellink. Verwijder de link onder Mijn credentials om "
                   "hem te stoppen.",
        "verify.intro.any": "Plak een credential (JSON), laad het bestand op, of plak de link "
                            "naar een credential van dit register (zoals een deellink). Er "
                            "wordt niets bewaard.",
        "verify.paste.any": "Credential (JSON) of de link ernaartoe",
        "verify.url.bad": "We konden deze link niet verifiëren",
        "verify.url.foreign": "Deze link is geen credential van dit register: we openen enkel "
                              "links van {host}, nooit andere sites. Plak voor een credential "
                              "van elders de JSON of laad het bestand op.",
        "verify.url.unknown": "Deze link is geen credential van dit register: {host} heeft op "
                              "dit adres geen credential.",
        "verify.url.gone": "Onder deze link wordt geen credential gedeeld: de houder heeft hem "
                           "misschien verwijderd. Vraag een nieuwe link.",
        "verify.url.private": "Dit is het adres van een credential die enkel de houder en de "
                              "uitreiker kunnen openen. Vraag de houder om een deellink.",
        "verify.from_link": "Open de pagina van de credential",
    },
}

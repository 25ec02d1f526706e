"""The learner's page's strings (``/me``: credential states and actions, pathway progress in
words), merged into ``web.i18n.MESSAGES``."""

from __future__ import annotations

__all__ = ["LEARNER_MESSAGES"]

LEARNER_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        # what state a credential is in, said in words (never by colour alone)
        "me.state.valid": "Valid",
        "me.state.revoked": "Revoked",
        "me.state.revoked_on": "Revoked on {date}",
        "me.state.suspended": "Suspended",
        "me.state.suspended_on": "Suspended since {date}",
        "me.state.expired": "Expired on {date}",
        "me.state.revoked.help": "The institution withdrew this credential: it no longer counts "
                                 "towards a pathway and cannot be shared or added to a wallet.",
        "me.state.suspended.help": "The institution has put this credential on hold: while it "
                                   "is suspended it does not count and a verifier sees it as "
                                   "suspended.",
        "me.state.expired.help": "Its validity period has ended: a verifier sees it as expired.",
        "me.issued": "Issued on {date}",
        # the actions on each credential
        "me.actions": "What you can do with {title}",
        "me.share": "Share",
        "me.share.help": "Makes a link anyone can open to see and check this credential.",
        "me.export": "Export (JSON)",
        "me.pdf": "Certificate (PDF)",
        "me.shared": "Shared through these links",
        "me.shared.new": "Your new share link is ready. Copy it and send it to whoever should "
                         "see this credential.",
        "me.shared.gone": "The link no longer works: the credential is not shared through it "
                          "any more.",
        "me.link": "Share link",
        "me.link.certificate": "Link printed on the certificate",
        "me.link.linkedin": "Link on your LinkedIn profile",
        "me.link.qr": "Link in the QR code on your credential's page",
        "me.link.made": "made on {date}",
        "me.copy": "Copy link",
        "me.copied": "Copied",
        "me.unshare": "Stop sharing",
        "me.unshare.label": "Stop sharing this link ({made})",
        # pathway progress, per rule, in words
        "pw.rules": "What counts",
        "pw.ects": "{x} ECTS required, {a} earned",
        "pw.ects.more": "{r} more ECTS to go",
        "pw.count": "{a} of {n} done",
        "pw.count.more": "{r} more to go",
        "pw.all": "All {m} of these",
        "pw.at_least": "Choose {n} of these {m}",
        "pw.min_ects": "At least {x} ECTS from these {m}",
        "pw.done": "Done",
        "pw.complete": "Complete: every rule is met.",
        "pw.progress": "In progress",
        "pw.award": "Your award",
        "pw.award.revoked": "Your award was revoked.",
        "pw.award.suspended": "suspended for now",
        "pw.unit.done": "Earned",
        "pw.unit.todo": "Still to do",
        "pw.unit.option": "Option, not earned yet",
        "pw.unit.not_needed": "Not needed any more",
        "pw.unit.credential": "your credential",
        "pw.unit.next": "next start {date}",
        "pw.unit.ects": "{x} ECTS",
        "pw.retired": "This pathway is no longer offered; what you earned stays yours.",
        "pw.why.revoked": "you hold it, but your credential was revoked, so it does not count",
        "pw.why.suspended": "you hold it, but your credential is suspended, so it does not "
                            "count for now",
        "pw.why.expired": "you hold it, but your credential expired on {date}",
        "pw.why.grade": "you hold it, but your grade is below the {minimum} out of 20 this "
                        "pathway asks",
        "pw.why.age": "you hold it, but your credential is older than the {years} years this "
                      "pathway accepts",
        "pw.why.issuer": "you hold it, but from an institution that is not a partner of this "
                         "pathway",
    },
    "nl": {
        "me.state.valid": "Geldig",
        "me.state.revoked": "Ingetrokken",
        "me.state.revoked_on": "Ingetrokken op {date}",
        "me.state.suspended": "Geschorst",
        "me.state.suspended_on": "Geschorst sinds {date}",
        "me.state.expired": "Verlopen op {date}",
        "me.state.revoked.help": "De instelling heeft deze credential ingetrokken: hij telt niet "
                                 "meer mee voor een leertraject en je kunt hem niet meer delen "
                                 "of aan een wallet toevoegen.",
        "me.state.suspended.help": "De instelling heeft deze credential geschorst: zolang dat zo "
                                   "is, telt hij niet mee en ziet wie hem controleert dat hij "
                                   "geschorst is.",
        "me.state.expired.help": "De geldigheidsduur is voorbij: wie hem controleert, ziet dat "
                                 "hij verlopen is.",
        "me.issued": "Uitgereikt op {date}",
        "me.actions": "Wat je met {title} kunt doen",
        "me.share": "Delen",
        "me.share.help": "Maakt een link waarmee iedereen deze credential kan bekijken en "
                         "controleren.",
        "me.export": "Exporteren (JSON)",
        "me.pdf": "Certificaat (PDF)",
        "me.shared": "Gedeeld via deze links",
        "me.shared.new": "Je nieuwe deellink is klaar. Kopieer hem en stuur hem naar wie deze "
                         "credential mag zien.",
        "me.shared.gone": "De link werkt niet meer: de credential is er niet langer mee gedeeld.",
        "me.link": "Deellink",
        "me.link.certificate": "Link op het certificaat",
        "me.link.linkedin": "Link op je LinkedIn-profiel",
        "me.link.qr": "Link in de QR-code op de pagina van je credential",
        "me.link.made": "gemaakt op {date}",
        "me.copy": "Link kopiëren",
        "me.copied": "Gekopieerd",
        "me.unshare": "Niet meer delen",
        "me.unshare.label": "Deze link niet meer delen ({made})",
        "pw.rules": "Wat telt",
        "pw.ects": "{x} ECTS vereist, {a} behaald",
        "pw.ects.more": "nog {r} ECTS te gaan",
        "pw.count": "{a} van {n} behaald",
        "pw.count.more": "nog {r} te gaan",
        "pw.all": "Al deze {m}",
        "pw.at_least": "Kies {n} van deze {m}",
        "pw.min_ects": "Minstens {x} ECTS uit deze {m}",
        "pw.done": "Voltooid",
        "pw.complete": "Voltooid: aan elke regel is voldaan.",
        "pw.progress": "Bezig",
        "pw.award": "Je getuigschrift",
        "pw.award.revoked": "Je getuigschrift werd ingetrokken.",
        "pw.award.suspended": "voorlopig geschorst",
        "pw.unit.done": "Behaald",
        "pw.unit.todo": "Nog te doen",
        "pw.unit.option": "Keuzemogelijkheid, nog niet behaald",
        "pw.unit.not_needed": "Niet meer nodig",
        "pw.unit.credential": "je credential",
        "pw.unit.next": "volgende start {date}",
        "pw.unit.ects": "{x} ECTS",
        "pw.retired": "Dit leertraject wordt niet meer aangeboden; wat je behaalde, blijft van jou.",
        "pw.why.revoked": "je hebt hem, maar je credential werd ingetrokken, dus hij telt niet mee",
        "pw.why.suspended": "je hebt hem, maar je credential is geschorst, dus hij telt nu niet "
                            "mee",
        "pw.why.expired": "je hebt hem, maar je credential verliep op {date}",
        "pw.why.grade": "je hebt hem, maar je cijfer ligt onder de {minimum} op 20 die dit "
                        "leertraject vraagt",
        "pw.why.age": "je hebt hem, maar je credential is ouder dan de {years} jaar die dit "
                      "leertraject aanvaardt",
        "pw.why.issuer": "je hebt hem, maar van een instelling die geen partner is van dit "
                         "leertraject",
    },
}

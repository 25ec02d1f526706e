"""The sign-in pages' and mail's strings (``api.signin``), merged into ``web.i18n.MESSAGES``."""

from __future__ import annotations

__all__ = ["SIGNIN_MESSAGES"]

SIGNIN_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "signin.title": "Sign in", "signin.email": "Your e-mail address",
        "signin.help": "The address your institution issued your credentials to. We mail you a "
                       "link that signs you in.",
        "signin.submit": "Mail me a sign-in link",
        "signin.sent": "If this address holds credentials, a link is on its way. It works once, "
                       "for {minutes} minutes.",
        "signin.sent.browser": "Open it in this browser. No mail? Check your spam folder, or "
                               "the address you typed.",
        "signin.again": "Ask for another link",
        "signin.confirm": "Sign in as {email}?",
        "signin.confirm.button": "Sign in",
        "signin.problem.unknown": "This sign-in link is not valid",
        "signin.problem.used": "This sign-in link was already used",
        "signin.problem.expired": "This sign-in link has expired",
        "signin.problem.other_browser": "This link was asked for in another browser",
        "signin.new": "Ask for a new link here",
        "signin.invalid": "Check the address:",
        "signin.or_token": "Have a learner token from your institution?",
        "signin.ended": "Your session has ended. Sign in again.",
        "signin.signed_out": "You are signed out.", "signin.logout": "Sign out",
        "signin.export": "Download all my data",
        "signin.mail.subject": "Your sign-in link for Academy",
        "signin.mail.bound": " It only works in the browser where you asked for it.",
        "signin.mail.text": "Hello,\n\nSomeone, hopefully you, asked to sign in to Academy with "
                            "this address to see their credentials. Open this link within "
                            "{minutes} minutes and press \"Sign in\":\n\n{url}\n\nThe link works "
                            "once.{bound} If you did not ask for it, ignore this mail: nothing "
                            "happens without the link.\n\nAcademy\n",
    },
    "nl": {
        "signin.title": "Aanmelden", "signin.email": "Je e-mailadres",
        "signin.help": "Het adres waarop je instelling je credentials uitreikte. We mailen je een "
                       "link die je aanmeldt.",
        "signin.submit": "Mail me een aanmeldlink",
        "signin.sent": "Als dit adres credentials heeft, is er een link onderweg. Hij werkt één "
                       "keer, {minutes} minuten lang.",
        "signin.sent.browser": "Open hem in deze browser. Geen mail? Kijk in je spammap, of "
                               "naar het adres dat je typte.",
        "signin.again": "Vraag een nieuwe link",
        "signin.confirm": "Aanmelden als {email}?",
        "signin.confirm.button": "Aanmelden",
        "signin.problem.unknown": "Deze aanmeldlink is niet geldig",
        "signin.problem.used": "Deze aanmeldlink werd al gebruikt",
        "signin.problem.expired": "Deze aanmeldlink is verlopen",
        "signin.problem.other_browser": "Deze link werd in een andere browser gevraagd",
        "signin.new": "Vraag hier een nieuwe link",
        "signin.invalid": "Controleer het adres:",
        "signin.or_token": "Heb je een leerderstoken van je instelling?",
        "signin.ended": "Je sessie is afgelopen. Meld je opnieuw aan.",
        "signin.signed_out": "Je bent afgemeld.", "signin.logout": "Afmelden",
        "signin.export": "Al mijn gegevens downloaden",
        "signin.mail.subject": "Je aanmeldlink voor Academy",
        "signin.mail.bound": " Hij werkt alleen in de browser waarin je hem vroeg.",
        "signin.mail.text": "Hallo,\n\nIemand, hopelijk jij, vroeg om met dit adres aan te melden "
                            "bij Academy om zijn credentials te zien. Open deze link binnen "
                            "{minutes} minuten en klik op \"Aanmelden\":\n\n{url}\n\nDe link werkt "
                            "één keer.{bound} Vroeg je hem niet, negeer deze mail dan: zonder de "
                            "link gebeurt er niets.\n\nAcademy\n",
    },
}

"""The interface strings of the offline scripts, translated on the server and handed to the
page as a JSON island (the scripts themselves hold no words); the sync bar's parts per language."""

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

_BY_LOCALE: dict[str, dict[str, str]] = {}


def client_strings() -> dict[str, str]:
    """The strings in the page's language, translated once per language and process (every
    page carries them; the catalogues do not change while the app runs)."""
    locale = str(get_locale())
    strings = _BY_LOCALE.get(locale)
    if strings is None:
        strings = _BY_LOCALE[locale] = _translated()
    return strings


def shell_parts():
    """templates/pwa/_shell_parts.html as a module (its `strings`, `bars`, `dialog`: Markup),
    rendered once per language and app: the sync bar's words are the same on every page."""
    found = current_app.extensions.setdefault("fieldapp.pwa_shell_parts", {})
    locale = str(get_locale())
    module = found.get(locale)
    if module is None:
        module = found[locale] = current_app.jinja_env.get_template(
            "pwa/_shell_parts.html").make_module({"pwa_strings": client_strings})
    return module


def _translated() -> dict[str, str]:
    """Strings with {n}, {age}, {time} placeholders that the scripts fill in."""
    return {
        "waiting": _("{n} waiting"),
        "oldest": _("oldest {age}"),
        "just_now": _("just now"),
        "minutes": _("{n} min"),
        "hours": _("{n} h"),
        "days": _("{n} d"),
        "all_sent": _("All sent"),
        "attention": _("{n} need attention"),
        "attention_one": _("1 needs attention"),
        "remove": _("Remove from this phone"),
        "remove_confirm": _("Remove this record from the phone? It was not sent and cannot be "
                            "recovered."),
        "sending": _("Sending…"),
        "offline": _("Offline"),
        "offline_empty": _("Offline · nothing waiting · what you save stays on this phone"),
        "send_failed_retry": _("Not sent yet · trying again"),
        "login_needed": _("Log in again to send them; they stay on this phone."),
        "saved_offline": _("Saved on this phone — will send when online."),
        "on_phone": _("On this phone"),
        "sent_at": _("sent {time}"),
        "needs_attention": _("Needs attention"),
        "conflict": _("A different version is already stored: see “Records to review”."),
        "review": _("Compare the two versions"),
        "server_error": _("The server did not accept it: {message}"),
        "kind_contact": _("Contact"),
        "kind_referral": _("Referral"),
        "logout_queued": _("{n} records are still on this phone and not sent."),
        "logout_queued_one": _("1 record is still on this phone and not sent."),
        "discard": _("Discard {n} records and log out"),
        "discard_one": _("Discard 1 record and log out"),
        "send_failed": _("Could not send them yet."),
        "clock_off": _("Your phone's clock is off by about {n} minutes. Times you log are "
                       "corrected; set the clock to automatic."),
        "clock_off_hours": _("Your phone's clock is off by about {n} hours. Times you log are "
                             "corrected; set the clock to automatic."),
        "directory_as_of": _("Offline — directory as of {time}"),
        "directory_missing": _("The directory is not on this phone yet. Open the directory once "
                               "while online."),
        "directory_none": _("No service matches."),
        "call": _("Call {phone}"),
        "accepts_referrals": _("Accepts referrals"),
        "open_24_7": _("Open 24/7"),
        "open_now": _("Open now"),
        "closed_now": _("Closed now"),
        "results": _("{n} services"),
    }

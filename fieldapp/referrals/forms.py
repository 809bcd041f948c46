"""The referrals area's forms: WTForms classes hold what was sent and each field's message.

A new referral's rules are `store.validate`, the one place they live: the phone's /api/sync
sends the same fields and goes through the same `store.apply_referral`, which also answers a
resend as "unchanged" before any validation.  So `ReferralForm` parses the posted form into the
item the store takes (`item()`), and takes the store's messages back onto its fields
(`refuse()`).  A transition's rules are the lifecycle's (lifecycle.py): its form carries the
reason and note, and the lifecycle's refusal is the form's message.

CSRF is checked once for the whole app (security.csrf), so these forms do not check it again;
the templates keep their csrf_token hidden input.
"""

from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField

from fieldapp.forms import Form
from fieldapp.referrals import lifecycle, store

# The list filter's values: a status, or "unanswered" (sent or received).
STATUS_FILTERS = ("unanswered", *lifecycle.STATUSES)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReferralForm(Form):
    """A new referral: the service, the consent basis, what is shared, urgency, hand-off note."""

    id = HiddenField()
    service_id = StringField()  # a radio among the services found, or hidden once chosen
    contact_id = HiddenField()
    person_id = HiddenField()
    consent = StringField()
    consent_reason = StringField()
    # Values outside SHAREABLE reach the store, which names them in its message.
    shared = SelectMultipleField(choices=store.SHAREABLE, validate_choice=False)
    person_name = StringField()
    person_phone = StringField()
    person_birth_year = StringField()
    preferred_contact = StringField()
    urgency = StringField()
    handoff_note = TextAreaField()
    # The form's own buttons, not part of the referral: "review" (check your answers) or
    # "find" (search the services, keeping everything typed), and the service search.
    step = HiddenField()
    q = StringField(filters=[lambda value: (value or "").strip()[:100]])
    # "mental_health" on the save-and-refer path of a mental-health call (crisis first, urgent),
    # also for a contact still queued on the phone, which the server does not know yet.
    path = HiddenField(filters=[lambda value: value if value == "mental_health" else ""])

    NOT_SENT = ("shared", "step", "q", "path")

    def item(self) -> dict:
        """The referral as the store takes it (the same fields a phone syncs)."""
        return {field.name: field.data if field.data is not None else ""
                for field in self if field.name not in self.NOT_SENT} | {
                    "shared": self.shared.data or []}

    def refuse(self, errors: dict) -> None:
        """The store's messages, on the fields the officer fills in; the others (the id, the
        contact or person the form came from, the user) are the form's."""
        for name, message in errors.items():
            if name in self._fields and not isinstance(self[name], HiddenField):
                self[name].errors = [*self[name].errors, message]
            else:
                self.form_errors.append(message)


class TransitionForm(Form):
    """One tap on a referral: the reason (decline, close) and note, and where to answer."""

    reason = StringField(filters=[lambda value: value or None])
    note = TextAreaField(filters=[lambda value: value or None])
    fragment = HiddenField()  # "row" or "status": the htmx fragment to answer with
    next = HiddenField()  # the inbox view an inbox row's form came from

    def refuse(self, message) -> None:
        """The lifecycle said no (already answered, not allowed now, no reason...)."""
        self.form_errors.append(message)


class SearchForm(Form):
    """The referral search (POSTed: a name never goes in a URL)."""

    q = StringField(filters=[lambda value: (value or "").strip()[:100]])


class ReassignForm(Form):
    """The coordinator's new referral, to another service, for one declined for capacity."""

    service_id = StringField(filters=[_strip])


class FilterForm(Form):
    """The referral list's filters, read from the query string (a GET form); an empty or
    unknown status shows every status."""

    status = StringField(filters=[lambda value: value if value in STATUS_FILTERS else None])
    organization_id = StringField(filters=[lambda value: value or None])
    urgency = StringField(filters=[lambda value: value or None])


class SettingsForm(Form):
    """The partner agency's choice: accept straight from the e-mailed link, or open it first."""

    accept_from_email = HiddenField(filters=[lambda value: value == "1"])


class LinkForm(Form):
    """The e-mailed link's page: mark received, or (when the agency chose it) accept too."""

    accept = HiddenField(filters=[lambda value: value == "1"])

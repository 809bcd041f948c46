"""The accounts area's forms: WTForms classes hold what was typed and each field's message.

CSRF is checked once for the whole app (security.csrf), so these forms do not check it again;
the templates keep their csrf_token hidden input.  Messages stay exactly the ones the pages
showed before, and translatable.
"""

from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database
from wtforms import HiddenField, PasswordField, StringField, ValidationError

from fieldapp.accounts import store
from fieldapp.forms import Form


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _or_none(value):
    return value or None


class LoginForm(Form):
    """E-mail and password; what they are worth is the login view's question (throttles first)."""

    email = StringField(filters=[lambda value: store.normalize_email(value)[:254]])
    password = PasswordField()
    next = HiddenField()

    def refuse(self, message) -> None:
        """Refused as a whole: the message says nothing about which field was wrong."""
        self.form_errors.append(message)


class PasswordChangeForm(Form):
    """One's own password: the current one, and a new one under the password rules."""

    current_password = PasswordField()
    new_password = PasswordField()

    def __init__(self, *args, user: dict, hash_method: str, min_length: int, max_length: int,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.hash_method = user, hash_method
        self.min_length, self.max_length = min_length, max_length

    def validate_current_password(self, field) -> None:
        if not store.verify_password(self.user, field.data or "", self.hash_method):
            raise ValidationError(_l("Your current password is not right."))

    def validate_new_password(self, field) -> None:
        new = field.data or ""
        rule = store.check_password_rules(new, self.min_length, self.max_length)
        if rule:
            raise ValidationError(rule)
        if new == (self.current_password.data or ""):
            raise ValidationError(_l("Choose a password different from the current one."))


class UserForm(Form):
    """An account's editable fields: the coordinator's users page and `flask create-user`."""

    editable = ("email", "name", "role", "police_service", "organization_id", "language")

    email = StringField(filters=[store.normalize_email])
    name = StringField(filters=[_strip])
    role = StringField()
    police_service = StringField(filters=[_or_none])
    organization_id = StringField(filters=[_or_none])
    language = StringField(filters=[lambda value: value or "en"])

    def __init__(self, *args, db: Database, police_services: dict,
                 existing_id: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.db, self.police_services, self.existing_id = db, police_services, existing_id

    def validate_email(self, field) -> None:
        email = field.data or ""
        if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
            raise ValidationError(_l("Enter a valid e-mail address."))
        other = store.get_user_by_email(self.db, email)
        if other and other["id"] != self.existing_id:
            raise ValidationError(_l("An account with this e-mail already exists."))

    def validate_name(self, field) -> None:
        if not field.data or len(field.data) > 120:
            raise ValidationError(_l("Enter a display name (up to 120 characters)."))

    def validate_role(self, field) -> None:
        if field.data not in store.ROLES:
            raise ValidationError(_l("Choose a role."))

    def validate_organization_id(self, field) -> None:
        if self.role.data == "partner" and (
                not field.data
                or not self.db["organization"].count_where("id = ?", [field.data])):
            raise ValidationError(_l("A partner account needs its organization."))

    def validate_police_service(self, field) -> None:
        if self.role.data in ("officer", "coordinator") and field.data not in self.police_services:
            raise ValidationError(_l("Choose the police service."))

    def validate_language(self, field) -> None:
        if field.data not in store.LANGUAGES:
            raise ValidationError(_l("Choose English or French."))

    def fields(self) -> dict:
        """The account's columns once valid (an organization for partners only, a police
        service for officers and coordinators only)."""
        role = self.role.data
        return {
            "email": self.email.data, "name": self.name.data, "role": role,
            "organization_id": self.organization_id.data if role == "partner" else None,
            "police_service": (self.police_service.data
                               if role in ("officer", "coordinator") else None),
            "language": self.language.data,
        }


class AuditFilterForm(Form):
    """The audit trail's filters, read from the query string (a GET form)."""

    action = StringField(filters=[_strip])
    from_ = StringField(name="from", filters=[_strip])
    to = StringField(filters=[_strip])
    user = StringField(filters=[_strip])

    def __init__(self, *args, people: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {person["id"] for person in people}

    def validate_user(self, field) -> None:
        if field.data and field.data not in self.people:
            raise ValidationError(_l("Choose a person from the list."))

    def validate_from_(self, field) -> None:
        _check_day(field)

    def validate_to(self, field) -> None:
        _check_day(field)

    def day(self, field) -> date | None:
        """The field's day (None when empty or invalid); "to" includes its whole day."""
        if not field.data or field.errors:
            return None
        return date.fromisoformat(field.data) + timedelta(days=1 if field is self.to else 0)

    def values(self) -> dict:
        """The filters asked for, by their query-string names (empty ones included)."""
        return {field.name: field.data or "" for field in self}


def _check_day(field) -> None:
    if not field.data:
        return
    try:
        date.fromisoformat(field.data)
    except ValueError:
        raise ValidationError(_l("Enter a date as YYYY-MM-DD.")) from None


class LanguageForm(Form):
    """The interface language (every page's switch), and the page to go back to."""

    language = StringField()
    next = HiddenField()

    def validate_language(self, field) -> None:
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose English or French."))


class ActiveForm(Form):
    """Disable ("0") or enable ("1") an account."""

    active = HiddenField(filters=[lambda value: value == "1"])

"""The reports area's forms: the report's filters (a GET form) and the calls-for-service upload.

CSRF is global (security.csrf); the upload template keeps its csrf_token input."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, ValidationError

from fieldapp.forms import Form
from fieldapp.reports import calls, calls_store
from fieldapp.reports import period as periods

PERIOD_ERRORS = {
    "dates": _l("Give both dates as YYYY-MM-DD."),
    "order": _l("The end date must be on or after the start date."),
    "length": _l("A period can be at most two years."),
    "months": _l("A custom period covers whole months: start it on the first day of a month "
                 "and end it on the last day of a month."),
    "quarter": _l("Choose a quarter from the list."),
}
# The field a period problem is shown at.
PERIOD_ERROR_FIELD = {"dates": "start", "order": "end", "length": "end", "months": "start",
                      "quarter": "quarter"}


class ReportFiltersForm(Form):
    """The period (a quarter, or whole months from `start` to `end`), police service and team
    of a report.  After validate(), `period` is the period asked for, or the current quarter
    when the dates were refused."""

    quarter = StringField(_l("Quarter"))
    start = StringField(_l("From"))
    end = StringField(_l("To (inclusive)"))
    police_service = StringField(_l("Police service"))
    team = StringField(_l("Team"))

    def __init__(self, formdata, *, today: date, tz: str, police_services: dict,
                 teams: list[str]):
        super().__init__(formdata=formdata)
        self.today, self.tz = today, tz
        self.police_services, self.teams = police_services, teams
        self.period = periods.parse({}, today, tz)

    def validate_police_service(self, field):
        if field.data and field.data not in self.police_services:
            raise ValidationError(_l("Choose a police service from the list."))

    def validate_team(self, field):
        if field.data and field.data not in self.teams:
            raise ValidationError(_l("Choose a team from the list."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        try:
            self.period = periods.parse(
                {name: self[name].data or "" for name in ("quarter", "start", "end")},
                self.today, self.tz)
        except periods.PeriodError as problem:
            self[PERIOD_ERROR_FIELD[str(problem)]].errors.append(PERIOD_ERRORS[str(problem)])
            return False
        return valid

    @property
    def first_error(self) -> str | None:
        """The first field's message, shown above the report (which falls back to defaults)."""
        for field in self:
            if field.errors:
                return str(field.errors[0])
        return None


class CallsUploadForm(Form):
    """A calls-for-service CSV to import (its rows are checked by reports/calls.py)."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to import."))])


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class KeyForm(Form):
    """A records-system person key (its link removed)."""

    person_key = StringField(_l("Person key (records system)"), filters=[_strip])


class KeyLinkForm(KeyForm):
    """A person key linked to a person of fieldapp of the coordinator's police service: the
    person chosen among those found by alias (`person_id`), or an id typed
    (`person_id_typed`).  `q` and `search_people`: the people search without JavaScript."""

    person_id = StringField()
    person_id_typed = StringField(_l("Person id (fieldapp)"))
    q = StringField(filters=[_strip])
    search_people = StringField()  # present when "Search" (no JavaScript) sent the form

    def __init__(self, formdata, *, db, police_service: str):
        super().__init__(formdata=formdata)
        self.db, self.police_service = db, police_service

    @property
    def person(self) -> str:
        """The person chosen, or else the id typed."""
        return (self.person_id.data or self.person_id_typed.data or "").strip()

    @property
    def searching(self) -> bool:
        """"Search", or an alias typed with nobody chosen: list the people found instead."""
        return self.search_people.data is not None or bool(self.q.data and not self.person)

    def validate_person_key(self, field):
        if not field.data or len(field.data) > calls.MAX_FIELD:
            raise ValidationError(_l("Enter the person key from the records system."))
        linked, service = calls_store.key_service(self.db, field.data)
        if linked and service != self.police_service:
            raise ValidationError(_l("This key is already linked to a person of another "
                                     "police service."))

    def validate_person_id_typed(self, _field):
        person = self.person
        if not person or len(person) > 64 or not calls_store.person_of_service(
                self.db, person, self.police_service):
            raise ValidationError(_l("Choose a person found by alias, or enter the id of a "
                                     "person recorded in fieldapp."))

"""The reports area's forms: the report's filters (a GET form) and the calls-for-service upload.

CSRF is global (security.csrf); the upload template keeps its csrf_token input."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, ValidationError

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


class ReportFiltersForm(FlaskForm):
    """The period (a quarter, or whole months from `start` to `end`), police service and team
    of a report.  After validate(), `period` is the period asked for, or the current quarter
    when the dates were refused."""

    class Meta:
        csrf = False  # a GET form: it reads, never writes

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


class CallsUploadForm(FlaskForm):
    """A calls-for-service CSV to import (its rows are checked by reports/calls.py)."""

    class Meta:
        csrf = False  # checked globally by security.csrf; the template keeps its token

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to import."))])

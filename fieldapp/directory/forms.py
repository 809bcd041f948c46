"""The directory's forms, as WTForms classes: a service, an organization, a partner's edit
proposal.  Each rule for a value (e-mail, web address, phone number, length) is one validator,
shared by every form that takes that value; the inline checks (hx-post per field) run the same
form class as the save.

The templates keep their hand-written markup (chips, fieldsets, the weekly-hours table) and read
`form.<field>.data` / `.errors`; the repeated rows (phones, hours) that have no WTForms field
of their own report their errors in `form.row_errors` under the id their error slot has.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, Field, StringField
from wtforms.validators import AnyOf, DataRequired, StopValidation, ValidationError

from fieldapp.db import get_db
from fieldapp.directory import categories, hours, limits
from fieldapp.directory.hsds.values import is_zone
from fieldapp.directory.proposals import PROPOSABLE_FIELDS
from fieldapp.directory.store import get_organization
from fieldapp.directory.upkeep import LANGUAGES, ORGANIZATION_FIELDS, SERVICE_TEXT_FIELDS
from fieldapp.forms import Form

TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
PHONE = re.compile(r"^[0-9+()\-. ]{7,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_TYPE_CHOICES = ["voice", "text", "fax", "cell", "textphone"]
ADDRESS_FIELDS = ("address_1", "address_2", "city", "state_province", "postal_code",
                  "latitude", "longitude")


# --- one validator per rule -------------------------------------------------------------------


def email_address(_form, field) -> None:
    if field.data and not EMAIL.match(field.data):
        raise ValidationError(_l("Enter an e-mail address like name@example.org."))


def web_address(_form, field) -> None:
    if field.data and not field.data.lower().startswith(("http://", "https://")):
        raise ValidationError(_l("Enter a web address starting with https://."))


def phone_number(_form, field) -> None:
    if field.data and not PHONE.match(field.data):
        raise ValidationError(_l("Enter a phone number like 902-555-0100."))


def age(_form, field) -> None:
    if field.data and (not field.data.isdigit() or int(field.data) > 120):
        raise ValidationError(_l("Enter an age in years (0 to 120)."))


class within_limit:  # noqa: N801 - used like WTForms' own validators (Length, DataRequired)
    """At most as many characters as limits.py allows for `table`'s field (read when the form
    is checked: one table for the forms and the HSDS import)."""

    def __init__(self, table: str):
        self.table = table

    def __call__(self, _form, field) -> None:
        most = limits.limit(self.table, field.name)
        if len(field.data or "") > most:
            raise StopValidation(_("At most %(n)s characters.", n=most))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def coordinate(value: str | None, low: float, high: float) -> float | None:
    """A number between low and high, or None (empty, unreadable or out of range)."""
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


def clean_time(value: str) -> str | None:
    """"9:30" -> "09:30"; None when it is not a time of day."""
    match = TIME.match((value or "").strip())
    if not match:
        return None
    h, m = int(match.group(1)), int(match.group(2))
    return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else None


def _text(table: str, *validators, required=None) -> StringField:
    checks = [DataRequired(message=required)] if required else []
    return StringField(filters=[strip], validators=[*checks, within_limit(table), *validators])


class CodesField(Field):
    """A group of checkboxes sharing one name: the list of ticked values, in order, once each
    (the form keeps only the codes it knows)."""

    def process_formdata(self, valuelist):
        self.data = list(dict.fromkeys(valuelist))

    def _value(self):
        return self.data or []


class DirectoryForm(Form):

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Errors of repeated rows that are no WTForms field, by the id of their error slot.
        self.row_errors: dict[str, str] = {}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Messages as plain text: flask_babel's lazy strings count as safe HTML in Jinja
        # (__html__), so "service's" would not be escaped like every other text.
        for field in self:
            field.errors = [str(message) for message in field.errors]
        return valid

    def first_errors(self) -> dict[str, str]:
        """{field name: its first error}, the repeated rows' errors included."""
        found = {name: errors[0] for name, errors in self.errors.items()
                 if name and errors}
        found.update(self.row_errors)
        return found


# --- a service --------------------------------------------------------------------------------


class ListingFields(DirectoryForm):
    """The listing's text fields a partner may also propose (ProposalForm): one set of rules."""

    name = _text("service", required=_l("Enter the service's name."))
    description = _text("service")
    url = _text("service", web_address)
    email = _text("service", email_address)
    eligibility_description = _text("service")
    fees_description = _text("service")
    application_process = _text("service")
    intake_phone = _text("service", phone_number)
    intake_email = _text("service", email_address)
    intake_instructions = _text("service")
    alert = _text("service")


class ServiceForm(ListingFields):
    """A coordinator's service form: the listing, intake, categories, phones, address, hours."""

    organization_id = StringField(filters=[strip])
    alternate_name = _text("service")
    minimum_age = _text("service", age)
    maximum_age = _text("service", age)
    keywords = _text("service")
    accepts_referrals = BooleanField()
    joint_police_health = BooleanField()
    confidential = BooleanField()
    always_open = BooleanField()
    categories = CodesField()
    populations = CodesField()
    partnered_with = CodesField()
    languages = CodesField()
    address_1 = StringField(filters=[strip])
    address_2 = StringField(filters=[strip])
    city = StringField(filters=[strip])
    state_province = StringField(filters=[strip])
    postal_code = StringField(filters=[strip])
    latitude = StringField(filters=[strip])
    longitude = StringField(filters=[strip])

    def __init__(self, formdata=None, *, police_services=None, check_organization: bool = True,
                 **kwargs):
        """`formdata`: the posted form (None shows `data`, see `of`).  `police_services`:
        the codes a service may partner with.  `check_organization`: the chosen organization
        must exist (reads the database)."""
        super().__init__(formdata, **kwargs)
        self.police_services = police_services or {}
        self.check_organization = check_organization
        self.phones = self._phones(formdata) if formdata is not None else []
        self.schedule = self._schedule(formdata) if formdata is not None else {
            "always_open": False, "days": {code: [] for code in hours.DAY_CODES}}

    def validate_organization_id(self, field) -> None:
        if not self.check_organization:
            return
        if not field.data or get_organization(get_db(), field.data) is None:
            raise ValidationError(_l("Choose the organization that runs this service."))

    def validate_maximum_age(self, field) -> None:
        low, high = self.minimum_age.data, field.data
        if low and high and low.isdigit() and high.isdigit() and int(low) > int(high):
            raise ValidationError(_l("The maximum age is below the minimum age."))

    def validate_latitude(self, field) -> None:
        lat, lon = field.data, self.longitude.data
        if bool(lat) != bool(lon):
            raise ValidationError(_l("Give both latitude and longitude, or neither."))
        if lat and (coordinate(lat, -90, 90) is None or coordinate(lon, -180, 180) is None):
            raise ValidationError(_l("Latitude is -90 to 90 and longitude -180 to 180."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return valid and not self.row_errors

    def _phones(self, formdata) -> list[dict]:
        """The phone rows (parallel lists phone_id/number/extension/type), empty rows left out."""
        phones = []
        rows = zip(formdata.getlist("phone_id"), formdata.getlist("phone_number"),
                   formdata.getlist("phone_extension"), formdata.getlist("phone_type"),
                   strict=False)
        for index, (phone_id, number, extension, kind) in enumerate(rows):
            number, extension = (number or "").strip(), (extension or "").strip()
            if not number and not extension:
                continue
            if not PHONE.match(number):
                self.row_errors[f"phone_number_{index}"] = _(
                    "Enter a phone number like 902-555-0100.")
            if extension and not extension.isdigit():
                self.row_errors[f"phone_number_{index}"] = _("The extension is digits only.")
            phones.append({"id": phone_id or None, "number": number, "extension": extension,
                           "type": kind if kind in PHONE_TYPE_CHOICES else "voice"})
        return phones

    def _schedule(self, formdata) -> dict:
        """{"always_open", "days": {code: [(opens, closes), ...]}} of the weekly-hours table."""
        schedule = {"always_open": formdata.get("always_open") == "1", "days": {}}
        for code in hours.DAY_CODES:
            shifts = []
            for n in (1, 2):
                opens = formdata.get(f"{code}_open{n}", "")
                closes = formdata.get(f"{code}_close{n}", "")
                if not opens.strip() and not closes.strip():
                    continue
                o, c = clean_time(opens), clean_time(closes)
                if o is None or c is None:
                    self.row_errors[f"{code}_open{n}"] = _(
                        "Give an opening and a closing time (HH:MM).")
                elif o == c == "00:00":
                    shifts.append(("00:00", "24:00"))  # midnight to midnight: all day
                elif o == c:
                    self.row_errors[f"{code}_open{n}"] = _(
                        "Opening and closing times are the same.")
                else:
                    shifts.append((o, c))
            schedule["days"][code] = shifts
        return schedule

    def values(self) -> dict:
        """What upkeep.save_service stores (and the template shows): known codes only."""
        values = {field: self[field].data or "" for field in SERVICE_TEXT_FIELDS}
        values.update(
            organization_id=self.organization_id.data or "",
            accepts_referrals=bool(self.accepts_referrals.data),
            joint_police_health=bool(self.joint_police_health.data),
            confidential=bool(self.confidential.data),
            categories=[c for c in self.categories.data or [] if c in categories.BY_CODE],
            populations=[p for p in self.populations.data or [] if p in categories.POPULATIONS],
            partnered_with=[p for p in self.partnered_with.data or []
                            if p in self.police_services],
            languages=[code for code in self.languages.data or [] if code and len(code) <= 40],
            phones=self.phones,
            address={key: self[key].data if self[key].data is not None else ""
                     for key in ADDRESS_FIELDS},
            schedule=self.schedule,
        )
        return values

    @classmethod
    def of(cls, values: dict, police_services=None) -> ServiceForm:
        """The form showing stored values (upkeep.service_form_values) or a blank service."""
        data = {key: value for key, value in values.items()
                if key not in ("address", "phones", "schedule")}
        data.update(values.get("address") or {})
        form = cls(formdata=None, data=data, police_services=police_services)
        form.phones = values.get("phones") or []
        form.schedule = values.get("schedule") or form.schedule
        return form

    def language_choices(self) -> list[str]:
        return list(dict.fromkeys([*LANGUAGES, *(self.languages.data or [])]))


def parse_service_form(formdata, police_services, *, check_organization: bool = False
                       ) -> tuple[dict, dict]:
    """(values, {field: first error}) of a posted service form: ServiceForm's rules."""
    form = ServiceForm(formdata, police_services=police_services,
                       check_organization=check_organization)
    form.validate()
    return form.values(), form.first_errors()


# --- an organization --------------------------------------------------------------------------


class OrganizationForm(DirectoryForm):
    name = _text("organization", required=_l("Enter the organization's name."))
    alternate_name = _text("organization")
    description = _text("organization")
    email = _text("organization", email_address)
    website = _text("organization", web_address)

    def values(self) -> dict:
        return {field: self[field].data or "" for field in ORGANIZATION_FIELDS}


# --- a partner's edit proposal ----------------------------------------------------------------


class ProposalForm(ListingFields):
    """What a partner may propose for their own listing: the service form's rules for the
    same fields (ListingFields)."""

    def changes(self, service: dict) -> dict:
        """The proposed values that differ from the listing's."""
        values = {field: self[field].data or "" for field in PROPOSABLE_FIELDS}
        return {f: v or None for f, v in values.items() if (v or None) != (service.get(f) or None)}

    def validate_for(self, service: dict) -> bool:
        valid = self.validate()
        if valid and not self.changes(service):
            self.form_errors.append(_("Nothing was changed."))
            return False
        return valid


# --- the search (a GET form) ------------------------------------------------------------------


class SearchForm(DirectoryForm):
    """The directory's search, read from the query string.  Nothing in it is refused: unknown
    codes and unreadable numbers are dropped, so any link gives a page of results."""

    q = StringField()
    category = StringField()
    population = StringField()
    open = StringField()  # the query-string names (open, all) are the field names
    referrals = StringField()
    language = StringField()
    lat = StringField()
    lon = StringField()
    km = StringField()
    place = StringField()  # a typed place (postcode, address, place name): see near.py
    page = StringField()
    all = StringField()

    def criteria(self) -> dict:
        """The search's values, checked (also the key of its rendered results, see cache.py)."""
        category = self.category.data or None
        population = self.population.data or None
        lat = coordinate(self.lat.data, -90, 90)
        lon = coordinate(self.lon.data, -180, 180)
        km = coordinate(self.km.data, 0.1, 200) or 10.0
        try:
            page = max(1, min(int(self.page.data or 1), 500))
        except ValueError:
            page = 1
        return {
            "q": (self.q.data or "")[:200],
            "category": category if category in categories.BY_CODE else None,
            "population": population if population in categories.POPULATIONS else None,
            "open_now": self.open.data == "1",
            "accepts_referrals": self.referrals.data == "1",
            "language": (self.language.data or "").strip()[:40] or None,
            "near": (lat, lon, km) if lat is not None and lon is not None else None,
            "place": " ".join((self.place.data or "").split())[:120],
            "km": km,
            "page": page,
            "all": self.all.data == "1",
        }

    @staticmethod
    def query_args(criteria: dict, **changes) -> dict:
        """URL arguments of a search (for pages, map links, clearing a filter)."""
        values = {**criteria, **changes}
        args = {"q": values["q"] or None, "category": values["category"],
                "population": values["population"], "language": values["language"],
                "open": "1" if values["open_now"] else None,
                "referrals": "1" if values["accepts_referrals"] else None,
                "page": values["page"] if values["page"] > 1 else None,
                "all": "1" if values.get("all") else None}
        if values.get("place"):  # the place is searched again (near.locate), not its position
            args.update(place=values["place"], km=f"{values['km']:g}")
        elif values["near"]:
            lat, lon, km = values["near"]
            args.update(lat=f"{lat:.5f}", lon=f"{lon:.5f}", km=f"{km:g}")
        return {k: v for k, v in args.items() if v not in (None, "")}


# --- the small forms of one button --------------------------------------------------------------


class ArchiveForm(DirectoryForm):
    """Archive a service, or restore it ("1")."""

    restore = StringField()


class VerifyForm(DirectoryForm):
    """"Verified today"; `back` is "edit" when the button was on the edit page."""

    back = StringField()


DUPLICATE_KINDS = ("service", "organization")


class PairForm(DirectoryForm):
    """Two listings of one kind ("service" or "organization"): possible duplicates kept apart.
    validate() says whether the kind is known and the two ids differ."""

    kind = StringField()
    a_id = StringField(default="")
    b_id = StringField(default="")

    @property
    def pair(self) -> list[str]:
        return [self.a_id.data or "", self.b_id.data or ""]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        a_id, b_id = self.pair
        return valid and self.kind.data in DUPLICATE_KINDS and a_id != b_id


class MergeForm(PairForm):
    """Two possible duplicates merged: `survivor_id`, one of the pair, is the one kept."""

    survivor_id = StringField(default="")

    def validate(self, extra_validators=None) -> bool:
        return super().validate(extra_validators) and (self.survivor_id.data or "") in self.pair

    @property
    def duplicate_id(self) -> str:
        a_id, b_id = self.pair
        return b_id if self.survivor_id.data == a_id else a_id


class DecisionForm(DirectoryForm):
    """A coordinator's decision on a partner's proposal."""

    decision = StringField(validators=[AnyOf(["approve", "reject"])])


class ImportForm(DirectoryForm):
    """An HSDS package to import: one file (zip, JSON, CSV) or the files of a folder chosen
    together; `dry_run` ("1"): check only.  Built with no formdata, so Flask-WTF reads the
    uploaded files (request.files) too."""

    package = MultipleFileField()
    dry_run = StringField()
    # the zone the package's local times mean; the directory's own (FIELDAPP_TIMEZONE) when
    # left empty
    timezone = StringField(filters=[lambda v: (v or "").strip() or None])

    def validate_timezone(self, field) -> None:
        if field.data is not None and not is_zone(field.data):
            raise ValidationError(_l("Enter a time zone by its name, like America/Toronto or "
                                     "America/Halifax."))

    @property
    def files(self) -> list:
        return [f for f in self.package.data or () if f and f.filename]


class UpkeepSearchForm(DirectoryForm):
    """The upkeep page's search of organizations (a GET form; nothing in it is refused)."""

    q = StringField()

    @property
    def query(self) -> str:
        return (self.q.data or "").strip()[:100]

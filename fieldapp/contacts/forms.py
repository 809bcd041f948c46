"""The contacts area's forms: the one place a contact's fields are declared.

`ContactForm` lists every entry the log-contact form posts.  The web route and /api/sync (the
phone's offline form posts the same entries, see offline/outbox.js) both feed it a MultiDict
and take the store's item from `contact_item()` and `person_item()`; fieldapp.contacts.store
(`validate_contact`, `validate_person`) holds the rules a contact must meet, since they need
the database (a place of the officer's police service, a vocabulary code still active, a time
the phone's clock allows).  Its refusals come back onto the fields with `add_errors`, so the
templates show every field error through templates/_forms.html.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import Field, FloatField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Regexp

from fieldapp.contacts import vocab
from fieldapp.contacts.times import iso
from fieldapp.forms import Form

PLACE_NAME_MAX = 120
LABEL_MAX = 80

# The size chips of a group contact; a typed number wins over them (ContactForm.headcount_value).
HEADCOUNT_CHOICES = (5, 10, 15, 20, 25, 30, 50, 100)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CodeListField(Field):
    """Checkboxes sharing one name: the list of the values ticked (blank ones dropped)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=(), **kwargs)

    def process_data(self, value):
        self.data = [str(v) for v in value or ()]

    def process_formdata(self, valuelist):
        self.data = [v.strip() for v in valuelist if isinstance(v, str) and v.strip()]

    def _value(self):
        return self.data


class ContactEditForm(Form):
    """A contact's own fields (the edit form posts these; the new-contact form adds a person)."""

    id = HiddenField()
    occurred_at = HiddenField()  # the instant the form was opened (or the phone saved it)
    occurred_local = StringField()  # "It happened earlier": a local date-time typed instead
    place_id = StringField()
    place_text = StringField()
    lat = HiddenField()
    lon = HiddenField()
    kind = StringField()
    populations = CodeListField()
    outcome = StringField()
    note = TextAreaField()
    person_id = StringField()
    is_group = StringField(default="0")
    headcount = StringField()  # "Or type the number"
    headcount_choice = StringField()  # the size chips
    age_band = StringField()
    q = StringField()  # the people search box
    search_people = StringField()  # present when "Search" (no JavaScript) sent the form

    # The fields the store's contact item takes as they are (after trimming).
    ITEM_FIELDS = ("id", "place_id", "place_text", "lat", "lon", "kind", "outcome", "note",
                   "person_id", "age_band")

    @property
    def group(self) -> bool:
        return _text(self.is_group.data) == "1"

    def headcount_value(self) -> str:
        """The group's size: the typed number wins over the size chips."""
        return _text(self.headcount.data) or _text(self.headcount_choice.data)

    def occurred_value(self, tz: str) -> str:
        """The hidden instant of the form, or the local date-time the officer typed instead
        (in the team's time zone `tz`)."""
        typed = _text(self.occurred_local.data)
        if not typed:
            return _text(self.occurred_at.data)
        try:
            local = datetime.fromisoformat(typed)
        except ValueError:
            return "not-a-time"
        if local.tzinfo is None:
            local = local.replace(tzinfo=ZoneInfo(tz))
        return iso(local)

    def contact_item(self, tz: str) -> dict:
        """The contact as fieldapp.contacts.store takes it (`apply_contact`, `update_contact`)."""
        item = {name: _text(getattr(self, name).data) for name in self.ITEM_FIELDS}
        item.update(occurred_at=self.occurred_value(tz), populations=list(self.populations.data),
                    is_group=_text(self.is_group.data) or "0", headcount=self.headcount_value())
        return item

    def values(self) -> dict:
        """What the template shows again: every entry as sent (lists for the checkboxes)."""
        values = {name: field.data for name, field in self._fields.items()}
        values["headcount"] = self.headcount_value()
        return values

    def people_query(self) -> str:
        return _text(self.q.data)

    def add_errors(self, errors: dict) -> None:
        """Put the store's refusals ({field: message}) on the fields; "form" on the form."""
        for name, message in errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.append(message)
            else:
                field.errors = [*(field.errors or []), message]


class ContactForm(ContactEditForm):
    """The log-contact form: a contact, and maybe the new person it concerns."""

    then = StringField()  # "refer": "Save and refer"
    new_person_id = HiddenField()
    new_alias = StringField()
    new_birth_year = StringField()
    new_flags = CodeListField()

    def adds_person(self) -> bool:
        return bool(_text(self.new_alias.data)) and not self.group

    def person_item(self, created_at: str | None = None) -> dict | None:
        """The new person as fieldapp.contacts.store takes it (`apply_person`), if one was
        typed (a group contact names nobody); `created_at`: when the phone saved it."""
        if not self.adds_person():
            return None
        item = {"id": _text(self.new_person_id.data), "alias": _text(self.new_alias.data),
                "birth_year": _text(self.new_birth_year.data),
                "flags": list(self.new_flags.data)}
        if created_at:
            item["created_at"] = created_at
        return item

    def add_person_errors(self, errors: dict) -> None:
        """The new person's refusals, on the new-person fields (its id: on the alias)."""
        self.add_errors({("new_alias" if name == "id" else f"new_{name}"): message
                         for name, message in errors.items()})


# --- the coordinator's places and vocabularies -----------------------------------------------


class PlaceForm(Form):
    """A school or community site officers pick from."""

    name = StringField(filters=[_strip], validators=[
        InputRequired(_l("Give the name of the place (up to %(max)d characters).",
                         max=PLACE_NAME_MAX)),
        Length(min=1, max=PLACE_NAME_MAX,
               message=_l("Give the name of the place (up to %(max)d characters).",
                          max=PLACE_NAME_MAX))])
    kind = StringField(validators=[AnyOf(list(vocab.PLACE_KINDS),
                                         message=_l("Choose school or community site."))])


class VocabularyForm(Form):
    """An entry added to a vocabulary, labelled in English and French (whether its code is
    new is the store's to say: fieldapp.contacts.places.add_vocabulary_entry)."""

    vocabulary = StringField(validators=[AnyOf(list(vocab.VOCABULARIES),
                                               message=_l("Choose a vocabulary."))])
    code = StringField(filters=[_lower], validators=[Regexp(
        r"[a-z][a-z0-9_]{1,39}\Z",
        message=_l("The code is 2 to 40 lowercase letters, digits or underscores."))])
    label_en = StringField(filters=[_strip], validators=[
        InputRequired(_l("Give the English label (up to 80 characters).")),
        Length(min=1, max=LABEL_MAX, message=_l("Give the English label (up to 80 characters)."))])
    label_fr = StringField(filters=[_strip], validators=[
        InputRequired(_l("Give the French label (up to 80 characters).")),
        Length(min=1, max=LABEL_MAX, message=_l("Give the French label (up to 80 characters)."))])


# --- the small forms of one button or one box -----------------------------------------------


class NoteCheckForm(Form):
    """The note, sent on change for the gentle warning under it (store.note_warnings)."""

    note = TextAreaField(default="")


class PeopleSearchForm(Form):
    """The people search (htmx): an alias, what the choice is for, and a person to leave out."""

    q = StringField(default="")
    purpose = StringField()  # "merge" (coordinators), anything else: "attach"
    exclude = StringField(default="")

    @property
    def purpose_value(self) -> str:
        return "merge" if self.purpose.data == "merge" else "attach"


class FavouriteForm(Form):
    """A place starred or unstarred; `contact_id`: the contact page to go back to, if any."""

    contact_id = HiddenField()


class MergePersonForm(Form):
    """A duplicate person merged into the one chosen (`into_id`), or a search for that one."""

    into_id = StringField(default="")
    q = StringField(default="", filters=[_strip])
    search_people = StringField()  # present when "Search" (no JavaScript) sent the form


class ActiveForm(Form):
    """A place hidden from the form ("0") or offered again ("1")."""

    active = StringField()

    @property
    def value(self) -> bool:
        return self.active.data == "1"


class RetiredForm(Form):
    """A vocabulary entry retired ("1") or restored (anything else)."""

    retired = StringField()

    @property
    def value(self) -> bool:
        return self.retired.data == "1"


class ContactFilterForm(Form):
    """The filters of the contacts list (a GET form), and the next page's cursor
    (`before_at`, `before_id`).  Nothing in it is refused: a date that cannot be read filters
    nothing."""

    kind = StringField(default="")
    place_id = StringField(default="")
    since = StringField(name="from", default="")  # "from" and "to": the query-string names
    until = StringField(name="to", default="")
    before_at = StringField(default="")
    before_id = StringField(default="")

    def values(self) -> dict:
        """The filters by their query-string names, as the form shows them again."""
        return {"kind": self.kind.data or "", "place_id": self.place_id.data or "",
                "from": self.since.data or "", "to": self.until.data or ""}


class NearForm(Form):
    """The phone's position (a GET after "Use my location"), for the nearest known places."""

    lat = FloatField(validators=[InputRequired(), NumberRange(-90, 90)])
    lon = FloatField(validators=[InputRequired(), NumberRange(-180, 180)])

"""The pwa area's forms: the coordinator's (or officer's) answer to a sync conflict, and the
install hint's Dismiss button.  CSRF is global (security.csrf); the templates keep their
csrf_token input."""

from wtforms import Field, HiddenField, StringField
from wtforms.utils import unset_value

from fieldapp.forms import Form


class PrefixedField(Field):
    """Every entry whose name starts with this field's name and "_", as {rest of name: value}
    (the conflict page's `pick_<field>` radios: one per field that differs)."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors, self.raw_data, self.object_data = [], [], None
        prefix = f"{self.name}_"
        self.data = {key.removeprefix(prefix): value for key, value in (formdata or {}).items()
                     if key.startswith(prefix)}


class ConflictForm(Form):
    """Keep the stored version ("stored"), use the phone's ("phone"), or "merge" them with one
    pick per field (whether a choice is allowed for the record is versions.resolve's to say)."""

    choice = StringField(default="")
    pick = PrefixedField()


class DismissForm(Form):
    """The install hint's Dismiss; `next`: the page to go back to (checked by safe_next)."""

    next = HiddenField()

"""Form: the base of every area's WTForms class (each area's forms.py).

CSRF is checked once, for every POST, by security.csrf (Flask-WTF's CSRFProtect); so forms do
not check it a second time, and templates keep their csrf_token field as before."""

from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        csrf = False  # security.csrf checks every POST already

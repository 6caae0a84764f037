"""Django's own strings that its zh-hans catalog does not translate yet (new in Django 6.1). Listed
here so that makemessages puts them in the project's catalog, which takes precedence over Django's."""

from django.utils.translation import gettext_noop

DJANGO_STRINGS = [
    gettext_noop("- Select an option -"),  # django.db.models.fields.BLANK_CHOICE_LABEL
]

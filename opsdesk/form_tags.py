"""`includes/field.html` in Python (issue 19): a form field with its label, help and errors.

The include is used by every form of the product (255 places). Through the template language it
cost ~0.13 ms per field; a staff incident page renders about thirty. The template now calls
`{% field_html %}`, which writes the same markup from the include's context (`field`, `wide`);
tests/speed/test_row_html.py compares it with the original template for every kind of field.
Registered as the `form_tags` library in settings.TEMPLATES.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def field_html(context: template.Context) -> SafeString:
    field: Any = context.get("field")
    if not hasattr(field, "field"):  # not a bound field (a misspelt name): nothing to show
        return mark_safe("")
    if field.is_hidden:
        return mark_safe(str(field))  # noqa: S308 - the widget's own escaped markup
    errors = field.errors
    classes = (f"field{' has-error' if errors else ''}{' is-required' if field.field.required else ''}"
               f" field-{conditional_escape(field.name)}{' span-2' if context.get('wide') else ''}")
    label = conditional_escape(field.label)
    if field.widget_type == "checkbox":
        body = f'\n    <label class="check">{field} <span>{label}</span></label>\n  '
    else:
        body = (f'\n    <label for="{conditional_escape(field.id_for_label)}">{label}</label>\n'
                f"    {field}\n  ")
    help_text = field.help_text
    helps = (f'<small class="help" id="{conditional_escape(field.auto_id)}_helptext">'
             f"{conditional_escape(help_text)}</small>" if help_text else "")
    error_html = "".join(f'<p class="field-error" role="alert">{conditional_escape(e)}</p>' for e in errors)
    return mark_safe(  # noqa: S308 - every value above is escaped or the widget's own markup
        f'\n<div class="{classes}">\n  {body}\n  {helps}\n  {error_html}\n</div>\n')


class FormRenderer(BaseRenderer):
    """settings.FORM_RENDERER: Django's own widget templates through Jinja2 (the copies Django ships
    in django/forms/jinja2), any other (the admin's, which exist for the template language only)
    through the template language. A staff page renders 30+ fields, and the template language spent
    ~0.3 ms on each widget and its attributes (issue 19)."""

    def __init__(self) -> None:
        self.jinja, self.django = Jinja2(), DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self.jinja.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)

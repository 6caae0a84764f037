"""`includes/field.html` in Python (issue 19): a form field with its label, help and errors.

The include is used by every form of the product (255 places). Through the template language it
cost ~0.13 ms per field; a staff incident page renders about thirty. The template now calls
`{% field_html %}`, which writes the same markup from the include's context (`field`, `wide`);
tests/speed/test_row_html.py compares it with the original template for every kind of field.
Registered as the `form_tags` library in settings.TEMPLATES.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import template
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from markupsafe import escape  # Jinja2's own escaping, so the markup is the templates'

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

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> Any:
        """Django's `<input>`, `<textarea>` and `<select>` templates written straight out (`_INPUTS`): the same
        markup as the Jinja2 templates give (tests/speed/test_row_html.py), without a template
        context per widget; every other template renders as before."""
        writer = _INPUTS.get(template_name)
        if writer is not None:
            markup = writer(context["widget"])
            if markup is not None:
                return markup
        return super().render(template_name, context, request=request)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a True value bare, a False one left out."""
    return "".join(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
                   for name, value in attrs.items() if value is not False)


def _input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html."""
    value = widget["value"]
    shown = f' value="{escape(value)}"' if value is not None else ""
    return f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    value = widget["value"]
    return (f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{escape(value) if value else ""}</textarea>')


_OPTION = "django/forms/widgets/select_option.html"


def _select(widget: dict[str, Any]) -> str | None:
    """django/forms/widgets/select.html with its options (select_option.html) — None when an option
    has a template of its own (then the template renders it). A staff incident page has a dozen
    selects (impact, urgency, level, cause, …): ~0.3 ms each through the templates."""
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None
            parts.append(f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                         f'{escape(option["label"])}</option>')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


# The widget templates of Django's forms that only include input.html, textarea.html and select.html.
_INPUTS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    f"django/forms/widgets/{name}.html": _input
    for name in ("input", "text", "hidden", "number", "email", "url", "password", "date", "datetime", "time",
                 "checkbox", "search", "tel", "color")
}
_INPUTS["django/forms/widgets/textarea.html"] = _textarea
_INPUTS["django/forms/widgets/select.html"] = _select

"""Substring search that an index answers (issue #12): `field__icontains=word` compiles on PostgreSQL
to `UPPER(col::text) LIKE UPPER('%word%')`. A GIN index over that very expression with the pg_trgm
operator class answers it for any word of three or more characters (Chinese included: pg_trgm makes
trigrams of any letters under a UTF-8 ctype), so a word over every organisation costs index probes,
not a scan. On other databases (SQLite, the small install) a plain index over UPPER(col): valid, and
the search scans as before."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.functions import Upper


class TrigramIndex(models.Index):
    """`TrigramIndex(fields=["title"], name=…)`: GIN (UPPER(title) gin_trgm_ops) on PostgreSQL."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        (field,) = self.fields
        if schema_editor.connection.vendor == "postgresql":
            # The extension must exist before the index: migrations and test databases built without
            # migrations both come through here. pg_trgm is a trusted extension (PostgreSQL 13+).
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            qn = schema_editor.quote_name
            column = model._meta.get_field(field).column
            return (f"CREATE INDEX {qn(self.name)} ON {qn(model._meta.db_table)} "
                    f"USING gin ((UPPER({qn(column)}::text)) gin_trgm_ops)")
        return models.Index(Upper(F(field)), name=self.name).create_sql(model, schema_editor, using=using, **kwargs)

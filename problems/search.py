"""Full-text search of the known-error base, Chinese included.

PostgreSQL has no Chinese parser, so text is tokenised here: Latin/digit words are lower-cased
whole words; every run of CJK characters becomes its overlapping character bigrams (a single CJK
character stays a unigram). The tokens are stored in a `tsvector` column with the 'simple' config
(no stemming, no stop words) and queried the same way: the query's tokens ANDed in a tsquery,
ranked with ts_rank. "交换机端口" → 交换 换机 机端 端口, all of which occur in "核心交换机端口故障".

A query's run of Chinese characters may span words the text does not have side by side: "摄像头离线"
(摄像头 + 离线) has the bigram 头离, which "前端摄像头夜间频繁离线" lacks. So a CJK run does not need
every bigram, only every character covered by a bigram that occurs: the first and the last bigram, and
of each two neighbours at least one (摄像 & 离线 & (摄像|像头) & (像头|头离) & (头离|离线)). The same
formula (`query_clauses`) drives both databases: a tsquery over the GIN-indexed tsvector on
PostgreSQL, icontains terms over the fields on SQLite (the embedded default), so both find the same rows.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models

# CJK unified ideographs (+ extension A, compatibility), Hiragana/Katakana, Hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W{_CJK}_]+", re.UNICODE)
_CJK_RE = re.compile(rf"[{_CJK}]")
# A tsquery lexeme may not carry the operators; tokens are letters/digits/CJK only, so nothing to escape.
MAX_QUERY_TOKENS = 32


def tokens(text: str) -> list[str]:
    """Search tokens of `text`, in order of appearance, duplicates kept (ts_rank counts them)."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(text or ""):
        word = match.group(0)
        if _CJK_RE.match(word):
            if len(word) == 1:
                out.append(word)
            else:
                out.extend(word[i:i + 2] for i in range(len(word) - 1))
        else:
            out.append(word.lower()[:100])
    return out


def query_tokens(text: str) -> list[str]:
    """Distinct tokens of a query, in order, at most MAX_QUERY_TOKENS."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TOKENS]


def query_clauses(text: str) -> list[tuple[str, ...]]:
    """What "every word must occur" means, as an AND of OR-groups of tokens: a Latin word or a lone
    CJK character must occur itself; a CJK run must have every character covered (see the module
    docstring). Duplicates removed; at most MAX_QUERY_TOKENS distinct tokens are used."""
    clauses: dict[tuple[str, ...], None] = {}
    used: dict[str, None] = {}
    for match in _TOKEN_RE.finditer(text or ""):
        word = match.group(0)
        if _CJK_RE.match(word) and len(word) > 1:
            grams = [word[i:i + 2] for i in range(len(word) - 1)]
            pairs = [(a, b) if a != b else (a,) for a, b in zip(grams, grams[1:], strict=False)]
            group = [(grams[0],), (grams[-1],), *pairs]
        else:
            group = [(word if _CJK_RE.match(word) else word.lower()[:100],)]
        tokens_of_group = {t for clause in group for t in clause}
        if len(used.keys() | tokens_of_group) > MAX_QUERY_TOKENS:
            break
        used.update(dict.fromkeys(tokens_of_group))
        for clause in group:
            clauses.setdefault(clause, None)
    # (a | b) is implied by a required a: keep the formula small for the planner and the ranking.
    required = {clause[0] for clause in clauses if len(clause) == 1}
    return [clause for clause in clauses if len(clause) == 1 or not required.intersection(clause)]


def document(*parts: str) -> str:
    """The token string stored through to_tsvector('simple', …)."""
    return " ".join(token for part in parts for token in tokens(part))


class TSVectorField(models.Field):  # type: ignore[type-arg]
    """A PostgreSQL tsvector column (plain text elsewhere). Not editable; written by the services."""

    description = "Full-text search vector"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class TSQueryField(models.Field):  # type: ignore[type-arg]
    """Output type of a tsquery expression (only used in casts)."""

    def db_type(self, connection: Any) -> str:
        return "tsquery" if connection.vendor == "postgresql" else "text"


# PostgreSQL limits: positions 1..16383, at most 256 positions per lexeme.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256


def vector_literal(parts: list[tuple[str, str]]) -> str:
    """A tsvector in its text form from (weight, text) parts, e.g. [("A", title), ("C", body)]:
    "'交换':1A '换机':2A 'core':9C". Built here rather than by to_tsvector so that PostgreSQL's
    parser (which depends on the database's locale for non-ASCII letters) never re-splits the tokens."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, text in parts:
        for token in tokens(text):
            pos += 1
            if pos > MAX_POSITION:
                break
            slots = positions.setdefault(token, [])
            if len(slots) < MAX_POSITIONS_PER_LEXEME:
                slots.append(f"{pos}{weight}")
        pos += 1  # no phrase across parts
    return " ".join(f"'{token}':{','.join(slots)}" for token, slots in positions.items())


def query_literal(query_tokens_: list[str], *, mode: str = "all") -> str:
    """A tsquery in its text form: the tokens ANDed ("all") or ORed ("any")."""
    joiner = " & " if mode == "all" else " | "
    return joiner.join(f"'{token}'" for token in query_tokens_)


def clauses_literal(clauses: list[tuple[str, ...]]) -> str:
    """A tsquery in its text form from query_clauses(): "'摄像' & ('摄像' | '像头') & …"."""
    return " & ".join(
        f"'{clause[0]}'" if len(clause) == 1 else "(" + " | ".join(f"'{t}'" for t in clause) + ")"
        for clause in clauses)


class VectorIndex(models.Index):
    """GIN over the search vector on PostgreSQL; a plain index elsewhere (SQLite leaves the column
    empty and searches the fields)."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor == "postgresql":
            using = " USING gin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


# --- querying -----------------------------------------------------------------------------------


class TSMatch(models.Func):
    """`vector @@ query` as a boolean expression."""

    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = models.BooleanField()


class TSRank(models.Func):
    function = "ts_rank"
    output_field = models.FloatField()


def _tsquery(literal: str) -> models.Func:
    return models.functions.Cast(models.Value(literal), output_field=TSQueryField())


def search_queryset(qs: Any, text: str, *, fields: tuple[str, ...] | dict[str, float], mode: str = "all",
                    min_hits: int = 1, vector: str = "search_vector") -> Any:
    """Filter `qs` to rows matching `text` and annotate `search_rank` (higher is better).

    mode "all": every word of the query must occur (query_clauses; the search page, the API's `q`).
    mode "any": at least `min_hits` distinct query tokens must occur (suggestions from free text).
    PostgreSQL: the tsvector column, GIN-indexed. Elsewhere: the same formula over icontains of
    `fields` (a dict gives each field's weight, like the vector's A/B/C), ranked by the tokens found."""
    from django.db import connection
    from django.db.models import Case, F, FloatField, IntegerField, Q, Value, When

    toks = query_tokens(text)
    if not toks:
        return qs.none()
    min_hits = max(1, min(min_hits, len(toks)))
    weights = dict(fields) if isinstance(fields, dict) else dict.fromkeys(fields, 1.0)
    if connection.vendor == "postgresql":
        if mode == "all":
            query = _tsquery(clauses_literal(query_clauses(text)))
            return qs.filter(TSMatch(F(vector), query)).annotate(search_rank=TSRank(F(vector), query))
        query = _tsquery(query_literal(toks, mode="any"))
        hits = sum((Case(When(TSMatch(F(vector), _tsquery(query_literal([t]))), then=Value(1)), default=Value(0),
                         output_field=IntegerField()) for t in toks), Value(0))
        qs = qs.filter(TSMatch(F(vector), query)).annotate(search_hits=hits).filter(search_hits__gte=min_hits)
        return qs.annotate(search_rank=TSRank(F(vector), query) * F("search_hits"))

    def token_q(token: str) -> Q:
        out = Q()
        for name in weights:
            out |= Q(**{f"{name}__icontains": token})
        return out

    by_weight = sorted(weights.items(), key=lambda item: -item[1])

    def token_rank(token: str) -> Case:
        return Case(*[When(Q(**{f"{name}__icontains": token}), then=Value(weight)) for name, weight in by_weight],
                    default=Value(0.0), output_field=FloatField())

    rank = sum((token_rank(t) for t in toks), Value(0.0))
    if mode == "all":
        for clause in query_clauses(text):
            either = Q()
            for token in clause:
                either |= token_q(token)
            qs = qs.filter(either)
        return qs.annotate(search_rank=rank)
    hit_sum = sum((Case(When(token_q(t), then=Value(1)), default=Value(0), output_field=IntegerField())
                   for t in toks), Value(0))
    qs = qs.annotate(search_hits=hit_sum).filter(search_hits__gte=min_hits)
    return qs.annotate(search_rank=rank)

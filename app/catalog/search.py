"""Ranked, typo-tolerant search over artists, releases, tracks and genre tags.

Two passes over ``search_documents`` (kept by triggers, see ``SearchDocument``):

1. exact: the document's full-text vector holds every word of the query as a word prefix
   ("salt win" finds "Window of Salt": word order does not matter, the last word may be
   half typed);
2. only when the first finds nothing visible: each query word of 3+ letters also accepts
   up to ``SPELLINGS`` other spellings from the catalogue's vocabulary (``search_words``):
   words similar by trigrams (at least ``WORD_SIMILARITY``), those one edit away first.
   The first pass then runs again with that wider query: "Harbor" finds "Harbour Lights",
   "quiet lantrens" finds "Quiet Lanterns". A typo that happens to prefix-match another
   word finds that word only: the price of running the second pass rarely.

No step scans a table; each reads GIN posting lists: of the full-text index (the query's
words and spellings: they grow with how often those words occur) and of the vocabulary's
trigram index (it grows with the number of distinct words, not of documents; the trigram
index on the documents' names, which grows with every document, is not used). At most
``CANDIDATES`` matching documents are ranked (a short prefix matching much of the catalogue
ranks a sample of its matches), and visibility is checked per candidate by primary key, so
the work after the index scans is bounded whatever the catalogue's size.

Ranking: similarity of the query to the name (whole and best word run) plus the full-text
rank (name weighs more than the artist / release context).

Visibility is the catalogue's one rule (``app.catalog.visibility``), applied per viewer's
``visibility_key``: the ranking statement is built once per key and reused. The
vocabulary holds the words of drafts too; it is never shown, and a spelling it suggests
only widens the query, whose results pass the same check.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Integer, Select, String, and_, bindparam, func, or_, select
from sqlalchemy import text as sql
from sqlalchemy.orm import joinedload

from app.catalog.models import Artist, Release, SearchDocument, Track
from app.catalog.services import PUBLIC_TRACK
from app.catalog.visibility import visibility_clause, visibility_key
from app.core.replica import replica_session

MAX_QUERY = 200
CANDIDATES = 200
# Trigram similarity of a spelling to a query word: one edit in a 6-letter word keeps 0.27 or
# more ("lantrens" - "lanterns" 0.38, "harbor" - "harbour" 0.5).
WORD_SIMILARITY = 0.25
SPELLING_POOL = 50  # the most similar words per query word, of which
SPELLINGS = 5  # the closest are searched
KINDS = ("artist", "release", "track", "tag")
_WORD = re.compile(r"\w+", re.UNICODE)


def visible_to(viewer) -> ColumnElement[bool]:
    """The releases ``viewer`` may find, for tag browsing: the catalogue's visibility rule
    (``app.catalog.visibility``). Search's ranking statement applies the same rule through
    ``visibility_key``, so a richer rule belongs in that module, not here."""
    return visibility_clause(visibility_key(viewer))


def query_words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if w.strip("_")][:12]


def prefix_tsquery(words: list[str], spellings: dict[str, list[str]] | None = None) -> str:
    """``'salt':* & 'win':*`` - every word, as a prefix, or one of its other ``spellings``
    (``('harbor':* | 'harbour')``). Words and spellings are ``\\w+`` runs, so they hold no
    tsquery syntax."""
    spellings = spellings or {}
    terms = [" | ".join([f"'{w}':*"] + [f"'{s}'" for s in spellings.get(w, [])]) for w in words]
    return " & ".join(f"({t})" if "|" in t else t for t in terms)


@dataclass
class Hit:
    kind: str
    score: float
    name: str
    obj: object = None  # Artist, Release, Track, or the tag (str)
    highlight: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class SearchResults:
    query: str
    artists: list[Hit] = field(default_factory=list)
    releases: list[Hit] = field(default_factory=list)
    tracks: list[Hit] = field(default_factory=list)
    tags: list[Hit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.artists or self.releases or self.tracks or self.tags)


def search(text: str, viewer, *, limit: int = 20) -> SearchResults:
    """The best ``limit`` matches of each kind that ``viewer`` may see, best first."""
    text = " ".join((text or "").split())[:MAX_QUERY]
    words = query_words(text)
    results = SearchResults(text)
    if not words:
        return results
    session = replica_session()  # a moment stale is fine for search
    tsquery = prefix_tsquery(words)
    rows = _ranked(session, words, tsquery, viewer, limit)
    if not rows:
        # Nothing visible matches exactly: look again, forgiving typos.
        spellings = _spellings(session, words)
        if spellings:
            tsquery = prefix_tsquery(words, spellings)
            rows = _ranked(session, words, tsquery, viewer, limit)
            words = words + [s for alternatives in spellings.values() for s in alternatives]
    by_kind: dict[str, list] = {kind: [] for kind in KINDS}
    for row in rows:
        by_kind[row.kind].append(row)
    artists = _load(session, Artist, [r.artist_id for r in by_kind["artist"]])
    # Everything the pages and the JSON show of a hit, loaded here: no query per hit.
    releases = _load(
        session,
        Release,
        [r.release_id for r in by_kind["release"]],
        joinedload(Release.artist),
        joinedload(Release.tag_rows),
    )
    tracks = _load(
        session,
        Track,
        [r.track_id for r in by_kind["track"]],
        joinedload(Track.release).joinedload(Release.artist),
        joinedload(Track.audio),  # type: ignore[attr-defined]  # a backref from app.uploads
    )
    results.artists = [_hit(r, artists[r.artist_id], words) for r in by_kind["artist"]]
    results.releases = [_hit(r, releases[r.release_id], words) for r in by_kind["release"]]
    results.tracks = [_hit(r, tracks[r.track_id], words) for r in by_kind["track"]]
    results.tags = [_hit(r, r.name, words) for r in by_kind["tag"]]
    return results


_SPELLINGS = sql(
    """
    SELECT q.word, s.word AS spelling
    FROM unnest(CAST(:words AS text[])) AS q(word)
    CROSS JOIN LATERAL (
      SELECT w.word FROM search_words w
      WHERE w.word % q.word AND NOT starts_with(w.word, q.word)
      ORDER BY similarity(w.word, q.word) DESC, w.word
      LIMIT :pool
    ) s
    """
)


def _spellings(session, words: list[str]) -> dict[str, list[str]]:
    """The closest other spellings of each query word of 3+ letters: of the vocabulary's
    ``SPELLING_POOL`` words most similar by trigrams (one statement for all the words; the
    words its prefix already matches left out), those one edit away first."""
    long_words = list(dict.fromkeys(w for w in words if len(w) >= 3))
    if not long_words:
        return {}
    # SET LOCAL lasts until the end of the transaction (the request); search is the only
    # reader of pg_trgm's threshold.
    session.execute(sql(f"SET LOCAL pg_trgm.similarity_threshold = {WORD_SIMILARITY}"))
    pools: dict[str, list[str]] = {}
    for word, spelling in session.execute(_SPELLINGS, {"words": long_words, "pool": SPELLING_POOL}):
        if _WORD.fullmatch(spelling):  # a lexeme such as "post-punk" or a URL is left out
            pools.setdefault(word, []).append(spelling)
    # Trigram similarity ranks a short word sharing the start above the intended one ("miksoe":
    # "mika" 0.33, "mikose" 0.27); a typo is most often one edit. A stable sort keeps the
    # similarity order within each group.
    return {word: sorted(pool, key=lambda s: not one_edit(s, word))[:SPELLINGS] for word, pool in pools.items()}


def one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with at most one letter changed, added or dropped, or two
    neighbours swapped (Damerau-Levenshtein distance at most 1)."""
    if abs(len(a) - len(b)) > 1:
        return False
    i, n = 0, min(len(a), len(b))
    while i < n and a[i] == b[i]:
        i += 1
    return (
        a[i + 1 :] == b[i + 1 :]  # changed (or equal)
        or a[i + 1 :] == b[i:]  # dropped
        or a[i:] == b[i + 1 :]  # added
        or (a[i : i + 1] == b[i + 1 : i + 2] and a[i + 1 : i + 2] == b[i : i + 1] and a[i + 2 :] == b[i + 2 :])
    )


def _ranked(session, words: list[str], tsquery: str, viewer, limit: int) -> list:
    """(kind, artist_id, release_id, track_id, name, score) of the best ``limit`` visible
    documents of each kind matching ``tsquery``, best first."""
    params = {"q": " ".join(words), "tsquery": tsquery, "limit": limit}
    return session.execute(_ranked_statement(visibility_key(viewer)), params).all()


# The ranking statement of each visibility key (a few per day: the public's, the admins', each
# manager's), built once: building and compiling it cost more of the app's time than running it.
_STATEMENTS: dict[tuple, Select] = {}
_MAX_STATEMENTS = 512


def _ranked_statement(key: tuple) -> Select:
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _MAX_STATEMENTS:  # yesterday's keys and rare managers: start again
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = _build_ranked_statement(visibility_clause(key))
    return statement


def _build_ranked_statement(visible: ColumnElement[bool]) -> Select:
    """The ranking statement for releases passing ``visible``; binds ``q`` (the query's
    words), ``tsquery`` and ``limit``."""
    q = bindparam("q", type_=String)
    doc = SearchDocument
    tsq = func.to_tsquery("simple", bindparam("tsquery", type_=String))
    # The matching documents themselves (no join back to the table: that would read it all).
    cand = (
        select(doc.id, doc.kind, doc.artist_id, doc.release_id, doc.track_id, doc.name, doc.tsv)
        .where(doc.tsv.op("@@")(tsq))
        .limit(CANDIDATES)
        .subquery()
    )
    # Checked per candidate by primary key. Scalar subqueries, not EXISTS or joins: for those
    # PostgreSQL may hash the whole releases and tracks tables, a cost that grows with them.
    visible_release = (
        select(Release.id).where(Release.id == cand.c.release_id, visible).limit(1).scalar_subquery()
    ).is_not(None)
    ready_track = (select(Track.id).where(Track.id == cand.c.track_id, PUBLIC_TRACK).limit(1).scalar_subquery()).is_not(
        None
    )
    score = (
        func.word_similarity(q, cand.c.name) * 2 + func.similarity(q, cand.c.name) + func.ts_rank(cand.c.tsv, tsq)
    ).label("score")
    rank = func.row_number().over(partition_by=cand.c.kind, order_by=(score.desc(), cand.c.id)).label("rank")
    ranked = (
        select(cand.c.kind, cand.c.artist_id, cand.c.release_id, cand.c.track_id, cand.c.name, score, rank)
        .select_from(cand)
        .where(or_(cand.c.release_id.is_(None), and_(visible_release, or_(cand.c.track_id.is_(None), ready_track))))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank <= bindparam("limit", type_=Integer)).order_by(ranked.c.score.desc())


def _load(session, model, ids: list[int], *options) -> dict:
    if not ids:
        return {}
    query = select(model).where(model.id.in_(ids)).options(*options)
    return {obj.id: obj for obj in session.scalars(query).unique()}


def _hit(row, obj, words: list[str]) -> Hit:
    return Hit(row.kind, round(float(row.score), 4), row.name, obj, highlight(row.name, words))


def _matches(word: str, query: list[str]) -> bool:
    """A word of a name matches when a query word is its prefix or nearly equal to it or to
    its start (a typo)."""
    word = word.lower()
    for q in query:
        if word.startswith(q):
            return True
        if len(q) >= 3 and _similar(q, word[: len(q) + 1]):
            return True
    return False


def _similar(a: str, b: str) -> bool:
    # ratio() >= 0.75, after its two cheap upper bounds (most words of a name fail those).
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= 0.75 and matcher.quick_ratio() >= 0.75 and matcher.ratio() >= 0.75


def highlight(name: str, words: list[str]) -> list[tuple[str, bool]]:
    """``name`` cut into (text, matched) runs: the words that match a query word are marked."""
    out: list[tuple[str, bool]] = []
    last = 0
    for m in _WORD.finditer(name):
        if _matches(m.group(), words):
            if m.start() > last:
                out.append((name[last : m.start()], False))
            out.append((m.group(), True))
            last = m.end()
    if last < len(name):
        out.append((name[last:], False))
    return out

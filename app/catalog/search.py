"""Ranked, typo-tolerant search over artists, releases, tracks and genre tags.

Two passes over ``search_documents`` (kept by triggers, see ``SearchDocument``):

1. exact: the document's full-text vector holds every word of the query as a word prefix
   ("salt win" finds "Window of Salt": word order does not matter, the last word may be
   half typed);
2. only when the first finds nothing: the same, or the query is similar by
   trigrams to a run of words of the name (``<%``, pg_trgm's word similarity, at least
   ``FUZZY_SIMILARITY``), so "Harbor" finds "Harbour Lights". Trigram posting lists grow
   with the catalogue, so only queries that need it pay for them (an exact title that
   matches one document does not; a typo that happens to prefix-match another word is not
   corrected: the price of that).

Both use GIN indexes, so a query reads only the posting lists of its own words and
trigrams, never the table. At most ``CANDIDATES`` matching documents are ranked: a short
prefix matching much of the catalogue ranks a sample of its matches, not all of them.
Visibility is checked per candidate by primary key. So the work after the index scans is
bounded whatever the catalogue's size; the scans read posting lists, which grow only with
how often the query's own words (and, in the second pass, trigrams) occur.

Ranking: similarity of the query to the name (whole and best word run) plus the full-text
rank (name weighs more than the artist / release context).

Visibility goes through ``visible_to`` only: the one hook for who may see a release.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy import text as sql
from sqlalchemy.orm import joinedload

from app.catalog.models import Artist, Release, SearchDocument, Track
from app.catalog.services import PUBLIC_TRACK, visible_releases_clause
from app.core.replica import replica_session

MAX_QUERY = 200
CANDIDATES = 200
FUZZY_SIMILARITY = 0.45
KINDS = ("artist", "release", "track", "tag")
_WORD = re.compile(r"\w+", re.UNICODE)


def visible_to(viewer) -> ColumnElement[bool]:
    """The releases ``viewer`` may find: the catalogue's visibility rule, in one place for
    search and tag browsing (plug a richer rule in here)."""
    return visible_releases_clause(viewer)


def query_words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if w.strip("_")][:12]


def prefix_tsquery(words: list[str]) -> str:
    """``'salt':* & 'win':*`` - every word, as a prefix. Words are ``\\w+`` runs, so they
    hold no tsquery syntax."""
    return " & ".join(f"'{w}':*" for w in words)


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
    rows = _ranked(session, words, viewer, limit, fuzzy=False)
    if not rows:
        # No exact match: look again, forgiving typos. SET LOCAL lasts until the end of
        # the transaction (the request); search is the only reader of pg_trgm's threshold.
        session.execute(sql(f"SET LOCAL pg_trgm.word_similarity_threshold = {FUZZY_SIMILARITY}"))
        rows = _ranked(session, words, viewer, limit, fuzzy=True)
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


def _ranked(session, words: list[str], viewer, limit: int, *, fuzzy: bool) -> list:
    """(kind, artist_id, release_id, track_id, name, score) of the best ``limit`` visible
    documents of each kind, best first."""
    q = " ".join(words)
    doc = SearchDocument
    tsq = func.to_tsquery("simple", prefix_tsquery(words))
    # The matching documents themselves (no join back to the table: that would read it all).
    cand = (
        select(doc.id, doc.kind, doc.artist_id, doc.release_id, doc.track_id, doc.name, doc.tsv)
        .where(or_(doc.tsv.op("@@")(tsq), literal(q).op("<%")(doc.name)) if fuzzy else doc.tsv.op("@@")(tsq))
        .limit(CANDIDATES)
        .subquery()
    )
    # Checked per candidate by primary key. Scalar subqueries, not EXISTS or joins: for those
    # PostgreSQL may hash the whole releases and tracks tables, a cost that grows with them.
    visible_release = (
        select(Release.id).where(Release.id == cand.c.release_id, visible_to(viewer)).limit(1).scalar_subquery()
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
    return session.execute(select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.score.desc())).all()


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
        if len(q) >= 3 and difflib.SequenceMatcher(None, q, word[: len(q) + 1]).ratio() >= 0.75:
            return True
    return False


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

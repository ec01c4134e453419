"""Ranked, typo-tolerant search: typos, word order, prefixes, ranking, highlighting, the
visibility rule, and the trigger-kept index following renames and deletions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select, text

from app.catalog.models import Artist, Release, SearchDocument, Track, TrackStatus
from app.catalog.search import _spellings, highlight, one_edit
from app.catalog.search import search as catalog_search
from app.core.extensions import db
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for


def search(client, q, headers=None, **params):
    r = client.get("/api/v1/search", query_string={"q": q, **params}, headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json


def names(hits, key="title"):
    return [h[key] for h in hits]


@pytest.fixture
def catalogue(app_ctx):
    sea = make_artist(name="Quiet Lanterns")
    harbour = make_release(artist=sea, title="Harbour Lights")
    make_track(release=harbour, title="Harbour Lights")
    make_track(release=harbour, title="Tidal")
    salt = make_release(artist=make_artist(name="Mira Okafor"), title="Window of Salt")
    make_track(release=salt, title="Window of Salt")
    make_track(release=salt, title="Paper Boats")
    return {"sea": sea, "harbour": harbour, "salt": salt}


def test_a_typo_finds_the_title(client, catalogue):
    found = search(client, "Harbor")
    assert names(found["releases"]) == ["Harbour Lights"]
    assert names(found["tracks"])[0] == "Harbour Lights"
    assert found["tracks"][0]["highlight"] == [{"text": "Harbour", "match": True}, {"text": " Lights", "match": False}]
    assert found["releases"][0]["page_url"] == f"/releases/{catalogue['harbour'].id}"


def test_words_in_any_order_and_half_typed(client, catalogue):
    for q in ("salt window", "Salt  WINDOW", "window sal", "wind"):
        found = search(client, q)
        assert names(found["releases"]) == ["Window of Salt"], q
        assert "Window of Salt" in names(found["tracks"]), q


def test_artist_names_match_with_typos_and_bring_their_tracks(client, catalogue):
    found = search(client, "quiet lantrens")
    assert names(found["artists"], "name") == ["Quiet Lanterns"]
    found = search(client, "lanterns")
    assert set(names(found["tracks"])) == {"Harbour Lights", "Tidal"}


def test_ranking_puts_the_closest_name_first(client, app_ctx):
    release = make_release(artist=make_artist(name="Ember"), title="Collected")
    make_track(release=release, title="Embers of the Night Sky")
    make_track(release=release, title="Ember")
    make_track(release=release, title="Unrelated Title")  # matches only by its artist
    tracks = names(search(client, "ember")["tracks"])
    assert tracks[0] == "Ember"
    assert tracks.index("Embers of the Night Sky") < tracks.index("Unrelated Title")
    scores = [h["score"] for h in search(client, "ember")["tracks"]]
    assert scores == sorted(scores, reverse=True)


def test_misses_and_noise_find_nothing(client, catalogue):
    for q in ("zzqxvj", "", "   ", "--", "'", "a & b | !c:*"):
        found = search(client, q)
        assert found["artists"] == found["releases"] == found["tracks"] == found["tags"] == [], q


def test_limit_is_per_kind(client, app_ctx):
    release = make_release(title="Orbit")
    for n in range(5):
        make_track(release=release, title=f"Orbit {n}")
    assert len(search(client, "orbit", limit=3)["tracks"]) == 3
    assert client.get("/api/v1/search?q=orbit&limit=0").status_code == 422


def test_drafts_and_hidden_tracks_are_found_only_by_who_may_see_them(client, app_ctx):
    manager = make_user()
    artist = make_artist(name="Secret Garden", manager=manager)
    draft = make_release(artist=artist, title="Moonflower Draft")
    make_track(release=draft, title="Moonflower", status=TrackStatus.PROCESSING)
    public = make_release(artist=artist, title="Moonflower Live")
    make_track(release=public, title="Moonflower Live Take")
    make_track(release=public, title="Moonflower Hidden", status=TrackStatus.HIDDEN)

    found = search(client, "moonflower")
    assert names(found["releases"]) == ["Moonflower Live"]
    assert names(found["tracks"]) == ["Moonflower Live Take"]
    found = search(client, "moonflower", headers=bearer(token_for(manager)))
    assert set(names(found["releases"])) == {"Moonflower Live", "Moonflower Draft"}
    assert names(found["tracks"]) == ["Moonflower Live Take"]  # only ready tracks are playable


def test_a_statement_reused_across_viewers_and_days_shows_each_what_they_may_see(client, app_ctx, clock):
    """The ranking statement is built once per visibility key and reused: a manager's search
    must not leave their drafts in the next visitor's, and a release dated tomorrow shows
    from tomorrow, with no restart."""
    from datetime import timedelta

    manager = make_user()
    artist = make_artist(name="Lamplight Tapes", manager=manager)
    draft = make_release(artist=artist, title="Nightjar Draft")
    make_track(release=draft, title="Nightjar One")
    draft.published_at = None
    tomorrow = (clock.now() + timedelta(days=1)).date()
    soon = make_release(artist=make_artist(name="Other Artist"), title="Nightjar Tomorrow", release_date=tomorrow)
    make_track(release=soon, title="Nightjar Two")
    db.session.commit()

    found = search(client, "nightjar", headers=bearer(token_for(manager)))
    assert names(found["releases"]) == ["Nightjar Draft"]
    for _ in range(2):  # the visitor's statement, built then reused
        assert search(client, "nightjar")["releases"] == []
    clock.advance(timedelta(days=1))
    assert names(search(client, "nightjar")["releases"]) == ["Nightjar Tomorrow"]


def test_the_index_follows_renames_tags_and_deletions(client, app_ctx):
    artist = make_artist(name="Old Name")
    release = make_release(artist=artist, title="Glasshouse")
    track = make_track(release=release, title="Greenhouse Song")
    artist.name = "Vantablack Choir"
    db.session.commit()
    assert names(search(client, "vantablack")["tracks"]) == ["Greenhouse Song"]
    assert search(client, "old name")["tracks"] == []
    release = db.session.get(Release, release.id)  # the request ended the test's session
    release.title = "Crystal Palace"
    db.session.commit()
    assert names(search(client, "crystal palace")["releases"]) == ["Crystal Palace"]
    db.session.delete(db.session.get(Track, track.id))
    db.session.commit()
    assert search(client, "greenhouse")["tracks"] == []
    assert db.session.scalar(select(SearchDocument.id).where(SearchDocument.key == f"t{track.id}")) is None


def test_rebuild_gives_the_same_documents_as_the_triggers(app_ctx, catalogue):
    def documents():
        return sorted(
            db.session.execute(
                text("SELECT key, kind, artist_id, release_id, track_id, name, context FROM search_documents")
            )
        )

    before = documents()
    db.session.execute(text("SELECT search_documents_rebuild()"))
    assert documents() == before


def test_the_search_page_marks_matches(client, catalogue):
    r = client.get("/search", query_string={"q": "harbor"})
    assert r.status_code == 200
    html = r.text
    assert "<mark>Harbour</mark> Lights" in html
    assert re.search(r"<h2>Releases</h2>", html) and re.search(r"<h2>Tracks</h2>", html)
    r = client.get("/search", query_string={"q": "zzqxvj"})
    assert "Nothing matches" in r.text


def test_highlight_marks_prefixes_and_typos_only():
    assert highlight("Window of Salt", ["salt", "win"]) == [("Window", True), (" of ", False), ("Salt", True)]
    assert highlight("Harbour Lights", ["harbor"]) == [("Harbour", True), (" Lights", False)]
    assert highlight("Paper Boats", ["harbor"]) == [("Paper Boats", False)]


def test_one_edit_is_a_letter_changed_added_dropped_or_two_swapped():
    for a, b in (
        ("harbor", "harbour"),
        ("harbour", "harbor"),
        ("lantrens", "lanterns"),
        ("salt", "slat"),
        ("ab", "ab"),
    ):
        assert one_edit(a, b), (a, b)
    for a, b in (("miksoe", "mika"), ("lantrens", "lantern"), ("abcd", "badc"), ("salt", "last"), ("ab", "abcd")):
        assert not one_edit(a, b), (a, b)


def test_a_spelling_one_edit_away_comes_before_more_similar_ones(client, app_ctx):
    """By trigrams, "mika", "miko", "mikel", "mikes" and "mikan" (0.3-0.33) are all more
    similar to "miksoe" than "mikose" (0.27), one edit away: it is searched first."""
    artist = make_artist(name="Gatune")
    for title in ("Mika", "Miko", "Mikel", "Mikes", "Mikan", "Mikose"):
        make_track(release=make_release(artist=artist, title=title), title=title)
    assert _spellings(db.session, ["miksoe"])["miksoe"][0] == "mikose"
    assert "Mikose" in names(search(client, "miksoe")["tracks"])


def test_search_reads_the_indexes_not_the_table(app_ctx, catalogue):
    """With sequential scans priced out, both passes of a typo search still run, on GIN
    indexes (the documents' full text, the vocabulary's trigrams), and no plan scans
    search_documents or search_words."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "search_documents" in statement or "search_words" in statement:
            statements.append((statement, parameters))

    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    # A vocabulary of a real catalogue's size, analysed: with a few dozen words any index does,
    # and which one the planner takes then depends on the statistics other tests left.
    db.session.execute(text("INSERT INTO search_words SELECT md5(i::text) FROM generate_series(1, 20000) i"))
    db.session.execute(text("ANALYZE search_words"))
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        found = catalog_search("quiet lantrens", None)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert [hit.name for hit in found.artists] == ["Quiet Lanterns"]
    assert len(statements) == 3, statements  # the exact pass, the spellings, the wider pass
    connection = db.session.connection()
    plans = ["\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + s, p)) for s, p in statements]
    exact, spellings, wider = plans
    assert "ix_search_documents_tsv" in exact and "ix_search_documents_tsv" in wider, plans
    assert "ix_search_words_word_trgm" in spellings, spellings
    for plan in plans:
        assert "Seq Scan on search_documents" not in plan and "Seq Scan on search_words" not in plan, plan


def vocabulary() -> set[str]:
    return set(db.session.scalars(text("SELECT word FROM search_words")))


def test_the_vocabulary_follows_inserts_and_renames(app_ctx, catalogue):
    assert {"quiet", "lanterns", "harbour", "lights", "tidal", "window", "of", "salt", "okafor"} <= vocabulary()
    track = make_track(release=catalogue["salt"], title="Driftwood")
    assert "driftwood" in vocabulary()
    track = db.session.get(Track, track.id)
    track.title = "Cormorant Song"
    db.session.commit()
    artist = db.session.get(Artist, catalogue["sea"].id)
    artist.name = "Loud Lanterns"
    db.session.commit()
    assert {"cormorant", "song", "loud"} <= vocabulary()
    # Words are only added: a stale one suggests a spelling that then matches nothing.
    assert "driftwood" in vocabulary()


def test_rebuild_gives_the_same_vocabulary_as_the_triggers(app_ctx, catalogue):
    before = vocabulary()
    db.session.execute(text("SELECT search_documents_rebuild()"))
    assert vocabulary() == before
    track = make_track(release=catalogue["salt"], title="Driftwood")
    track = db.session.get(Track, track.id)
    track.title = "Cormorant"
    db.session.commit()
    db.session.execute(text("SELECT search_documents_rebuild()"))
    assert vocabulary() == before | {"cormorant"}  # and the stale word is gone
    # As after a bulk load, which runs with the triggers off: the rebuild does not need them.
    db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text("SELECT search_documents_rebuild()"))
    assert vocabulary() == before | {"cormorant"}


def test_a_typo_in_one_word_of_several_still_finds_the_title(client, catalogue):
    found = search(client, "harbour lihgts")
    assert names(found["releases"]) == ["Harbour Lights"]
    assert names(found["tracks"])[0] == "Harbour Lights"
    assert found["tracks"][0]["highlight"] == [
        {"text": "Harbour", "match": True},
        {"text": " ", "match": False},
        {"text": "Lights", "match": True},
    ]
    found = search(client, "windwo of salt")
    assert names(found["releases"]) == ["Window of Salt"]
    # The artist's name (context, not the title) and a mistyped title word.
    found = search(client, "okafor windwo")
    assert names(found["releases"]) == ["Window of Salt"]
    assert names(found["tracks"])[0] == "Window of Salt"  # then Paper Boats, on that release


def test_the_typo_pass_runs_when_every_exact_match_is_hidden(client, app_ctx):
    """A visitor's query whose only exact match is a draft gets the typo pass's visible
    results; the draft's words, in the vocabulary, never bring the draft itself."""
    manager = make_user()
    draft = make_release(artist=make_artist(name="Secret Garden", manager=manager), title="Saltmarsh")
    make_track(release=draft, title="Saltmarsh", status=TrackStatus.PROCESSING)
    public = make_release(artist=make_artist(name="Open Fields"), title="Saltmarch")
    make_track(release=public, title="Saltmarch")
    assert "saltmarsh" in vocabulary()

    for q in ("saltmarsh", "saltmarsch"):
        found = search(client, q)
        assert names(found["releases"]) == ["Saltmarch"], q
        assert names(found["tracks"]) == ["Saltmarch"], q
    found = search(client, "saltmarsh", headers=bearer(token_for(manager)))
    assert names(found["releases"]) == ["Saltmarsh"]  # exact: no typo pass

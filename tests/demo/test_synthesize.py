"""``flask demo synthesize``: a consistent ledger (verify passes) whose rollups equal a recount."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.analytics.services import dashboard, rollups
from app.analytics.services.dashboard import DateRange
from app.catalog.models import Artist, Release, ReleaseTag
from app.catalog.visibility import visible_releases_clause
from app.core.extensions import db
from app.demo import synthesize
from ledger.schema import Ownership, Play, PlayKind
from tests.analytics_support import recount
from tests.conftest import make_test_app, migrate_to_head
from tests.resources import fresh_database


@pytest.mark.committing
def test_synthetic_data_is_consistent_and_rolls_up(tmp_path):
    with fresh_database(tmp_path, "synth") as url:
        app = make_test_app(url, tmp_path / "media")
        migrate_to_head(app)
        with app.app_context():
            options = synthesize.Options(listeners=60, tracks=120, plays=4_000, days=20, seed=5, buy_now_rate=0.2)
            report = synthesize.synthesize(options, progress=lambda line: None)
            assert report.counts["ledger_plays"] == 4_000
            assert report.counts["tracks"] == 120 and report.counts["artists"] == 12
            # A public catalogue: a visitor sees every release (none is left a draft).
            public = select(func.count()).select_from(Release).where(visible_releases_clause(None))
            assert db.session.scalar(public) == report.counts["releases"] > 0
            # The load runs without triggers: the search index is built after it, complete.
            releases, tags = (
                report.counts["releases"],
                len({tag for _, tag in db.session.execute(select(ReleaseTag.release_id, ReleaseTag.tag))}),
            )
            assert report.counts["search_documents"] == 12 + releases + 120 + tags
            # And its vocabulary, with the trigram index built again after the load.
            words = "SELECT DISTINCT unnest(tsvector_to_array(tsv)) FROM search_documents"
            assert db.session.execute(text(f"({words} EXCEPT SELECT word FROM search_words) LIMIT 1")).all() == []
            assert db.session.execute(text(f"(SELECT word FROM search_words EXCEPT {words}) LIMIT 1")).all() == []
            assert db.session.scalar(text("SELECT to_regclass('ix_search_words_word_trgm') IS NOT NULL"))
            db.session.remove()

            result = app.test_cli_runner().invoke(args=["ledger", "verify"])
            assert result.exit_code == 0 and "ledger OK" in result.output, result.output
            assert db.session.scalar(select(func.count()).select_from(Ownership)) > 0
            assert db.session.scalar(select(func.count()).select_from(Play).where(Play.kind == PlayKind.OWNED)) > 0

            # Zipf: the top artist is played far more than the last one.
            def plays_of(rank):
                artist = db.session.scalar(select(Artist).where(Artist.name == synthesize.artist_name(rank)))
                return artist, db.session.scalar(
                    select(func.count()).select_from(Play).where(Play.artist_id == artist.id)
                )

            (top, top_plays), (tail, tail_plays) = plays_of(1), plays_of(12)
            assert top_plays > 5 * tail_plays

            rollups.rebuild()
            today = rollups.today()
            whole = DateRange(today - timedelta(days=25), today)
            for artist in (top, tail):
                d = dashboard.artist_dashboard(artist, whole)
                want = recount(artist.id, whole.start, whole.end)
                assert (
                    d.totals.plays,
                    d.totals.unique_listeners,
                    d.totals.artist_micro,
                    d.totals.buy_nows,
                    d.owners,
                ) == (want["plays"], want["unique_listeners"], want["artist_micro"], want["buy_nows"], want["owners"])
            # More synthetic data is refused: the generator wants an empty ledger.
            with pytest.raises(ValueError):
                synthesize.synthesize(options)
            db.session.remove()
            db.engine.dispose()

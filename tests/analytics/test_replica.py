"""Reading from a streaming replica (ENCORE_DATABASE_REPLICA_URL).

The committing test runs a real primary and hot standby (``tests.replica_cluster``). To show
where a read was served, it freezes the standby's replay and writes more on the primary:
a page read from the replica still shows the frozen state, one read from the primary would
show the new one. Money writes made while the replica is configured must land on the primary
(the standby refuses writes, so a misrouted one would fail).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import InternalError

from app import create_app
from app.accounts.models import User
from app.analytics.models import ArtistDay
from app.analytics.services import rollups, transparency
from app.catalog.models import Release, Track
from app.core.config import ConfigurationError
from app.core.extensions import db
from app.core.replica import APPLICATION_NAME, dispose, replica_session
from app.payments.services import wallet
from tests.conftest import make_test_app, migrate_to_head
from tests.factories import bearer, make_artist, make_release, make_track, make_user, token_for
from tests.replica_cluster import streaming_replica


def test_without_a_replica_replica_reads_are_the_primary_session(app_ctx):
    """No replica configured: the reader is ``db.session`` itself (so the test's rolled-back
    transaction covers it, and a page sees what the request just wrote)."""
    assert replica_session() is db.session
    artist = make_artist(name="Unreplicated Echo")
    assert replica_session().get(type(artist), artist.id) is artist


def test_a_replica_url_must_be_postgresql(tmp_path):
    with pytest.raises(ConfigurationError, match="DATABASE_REPLICA_URL"):
        create_app(
            {
                "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
                "SECRET_KEY": "x",
                "DATABASE_REPLICA_URL": f"sqlite:///{tmp_path}/r.db",
            }
        )


def test_the_replica_engine_refuses_writes_even_pointed_at_the_primary(database_url, tmp_path):
    """A replica URL that names the primary by mistake still cannot write: its transactions
    are READ ONLY (and REPEATABLE READ: one snapshot per request)."""
    app = make_test_app(database_url, tmp_path / "media", DATABASE_REPLICA_URL=database_url)
    try:
        with app.app_context():
            reader = replica_session()
            assert reader is not db.session
            assert reader.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
            with pytest.raises(InternalError, match="read-only"):
                reader.execute(text("CREATE TABLE replica_probe (i int)"))
    finally:
        dispose(app)
        with app.app_context():
            db.engine.dispose()


@pytest.mark.committing
def test_dashboards_books_and_search_read_the_replica_and_money_stays_on_the_primary(tmp_path):
    with streaming_replica() as cluster:
        name = cluster.create_database()
        app = make_test_app(
            cluster.primary_url(name), tmp_path / "media", DATABASE_REPLICA_URL=cluster.standby_url(name)
        )
        try:
            _exercise(app, cluster, name)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            dispose(app)


def _exercise(app, cluster, database: str) -> None:
    migrate_to_head(app)
    client = app.test_client()
    with app.app_context():
        period = transparency.current_period().label
        manager = make_user(display_name="Manager")
        artist = make_artist(name="Harbour Lights", manager=manager)
        release = make_release(artist=artist, title="Tides")
        ferry = make_track(release=release, title="Morning Ferry")
        gulls = make_track(release=release, title="Gulls")
        fans = [make_user(display_name=f"Fan {i}") for i in range(2)]
        for fan in fans:
            wallet.admin_top_up(fan.id, "2", f"top-up-{fan.id}")
        wallet.charge_play(fans[0], ferry, "play-1")
        db.session.commit()
        rollups.update()
        db.session.commit()
        ids = {
            "artist": artist.id,
            "release": release.id,
            "ferry": ferry.id,
            "gulls": gulls.id,
            "fans": [f.id for f in fans],
        }
        manager_token = token_for(manager)
        fan_tokens = [token_for(f) for f in fans]
        db.session.remove()

    dashboard_url = f"/api/v1/artists/{ids['artist']}/analytics"

    def read_pages() -> tuple[dict, dict, list[str]]:
        dash = client.get(dashboard_url, headers=bearer(manager_token))
        books = client.get(f"/api/v1/transparency/{period}")
        found = client.get("/api/v1/search?q=ferry")
        assert dash.status_code == books.status_code == found.status_code == 200
        return dash.json["dashboard"]["totals"], books.json["books"], [t["title"] for t in found.json["tracks"]]

    cluster.wait_for_replay()
    totals, books, titles = read_pages()
    assert totals["plays"] == 1 and totals["buy_nows"] == 0
    assert books["plays"] == 1 and books["money"]["credits_spent_on_buy_now"]["micro"] == 0
    assert titles == ["Morning Ferry"]
    # Those reads were served by the standby: the app's reader connection is there, not on the primary.
    reader = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a AND datname = :d"
    assert cluster.standby_scalar(reader, a=APPLICATION_NAME, d=database) >= 1
    assert cluster.primary_scalar(reader, a=APPLICATION_NAME, d=database) == 0

    # Freeze the standby, then write through the app: a buy-now over HTTP (money, which must
    # go to the primary: on the standby it would fail as read-only), a play, a new track.
    cluster.pause_replay()
    try:
        wallet_url, fan_headers = "/api/v1/me/wallet", bearer(fan_tokens[1])
        wallet_before = client.get(wallet_url, headers=fan_headers).json["balance"]["micro"]
        bought = client.post(
            f"/api/v1/me/tracks/{ids['gulls']}/buy", json={"idempotency_key": "gulls-1"}, headers=fan_headers
        )
        assert bought.status_code == 201, bought.json
        with app.app_context():
            wallet.charge_play(db.session.get(User, ids["fans"][1]), db.session.get(Track, ids["ferry"]), "play-2")
            make_track(release=db.session.get(Release, ids["release"]), title="Evening Ferry")
            db.session.commit()
            rollups.update()
            db.session.commit()
            on_primary = db.session.execute(
                select(ArtistDay.plays, ArtistDay.buy_nows).where(ArtistDay.artist_id == ids["artist"])
            ).one()
            assert tuple(on_primary) == (2, 1)
            # The replica engine refuses writes, whatever the server it points at.
            with pytest.raises(InternalError, match="read-only"):
                replica_session().execute(text("CREATE TABLE replica_probe (i int)"))
            replica_session().rollback()
            db.session.remove()

        # The wallet (money: always the primary) shows the purchase and the play at once.
        wallet_now = client.get(wallet_url, headers=fan_headers).json["balance"]["micro"]
        assert wallet_now == wallet_before - bought.json["purchase"]["price"]["micro"] - 2_000  # + one first play

        totals, books, titles = read_pages()  # the frozen replica: none of the new writes
        assert totals["plays"] == 1 and totals["buy_nows"] == 0
        assert books["plays"] == 1 and books["money"]["credits_spent_on_buy_now"]["micro"] == 0
        assert titles == ["Morning Ferry"]
    finally:
        cluster.resume_replay()

    cluster.wait_for_replay()
    totals, books, titles = read_pages()
    assert totals["plays"] == 2 and totals["buy_nows"] == 1
    assert books["plays"] == 2 and books["money"]["credits_spent_on_buy_now"]["micro"] > 0
    assert sorted(titles) == ["Evening Ferry", "Morning Ferry"]

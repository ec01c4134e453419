"""play starts in one function: ``streaming_start`` replaces ``streaming_start_guard``

The whole start (the listener's lock, the track, the open plays, the Idempotency-Key's play,
the ledger's quote, the refusal, the idle play closed to make room, the insert) runs as one
PL/pgSQL function, called by a short statement that finds the caller: each of its queries
has a small cached plan, and a refused start stops before the writes (see
``app.streaming.models.start_function_statements``, of which ``START`` is a frozen copy).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 06:10:00

"""

import importlib.util
from pathlib import Path

from alembic import op


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# A frozen copy of app.streaming.models.start_function_statements() at this revision.
START = [
    (
        'CREATE OR REPLACE FUNCTION streaming_start(\n'
        '  p_listener integer, p_role text, p_track integer, p_key text, p_now timestamptz, p_today date,\n'
        '  p_play_id text, p_max_open integer, p_grace_seconds integer, p_end_tolerance_ms integer,\n'
        '  p_margin_ms integer, p_idle_before timestamptz)\n'
        'RETURNS TABLE(id integer,\n'
        '  refusal text,\n'
        '  costs_nothing text,\n'
        '  open_plays integer,\n'
        '  length_ms integer,\n'
        '  stream_mp3_key text,\n'
        '  stream_opus_key text,\n'
        '  gain_db double precision,\n'
        '  has_waveform boolean,\n'
        '  replay_id text,\n'
        '  replay_started_at timestamptz,\n'
        '  replay_expires_at timestamptz,\n'
        '  replay_count_after_ms integer,\n'
        '  pricing_version_id integer,\n'
        '  count_after_seconds integer,\n'
        '  plays_to_own integer,\n'
        '  plays_counted integer,\n'
        '  owned boolean,\n'
        '  balance bigint,\n'
        '  next_price numeric,\n'
        '  credits_to_own numeric,\n'
        '  expires_at timestamptz,\n'
        '  count_after_ms integer,\n'
        '  metered_until_ms integer,\n'
        '  evicted text)\n'
        'LANGUAGE plpgsql VOLATILE AS $$\n'
        '#variable_conflict use_column\n'
        'DECLARE\n'
        '  v_track record;\n'
        '  v_quote record;\n'
        '  v_replay_track integer;\n'
        '  v_owned boolean;\n'
        '  v_idle text;\n'
        'BEGIN\n'
        '  PERFORM pg_advisory_xact_lock(1349280121, p_listener);\n'
        '  SELECT t.id, t.status, t.free, r.artist_id, ta.stream_mp3_key, ta.stream_opus_key, ta.gain_db,\n'
        '         ta.peaks IS NOT NULL AS has_waveform,\n'
        '         coalesce(nullif(t.duration_ms, 0), ta.source_duration_ms, 0) AS length_ms,\n'
        '         m.user_id IS NOT NULL AS is_artist,\n'
        '         -- a draft, unreleased or removed track: only its managers, admins and (below) its\n'
        "         -- owners may play it (the catalog's visibility rule)\n"
        "         ((t.removed_at IS NULL AND r.published_at IS NOT NULL AND (r.release_date IS NULL OR r.release_date <= p_today)) OR p_role = 'admin') AS may_see,\n"
        '         -- hidden by a moderator: only owners (not after a takedown) and admins\n'
        '         (t.hidden_at IS NOT NULL OR r.hidden_at IS NOT NULL) AS hidden, ((t.hidden_at IS NOT NULL AND t.hidden_takedown) OR (r.hidden_at IS NOT NULL AND r.hidden_takedown)) AS takedown\n'
        '    INTO v_track\n'
        '    FROM tracks t\n'
        '    JOIN releases r ON r.id = t.release_id\n'
        '    LEFT JOIN track_audio ta ON ta.track_id = t.id\n'
        '    LEFT JOIN artist_members m ON m.user_id = p_listener AND m.artist_id = r.artist_id\n'
        '   WHERE t.id = p_track;\n'
        '  IF NOT FOUND THEN\n'
        "    refusal := 'not_found';\n"
        '    RETURN NEXT;\n'
        '    RETURN;\n'
        '  END IF;\n'
        '  id := v_track.id;\n'
        '  length_ms := v_track.length_ms;\n'
        '  stream_mp3_key := v_track.stream_mp3_key;\n'
        '  stream_opus_key := v_track.stream_opus_key;\n'
        '  gain_db := v_track.gain_db;\n'
        '  has_waveform := v_track.has_waveform;\n'
        '\n'
        '  SELECT count(*) INTO open_plays FROM plays p\n'
        '   WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now;\n'
        '  IF open_plays >= p_max_open THEN  -- at the limit, the idlest play makes room\n'
        '    SELECT p.id INTO v_idle FROM plays p\n'
        '     WHERE p.listener_id = p_listener AND p.ended_at IS NULL AND p.expires_at > p_now\n'
        '       AND p.reported_at < p_idle_before\n'
        '     ORDER BY p.reported_at, p.id LIMIT 1;\n'
        '  END IF;\n'
        '  IF p_key IS NOT NULL THEN\n'
        '    SELECT k.id, k.track_id, k.started_at, k.expires_at, k.count_after_ms\n'
        '      INTO replay_id, v_replay_track, replay_started_at, replay_expires_at, replay_count_after_ms\n'
        '      FROM plays k WHERE k.listener_id = p_listener AND k.start_key = p_key;\n'
        '  END IF;\n'
        '\n'
        '  SELECT * INTO v_quote FROM ledger_play_quote(p_listener, p_track, p_now);\n'
        '  pricing_version_id := v_quote.pricing_version_id;\n'
        '  count_after_seconds := v_quote.count_after_seconds;\n'
        '  plays_to_own := v_quote.plays_to_own;\n'
        '  plays_counted := v_quote.plays_counted;\n'
        '  owned := v_quote.owned;\n'
        '  balance := v_quote.balance;\n'
        '  next_price := v_quote.next_price;\n'
        '  credits_to_own := v_quote.credits_to_own;\n'
        '  v_owned := coalesce(v_quote.owned, false);\n'
        '\n'
        '  refusal := CASE\n'
        "    WHEN replay_id IS NOT NULL AND v_replay_track <> p_track THEN 'key_reused'\n"
        "    WHEN replay_id IS NOT NULL THEN 'replay'\n"
        "    WHEN v_track.status <> 'ready' OR NOT (v_track.may_see OR v_track.is_artist OR v_owned) THEN 'not_found'\n"
        "    WHEN v_track.hidden AND p_role <> 'admin' AND (v_track.takedown OR NOT (v_track.is_artist OR v_owned))\n"
        "      THEN CASE WHEN v_track.is_artist OR v_owned THEN 'taken_down' ELSE 'not_found' END\n"
        "    WHEN coalesce(v_track.stream_mp3_key, '') = '' THEN 'no_stream'\n"
        "    WHEN open_plays - (v_idle IS NOT NULL)::integer >= p_max_open THEN 'too_many_open_plays'\n"
        "    WHEN v_quote.pricing_version_id IS NULL THEN 'no_pricing'\n"
        '    WHEN NOT (v_track.is_artist OR v_owned OR v_track.free) AND v_quote.balance < v_quote.next_price\n'
        "      THEN 'payment_required'\n"
        '  END;\n'
        "  costs_nothing := CASE WHEN v_track.is_artist THEN 'own_artist' WHEN v_owned THEN 'owned'\n"
        "                        WHEN v_track.free THEN 'free' END;\n"
        '  IF refusal IS NOT NULL THEN\n'
        '    RETURN NEXT;\n'
        '    RETURN;\n'
        '  END IF;\n'
        '\n'
        '  IF v_idle IS NOT NULL THEN\n'
        '    UPDATE plays SET ended_at = p_now WHERE plays.id = v_idle AND plays.ended_at IS NULL\n'
        '    RETURNING plays.id INTO evicted;\n'
        '  END IF;\n'
        "  -- a track shorter than count-after counts at its end (a little before: the player's last\n"
        '  -- report lands just short of the exact duration)\n'
        '  count_after_ms := least(v_quote.count_after_seconds * 1000, greatest(length_ms - p_end_tolerance_ms, 1));\n'
        "  expires_at := p_now + length_ms * interval '1 millisecond' + p_grace_seconds * interval '1 second';\n"
        '  -- a play that will cost something gets the audio up to its count point + the margin\n'
        '  metered_until_ms := CASE WHEN costs_nothing IS NULL THEN count_after_ms + p_margin_ms END;\n'
        '  INSERT INTO plays (id, listener_id, track_id, artist_id, track_free, listener_is_artist, started_at,\n'
        '                     expires_at, count_after_ms, position_ms, start_key, reported_at, metered_until_ms)\n'
        '  VALUES (p_play_id, p_listener, p_track, v_track.artist_id, v_track.free, v_track.is_artist, p_now,\n'
        '          expires_at, count_after_ms, 0, p_key, p_now, metered_until_ms);\n'
        '  RETURN NEXT;\n'
        'END $$'
    ),
]

_SIGNATURE = (
    "streaming_start(integer, text, integer, text, timestamptz, date, text, integer, integer, integer, integer, "
    "timestamptz)"
)


def upgrade():
    op.execute("DROP FUNCTION streaming_start_guard(integer, text, timestamptz, timestamptz)")
    for statement in START:
        op.execute(statement)


def downgrade():
    op.execute(f"DROP FUNCTION {_SIGNATURE}")
    spec = importlib.util.spec_from_file_location("play_starts_0016", Path(__file__).with_name("0016_play_starts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for statement in module.GUARD:
        op.execute(statement)

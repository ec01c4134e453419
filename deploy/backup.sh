#!/usr/bin/env bash
# Back up Encore: the database (pg_dump custom format) and the media (rsync for a file:// store,
# `aws s3 sync` for an s3:// one) into DEST/<UTC timestamp>/. Prints that folder.
#
#   deploy/backup.sh DEST
#
# Reads ENCORE_DATABASE_URL and ENCORE_STORAGE_URL (as the app does; /etc/encore/encore.env).
# PG_BIN: the folder of pg_dump, of the server's major version (default: the one on PATH).
set -euo pipefail
DEST=${1:?usage: backup.sh DEST}
: "${ENCORE_DATABASE_URL:?ENCORE_DATABASE_URL is not set}"
STORAGE=${ENCORE_STORAGE_URL:-file://instance/media}
PG_DUMP=${PG_BIN:+$PG_BIN/}pg_dump
# libpq reads postgresql://, not SQLAlchemy's postgresql+psycopg://
DB_URL=$(printf '%s' "$ENCORE_DATABASE_URL" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')

OUT=$DEST/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
# -Fc: compressed, restorable table by table, triggers and functions included (the ledger's
# guards come back with the data).
"$PG_DUMP" -Fc --no-owner -f "$OUT/encore.dump" "$DB_URL"
case $STORAGE in
  file://*) rsync -a "${STORAGE#file://}/" "$OUT/media/" ;;
  s3://*) aws s3 sync ${ENCORE_S3_ENDPOINT_URL:+--endpoint-url "$ENCORE_S3_ENDPOINT_URL"} \
            "$STORAGE" "$OUT/media/" --only-show-errors ;;
  *) echo "unknown ENCORE_STORAGE_URL: $STORAGE" >&2; exit 2 ;;
esac
echo "$OUT"

#!/usr/bin/env bash
# The restore drill: restore a backup made by backup.sh into an EMPTY database and a media
# folder, then check the ledger. Run it on a schedule against scratch targets: a backup that
# was never restored is not a backup.
#
#   deploy/restore_drill.sh BACKUP_DIR TARGET_DATABASE_URL TARGET_MEDIA_DIR
#
# Ends with `flask ledger verify` on the restored database (exit 1 if any invariant breaks).
# PG_BIN: the folder of pg_restore, of the server's major version. FLASK: the flask command
# (default: flask on PATH, e.g. the venv's).
set -euo pipefail
BACKUP=${1:?usage: restore_drill.sh BACKUP_DIR TARGET_DATABASE_URL TARGET_MEDIA_DIR}
TARGET=${2:?target database url}
MEDIA=${3:?target media dir}
PG_RESTORE=${PG_BIN:+$PG_BIN/}pg_restore
FLASK=${FLASK:-flask}
DB_URL=$(printf '%s' "$TARGET" | sed -E 's#^postgres(ql)?(\+[a-z0-9]+)?://#postgresql://#')

echo "restoring $BACKUP/encore.dump"
# --exit-on-error: a partial restore must not pass the drill. --single-transaction: all or none.
"$PG_RESTORE" --no-owner --exit-on-error --single-transaction -d "$DB_URL" "$BACKUP/encore.dump"
echo "restoring media into $MEDIA"
mkdir -p "$MEDIA"
rsync -a "$BACKUP/media/" "$MEDIA/"

echo "verifying the ledger"
ENCORE_DATABASE_URL=$TARGET ENCORE_STORAGE_URL=file://$MEDIA FLASK_APP=${FLASK_APP:-wsgi} \
  $FLASK ledger verify
echo "restore drill passed"

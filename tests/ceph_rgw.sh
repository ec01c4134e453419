#!/usr/bin/env bash
# A single-node Ceph recipe for the suite's `s3_server` fixture
# (tests/conftest.py), which starts and stops it; keys come from CEPH_RGW_ACCESS_KEY/SECRET_KEY.
# A throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, no mgr, auth off) with a RADOS
# Gateway: a real S3 implementation for Encore's S3 store, from Debian's packages
# (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common).
#
#   ceph_rgw.sh start DIR [RGW_PORT] [MON_PORT]   # prints the endpoint, keys and bucket
#   ceph_rgw.sh stop-rgw DIR | start-rgw DIR | pause-rgw DIR | resume-rgw DIR
#   ceph_rgw.sh stop DIR                          # stops every daemon it started (by pid file)
#
# The bucket is not created here: create it with any S3 client (boto3's create_bucket, path-style
# addressing) against the printed endpoint. The memstore OSD keeps objects in memory (3 GiB cap):
# everything is gone when it stops, which is what a test wants.
# Only processes whose pids this script wrote under DIR/run are ever signalled.
set -eu
cmd=${1:?start|stop|stop-rgw|start-rgw|pause-rgw|resume-rgw}
D=${2:?dir}
RGW_PORT=${3:-17480}
MON_PORT=${4:-16789}
CONF=$D/ceph.conf
AK=${CEPH_RGW_ACCESS_KEY:-encoretestaccess01}
SK=${CEPH_RGW_SECRET_KEY:-encoretestsecret0000000000000000000001}
BUCKET=encore-test

pidof_file() { [ -f "$D/run/$1.pid" ] && cat "$D/run/$1.pid"; }
alive() { local p; p=$(pidof_file "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_rgw() {
  radosgw -c "$CONF" -n client.rgw.a --rgw-frontends="beast endpoint=127.0.0.1:$RGW_PORT" \
    --pid-file "$D/run/rgw.pid" >>"$D/log/rgw.out" 2>&1
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && return 0
    sleep 1
  done
  echo "rgw did not answer on $RGW_PORT" >&2; return 1
}

case $cmd in
start)
  mkdir -p "$D"/{mon,osd0,run,log,rgw}
  FSID=$(python3 -c 'import uuid;print(uuid.uuid4())')
  cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 2000
osd crush chooseleaf type = 0
osd class update on start = false
osd crush update on start = false
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
mon data = $D/mon/\$name
osd data = $D/osd0
osd objectstore = memstore
memstore device bytes = 3221225472
osd memory target = 939524096
rgw data = $D/rgw
[client.rgw.a]
rgw dns name = localhost
EOF
  monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" >>"$D/log/setup.out" 2>&1
  ceph-mon -c "$CONF" -i a --pid-file "$D/run/mon.pid" >>"$D/log/mon.out" 2>&1
  sleep 2
  OSD_UUID=$(python3 -c 'import uuid;print(uuid.uuid4())')
  ceph -c "$CONF" osd create "$OSD_UUID" >/dev/null
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$D/log/setup.out" 2>&1
  ceph -c "$CONF" osd crush add-bucket localhost host >/dev/null 2>&1
  ceph -c "$CONF" osd crush move localhost root=default >/dev/null 2>&1
  ceph -c "$CONF" osd crush add osd.0 1.0 host=localhost >/dev/null 2>&1
  ceph-osd -c "$CONF" -i 0 --pid-file "$D/run/osd.pid" >>"$D/log/osd.out" 2>&1
  for _ in $(seq 1 60); do
    ceph -c "$CONF" osd stat 2>/dev/null | grep -q "1 up" && break; sleep 1
  done
  start_rgw
  radosgw-admin -c "$CONF" user create --uid=encore --display-name=encore --access-key=$AK --secret=$SK >/dev/null
  echo "endpoint=http://127.0.0.1:$RGW_PORT access_key=$AK secret_key=$SK bucket=$BUCKET"
  ;;
stop-rgw) p=$(pidof_file rgw) && kill "$p" && while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; echo stopped ;;
pause-rgw) kill -STOP "$(pidof_file rgw)"; echo paused ;;
resume-rgw) kill -CONT "$(pidof_file rgw)"; echo resumed ;;
start-rgw) start_rgw; echo started ;;
stop)
  for n in rgw osd mon; do
    p=$(pidof_file $n) || continue
    kill -CONT "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
  done
  echo stopped all
  ;;
esac

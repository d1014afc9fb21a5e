#!/bin/sh
# deploy.sh ENV TAG: the test service's deploy. Installs this checkout under $DATA_DIR/release
# and (re)starts its app.py on $PORT in the background, its output in $DATA_DIR/app.log.
set -e
env="$1"; tag="$2"
echo "deploy.sh: $tag to $env on port $PORT, data in $DATA_DIR"
if [ -f HANG ]; then
    mkdir -p "$DATA_DIR"
    sleep 600 &
    echo $! >"$DATA_DIR/hang.pid"
    echo "deploy.sh: hanging"
    sleep 600
fi
if [ -f FAIL ]; then echo "deploy.sh: failing on purpose" >&2; exit 3; fi
mkdir -p "$DATA_DIR"
if [ -f "$DATA_DIR/app.pid" ]; then
    kill "$(cat "$DATA_DIR/app.pid")" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$(cat "$DATA_DIR/app.pid")" 2>/dev/null || break; sleep 0.1; done
fi
rm -rf "$DATA_DIR/release"
mkdir -p "$DATA_DIR/release"
cp app.py "$DATA_DIR/release/"
[ ! -f BROKEN ] || cp BROKEN "$DATA_DIR/release/"
# the service runs from its release directory: the checkout deploy.sh runs in is removed after it
cd "$DATA_DIR/release"
nohup python3 app.py >"$DATA_DIR/app.log" 2>&1 &
echo $! >"$DATA_DIR/app.pid"
echo "deploy.sh: started $!"

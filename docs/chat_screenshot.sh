#!/usr/bin/env bash
# Takes docs/chat.png: two browser pages of examples/chat.rs (headless
# Chromium, side by side in one window) and a terminal user (a TCP client
# standing in for nc) exchanging messages. Not run by CI; needs chromium
# (Debian: apt-get install chromium) and python3. Usage: docs/chat_screenshot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example chat
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

target=${CARGO_TARGET_DIR:-target}
"$target/release/examples/chat" 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1://p' "$work/out")

# The terminal user: joins first, speaks once both browsers have.
python3 - "$port" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(0.3)
s.sendall(b"dave_nc\n")
time.sleep(2.5)
s.sendall(b"hello browsers, this is nc\n")
time.sleep(10)
PY
pids+=($!)

# The page's load event, and so the screenshot, waits for a reply that a
# tiny server holds back for 5 s: time for the pages to talk.
python3 - <<'PY' &
import http.server, time
class Hold(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(5)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", 18555), Hold).serve_forever()
PY
pids+=($!)
sleep 0.5

page="http://127.0.0.1:$port/"
cat >"$work/two.html" <<HTML
<!doctype html><body style="margin:0;display:flex;gap:6px;background:#889;height:100vh">
<iframe src="$page?nick=ann&amp;say=hello%20from%20ann's%20browser" style="flex:1;border:0"></iframe>
<iframe src="$page?nick=bob&amp;say=hi%20ann,%20bob%20here" style="flex:1;border:0"></iframe>
<img src="http://127.0.0.1:18555/hold" style="display:none"></body>
HTML
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=900,330 --screenshot="$PWD/docs/chat.png" "file://$work/two.html"

#!/bin/sh
# make run: start the demo gateway on 127.0.0.1:8080 in the foreground.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$build/gw-serve" --check -c examples/gw.json
cat <<MSG
gw-serve: demo configuration examples/gw.json on http://127.0.0.1:8080
Try, from another terminal:
  curl -i http://127.0.0.1:8080/hello
  curl -i http://127.0.0.1:8080/api/items          (proxied to /backend/items)
  curl -i http://127.0.0.1:8080/api/items/42
  curl -i http://127.0.0.1:8080/nowhere            (a 404 problem+json)
  curl -i -X DELETE http://127.0.0.1:8080/hello    (a 405 problem+json)
The access log (one JSON object per request) follows on this terminal.
Ctrl-C stops the gateway; kill -HUP reloads examples/gw.json.
MSG
exec "$build/gw-serve" -c examples/gw.json

#!/usr/bin/env bash
# Lighthouse (mobile) on the login page and the officer's patrol pages, served by gunicorn with
# the demo data.  Installs the pinned Lighthouse into bench/out/ (git-ignored) the first time.
#     bash bench/lighthouse.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/lighthouse
mkdir -p "$OUT"
[ -x bench/out/node_modules/.bin/lighthouse ] || \
  npm install --silent --no-audit --no-fund --prefix bench/out lighthouse@12.2.3
PORT=5091
DB="$OUT/lh.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
export FIELDAPP_DATABASE="$PWD/$DB" FIELDAPP_SECRET_KEY=lighthouse-only
.venv/bin/flask --app fieldapp init-db >/dev/null
.venv/bin/flask --app fieldapp demo >/dev/null
.venv/bin/gunicorn --no-control-socket --workers 2 --bind 127.0.0.1:$PORT "fieldapp:create_app()" \
  >"$OUT/gunicorn.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 2
# A logged-in officer's session cookie for the pages behind login.
COOKIE=$(.venv/bin/python - "$PORT" <<'PY'
import http.cookiejar, re, sys, urllib.parse, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
token = re.search(r'name="csrf_token" value="([^"]+)"', opener.open(base + "/login").read().decode()).group(1)
opener.open(base + "/login", data=urllib.parse.urlencode({"csrf_token": token,
            "email": "officer@demo.test", "password": "fieldapp-demo-2026"}).encode()).read()
print("; ".join(f"{c.name}={c.value}" for c in jar))
PY
)
FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --disable-quic"
for page in /login /contacts/new /directory/ "/directory/?q=shelter" /referrals/; do
  name=$(echo "$page" | tr -c 'a-z0-9' '_')
  headers='{}'
  [ "$page" = /login ] || headers="{\"Cookie\": \"$COOKIE\"}"
  CHROME_PATH=/usr/bin/chromium bench/out/node_modules/.bin/lighthouse "http://127.0.0.1:$PORT$page" \
    --quiet --output=json --output-path="$OUT/$name.json" --only-categories=performance,accessibility \
    --form-factor=mobile --chrome-flags="$FLAGS" --extra-headers="$headers" --disable-full-page-screenshot \
    || echo "lighthouse failed on $page"
  .venv/bin/python -c "
import json, sys
r = json.load(open('$OUT/$name.json'))
c = r['categories']
a = r['audits']
print(f\"$page: performance {round(c['performance']['score']*100)}, accessibility {round(c['accessibility']['score']*100)}, \"
      f\"LCP {a['largest-contentful-paint']['displayValue']}, TBT {a['total-blocking-time']['displayValue']}, CLS {a['cumulative-layout-shift']['displayValue']}\")"
done

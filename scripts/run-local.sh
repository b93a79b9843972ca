#!/usr/bin/env bash
# Set up and run shopsync on its embedded defaults: its own redis-server,
# the local TikTok Shop sandbox, and the sample catalog from examples/.
# Prints the admin page URL and sign-in token. Ctrl-C stops everything.
#
# Every setting it uses is written to var/local.env, so that
#   build/shopsync --env-file var/local.env status
# (or any other command) reaches this instance. A second run while the first
# is up says so and changes nothing; the sample catalog is imported on the
# first run only.
#
#   SHOPSYNC_PORT, SANDBOX_PORT   ports (8080, 9090)
#   SHOPSYNC_LOCAL_DIR            where var/ lives (default ./var)
#   SHOPSYNC_SKIP_SETUP=1         do not install or build (already done)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

local_dir=${SHOPSYNC_LOCAL_DIR:-var}
mkdir -p "$local_dir"
local_dir=$(cd "$local_dir" && pwd)
env_file=$local_dir/local.env
pid_file=$local_dir/run-local.pid

# One instance per folder: a second run must not re-import the catalog
# (live stock would be reset) nor truncate the running one's logs.
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "shopsync is already running from this folder (run-local.sh pid $(cat "$pid_file"))." >&2
  [ -f "$env_file" ] && grep -E '^(SHOPSYNC_PUBLIC_URL|SANDBOX_URL)=' "$env_file" | sed 's/^/  /' >&2
  echo "Nothing was changed. Stop it with Ctrl-C in its terminal, or: kill $(cat "$pid_file")" >&2
  exit 1
fi

[ "${SHOPSYNC_SKIP_SETUP:-0}" = 1 ] || scripts/setup.sh

# Settings: what the environment says, else what the last run wrote, else
# the defaults. Secrets are generated once and kept.
user_public=${SHOPSYNC_PUBLIC_URL:-}
if [ -f "$env_file" ]; then
  while IFS='=' read -r k v; do
    case "$k" in ''|\#*) continue ;; esac
    [ -n "${!k+x}" ] || export "$k=$v"
  done < "$env_file"
fi
port=${SHOPSYNC_PORT:-8080}
sandbox_port=${SANDBOX_PORT:-9090}
sandbox=http://127.0.0.1:$sandbox_port
: "${SHOPSYNC_ADMIN_TOKEN:=$(openssl rand -hex 16)}"
: "${SHOPSYNC_SECRET_KEY:=$(openssl rand -hex 32)}"
: "${STRIPE_WEBHOOK_SECRET:=whsec_$(openssl rand -hex 16)}"
# A port given on this run wins over the last run's listen address.
if [ -n "${SHOPSYNC_PORT:-}" ] || [ -z "${SHOPSYNC_LISTEN:-}" ]; then
  SHOPSYNC_LISTEN=127.0.0.1:$port
  SHOPSYNC_PUBLIC_URL=${user_public:-http://localhost:$port}
fi
if [ -n "${SANDBOX_PORT:-}" ] || [ -z "${SANDBOX_URL:-}" ]; then
  SANDBOX_URL=$sandbox
  TIKTOK_SHOP_AUTHORIZE_URL=$sandbox/open/authorize
  TIKTOK_SHOP_AUTH_BASE=$sandbox
  TIKTOK_SHOP_API_BASE=$sandbox
  STRIPE_API_BASE=$sandbox/stripe
fi
sandbox=$SANDBOX_URL
# Runs before the data directory became the default one kept theirs in
# var/data: keep using it rather than start from an empty store.
if [ -z "${SHOPSYNC_DATA_DIR:-}" ] && [ -d "$local_dir/data/appendonlydir" ]; then
  SHOPSYNC_DATA_DIR=$local_dir/data
fi
settings=(
  SHOPSYNC_ADMIN_TOKEN="$SHOPSYNC_ADMIN_TOKEN"
  SHOPSYNC_SECRET_KEY="$SHOPSYNC_SECRET_KEY"
  STRIPE_WEBHOOK_SECRET="$STRIPE_WEBHOOK_SECRET"
  SHOPSYNC_LISTEN="$SHOPSYNC_LISTEN"
  SHOPSYNC_PUBLIC_URL="$SHOPSYNC_PUBLIC_URL"
  SHOPSYNC_DATA_DIR="${SHOPSYNC_DATA_DIR:-$local_dir}"
  SHOPSYNC_WEB_DIR="${SHOPSYNC_WEB_DIR:-$root/web}"
  SANDBOX_URL="$SANDBOX_URL"
  TIKTOK_SHOP_APP_KEY="${TIKTOK_SHOP_APP_KEY:-sandbox_app_key}"
  TIKTOK_SHOP_APP_SECRET="${TIKTOK_SHOP_APP_SECRET:-sandbox_app_secret}"
  TIKTOK_SHOP_SERVICE_ID="${TIKTOK_SHOP_SERVICE_ID:-7100000000000000001}"
  TIKTOK_SHOP_AUTHORIZE_URL="$TIKTOK_SHOP_AUTHORIZE_URL"
  TIKTOK_SHOP_AUTH_BASE="$TIKTOK_SHOP_AUTH_BASE"
  TIKTOK_SHOP_API_BASE="$TIKTOK_SHOP_API_BASE"
  TIKTOK_SHOP_CATEGORY_ID="${TIKTOK_SHOP_CATEGORY_ID:-600001}"
  STRIPE_API_BASE="$STRIPE_API_BASE"
  STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_sandbox}"
  TIKTOK_APP_ID="${TIKTOK_APP_ID:-7400000000000000001}"
  TIKTOK_APP_SECRET="${TIKTOK_APP_SECRET:-sandbox-ads-app-secret}"
  TIKTOK_ADS_AUTHORIZE_URL="${TIKTOK_ADS_AUTHORIZE_URL:-$sandbox/portal/auth}"
  TIKTOK_ADS_API_BASE="${TIKTOK_ADS_API_BASE:-$sandbox}"
)
(
  umask 077
  {
    echo "# Written by scripts/run-local.sh: every setting of the local instance."
    echo "# build/shopsync --env-file $env_file <command> reaches it."
    printf '%s\n' "${settings[@]}"
  } > "$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
)
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a

echo $$ > "$pid_file"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$pid_file"
}
trap cleanup EXIT INT TERM

SANDBOX_LISTEN=${SANDBOX_URL#http://} \
SANDBOX_APP_KEY=$TIKTOK_SHOP_APP_KEY SANDBOX_APP_SECRET=$TIKTOK_SHOP_APP_SECRET \
SANDBOX_SERVICE_ID=$TIKTOK_SHOP_SERVICE_ID \
SANDBOX_REDIRECT_URI=$SHOPSYNC_PUBLIC_URL/api/admin/tiktok/callback \
SANDBOX_WEBHOOK_URL=http://$SHOPSYNC_LISTEN/api/tiktok/webhook \
SANDBOX_STRIPE_WEBHOOK_URL=http://$SHOPSYNC_LISTEN/api/stripe/webhook \
SANDBOX_STRIPE_WEBHOOK_SECRET=$STRIPE_WEBHOOK_SECRET \
SANDBOX_ADS_APP_ID=$TIKTOK_APP_ID SANDBOX_ADS_APP_SECRET=$TIKTOK_APP_SECRET \
SANDBOX_ORDER_HISTORY_DAYS=${SANDBOX_ORDER_HISTORY_DAYS:-90} \
  build/shopsync-sandbox 2>>"$local_dir/sandbox.log" &
pids+=($!)

build/shopsync serve 2>>"$local_dir/shopsync.log" &
pids+=($!)

for _ in $(seq 100); do
  curl -fsS "http://$SHOPSYNC_LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://$SHOPSYNC_LISTEN/readyz" >/dev/null || {
  echo "shopsync did not start; see $local_dir/shopsync.log" >&2
  exit 1
}

# The sample catalog goes in once: later runs keep the store's live stock.
imported=$local_dir/catalog-imported
if [ ! -f "$imported" ]; then
  sed "s#http://localhost:8080#$SHOPSYNC_PUBLIC_URL#g" examples/catalog.json |
    curl -fsS -X POST "http://$SHOPSYNC_LISTEN/api/admin/products/import" \
      -H "Authorization: Bearer $SHOPSYNC_ADMIN_TOKEN" -H 'Content-Type: application/json' \
      --data-binary @- >/dev/null
  date -u +%FT%TZ > "$imported"
  catalog="with the sample catalog"
else
  catalog="with the catalog and stock of the last run"
fi

cat <<MSG

shopsync is running on its embedded defaults $catalog.

  Admin page:   $SHOPSYNC_PUBLIC_URL/admin/tiktok-shop
  Admin token:  $SHOPSYNC_ADMIN_TOKEN
  TikTok Shop sandbox (buy on TikTok or the website, cancel, faults): $sandbox/

Sign in with the token, click "Connect TikTok Shop", approve in the sandbox,
then "Sync All Products". The command line reaches this instance with:
  build/shopsync --env-file $env_file status
Logs: $local_dir/shopsync.log, $local_dir/sandbox.log. Press Ctrl-C to stop.
MSG
wait

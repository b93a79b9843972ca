#!/usr/bin/env bash
# Set up and run shopsync on its embedded defaults: its own redis-server,
# the local TikTok Shop sandbox, and the sample catalog from examples/.
# Prints the admin page URL and sign-in token. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

mkdir -p var
env_file=var/local.env
if [ ! -f "$env_file" ]; then
  umask 077
  {
    echo "SHOPSYNC_ADMIN_TOKEN=$(openssl rand -hex 16)"
    echo "SHOPSYNC_SECRET_KEY=$(openssl rand -hex 32)"
    echo "STRIPE_WEBHOOK_SECRET=whsec_$(openssl rand -hex 16)"
  } > "$env_file"
fi
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a

port=${SHOPSYNC_PORT:-8080}
sandbox_port=${SANDBOX_PORT:-9090}
public=${SHOPSYNC_PUBLIC_URL:-http://localhost:$port}
sandbox=http://127.0.0.1:$sandbox_port

export SHOPSYNC_LISTEN=${SHOPSYNC_LISTEN:-127.0.0.1:$port}
export SHOPSYNC_PUBLIC_URL=$public
export SHOPSYNC_DATA_DIR=${SHOPSYNC_DATA_DIR:-$PWD/var/data}
export SHOPSYNC_WEB_DIR=${SHOPSYNC_WEB_DIR:-$PWD/web}
export TIKTOK_SHOP_APP_KEY=${TIKTOK_SHOP_APP_KEY:-sandbox_app_key}
export TIKTOK_SHOP_APP_SECRET=${TIKTOK_SHOP_APP_SECRET:-sandbox_app_secret}
export TIKTOK_SHOP_SERVICE_ID=${TIKTOK_SHOP_SERVICE_ID:-7100000000000000001}
export TIKTOK_SHOP_AUTHORIZE_URL=${TIKTOK_SHOP_AUTHORIZE_URL:-$sandbox/open/authorize}
export TIKTOK_SHOP_AUTH_BASE=${TIKTOK_SHOP_AUTH_BASE:-$sandbox}
export TIKTOK_SHOP_API_BASE=${TIKTOK_SHOP_API_BASE:-$sandbox}
export TIKTOK_SHOP_CATEGORY_ID=${TIKTOK_SHOP_CATEGORY_ID:-600001}
export STRIPE_API_BASE=${STRIPE_API_BASE:-$sandbox/stripe}
export STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY:-sk_test_sandbox}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

SANDBOX_LISTEN=127.0.0.1:$sandbox_port \
SANDBOX_APP_KEY=$TIKTOK_SHOP_APP_KEY SANDBOX_APP_SECRET=$TIKTOK_SHOP_APP_SECRET \
SANDBOX_SERVICE_ID=$TIKTOK_SHOP_SERVICE_ID \
SANDBOX_REDIRECT_URI=$public/api/admin/tiktok/callback \
SANDBOX_WEBHOOK_URL=http://$SHOPSYNC_LISTEN/api/tiktok/webhook \
SANDBOX_STRIPE_WEBHOOK_URL=http://$SHOPSYNC_LISTEN/api/stripe/webhook \
SANDBOX_STRIPE_WEBHOOK_SECRET=$STRIPE_WEBHOOK_SECRET \
  build/shopsync-sandbox 2>var/sandbox.log &
pids+=($!)

build/shopsync serve 2>>var/shopsync.log &
pids+=($!)

for _ in $(seq 100); do
  curl -fsS "http://$SHOPSYNC_LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://$SHOPSYNC_LISTEN/readyz" >/dev/null || { echo "shopsync did not start; see var/shopsync.log" >&2; exit 1; }

sed "s#http://localhost:8080#$public#g" examples/catalog.json |
  curl -fsS -X POST "http://$SHOPSYNC_LISTEN/api/admin/products/import" \
    -H "Authorization: Bearer $SHOPSYNC_ADMIN_TOKEN" -H 'Content-Type: application/json' --data-binary @- >/dev/null

cat <<MSG

shopsync is running on its embedded defaults with the sample catalog.

  Admin page:   $public/admin/tiktok-shop
  Admin token:  $SHOPSYNC_ADMIN_TOKEN
  TikTok Shop sandbox (buy, cancel, faults): $sandbox/

Sign in with the token, click "Connect TikTok Shop", approve in the sandbox,
then "Sync All Products". Logs: var/shopsync.log, var/sandbox.log.
Press Ctrl-C to stop.
MSG
wait

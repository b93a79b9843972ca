/*
 * auth — the seller-facing authorize page (Approve / Deny) and the OAuth
 * token endpoints /api/v2/token/get and /api/v2/token/refresh.
 */
#include <string.h>

#include "sandbox.h"
#include "shopsync/httpx.h"
#include "store.h"

#define PAGE_MAX (64 * 1024)

static const char *const scopes[] = {"seller.authorization.info", "seller.shop.info",
                                     "seller.product.basic", "seller.product.write",
                                     "seller.inventory.write", "seller.order.info",
                                     "seller.logistics", NULL};

/* A hidden-field form with one button; all strings borrowed. */
static int decision_form(buf_t *b, const char *service_id, const char *state,
                         const char *decision, const char *label)
{
    return buf_appends(b, "<form method=\"post\" action=\"/open/authorize\">") ||
           sb_html_hidden(b, "service_id", service_id) || sb_html_hidden(b, "state", state) ||
           buf_appendf(b, "<input type=\"hidden\" name=\"decision\" value=\"%s\">"
                          "<button type=\"submit\" id=\"%s\" name=\"%s\">%s</button></form>",
                       decision, decision, decision, label);
}

int sb_auth_page(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    const char *service_id = sb_params_get(&r->query, "service_id");
    const char *state = sb_params_get(&r->query, "state");
    buf_t b;

    if (!service_id || strcmp(service_id, cfg->service_id) != 0)
        return sb_error_page(r, 400, service_id ? "Unknown service_id: this app is not registered."
                                                 : "service_id is required.");
    if (!state)
        state = "";
    buf_init(&b, PAGE_MAX);
    int rc = buf_appends(&b, "<!doctype html><html><head><meta charset=\"utf-8\">"
                             "<title>Authorize app - TikTok Shop sandbox</title>"
                             "<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}"
                             "form{display:inline-block;margin-right:1em}button{font-size:1.1em;"
                             "padding:.4em 1.2em}</style></head><body>"
                             "<h1>Authorize shopsync</h1><p>The app <b id=\"app\">shopsync</b> "
                             "(app_key <code>") ||
             sb_html_escape(&b, cfg->app_key) ||
             buf_appends(&b, "</code>, service ") || sb_html_escape(&b, cfg->service_id) ||
             buf_appendf(&b, ") asks to manage the shop <b id=\"shop\">%s</b> (%s, US).</p>"
                             "<p>It will be allowed to:</p><ul>",
                         SB_SHOP_NAME, SB_SHOP_ID);
    for (int i = 0; rc == 0 && scopes[i]; i++)
        rc = buf_appendf(&b, "<li>%s</li>", scopes[i]);
    rc = rc || buf_appends(&b, "</ul>") ||
         decision_form(&b, service_id, state, "approve", "Approve") ||
         decision_form(&b, service_id, state, "deny", "Deny") || buf_appends(&b, "</body></html>");
    int st = rc == 0 ? sb_reply_html(r, 200, &b) : sb_error_page(r, 400, "state is too long.");
    buf_free(&b);
    return st;
}

int sb_auth_decide(sb_req_t *r)
{
    const sb_config_t *cfg = r->app->cfg;
    char err[256];
    json_t *form = NULL;
    buf_t loc;
    int st;

    buf_init(&loc, 8192);
    if (sb_req_object(r, &form, err, sizeof(err)) != 0) {
        st = sb_error_page(r, 400, err);
        goto out;
    }
    const char *service_id = json_string_value(json_object_get(form, "service_id"));
    const char *state = json_string_value(json_object_get(form, "state"));
    const char *decision = json_string_value(json_object_get(form, "decision"));
    if (!service_id || strcmp(service_id, cfg->service_id) != 0) {
        st = sb_error_page(r, 400, "Unknown or missing service_id.");
        goto out;
    }
    int approve = decision && strcmp(decision, "approve") == 0;
    if (!approve && !(decision && strcmp(decision, "deny") == 0)) {
        st = sb_error_page(r, 400, "decision must be approve or deny.");
        goto out;
    }
    int rc = buf_appendf(&loc, "%s%c", cfg->redirect_uri,
                         strchr(cfg->redirect_uri, '?') ? '&' : '?');
    if (approve) {
        char code[SB_TOKEN_LEN];
        sb_store_lock(r->app->store);
        sb_store_code_issue(r->app->store, code);
        sb_store_unlock(r->app->store);
        rc = rc || buf_appends(&loc, "code=") || httpx_urlencode(&loc, code);
    } else {
        rc = rc || buf_appends(&loc, "error=auth_denied&error_description=") ||
             httpx_urlencode(&loc, "The seller denied the authorization");
    }
    rc = rc || buf_appends(&loc, "&state=") || httpx_urlencode(&loc, state ? state : "");
    if (rc != 0) {
        st = sb_error_page(r, 400, "state is too long.");
        goto out;
    }
    httpx_redirect(r->conn, loc.data);
    st = 302;
out:
    json_decref(form);
    buf_free(&loc);
    return st;
}

/* Check app_key/app_secret and grant_type of a token call. */
static int check_app(sb_req_t *r, const char *grant_type)
{
    const sb_config_t *cfg = r->app->cfg;
    const char *key = sb_params_get(&r->query, "app_key");
    const char *secret = sb_params_get(&r->query, "app_secret");
    const char *gt = sb_params_get(&r->query, "grant_type");
    if (!key || !secret || !sb_str_equal(key, cfg->app_key) ||
        !sb_str_equal(secret, cfg->app_secret))
        return sb_api_fail(r, 200, SB_E_APP_CREDS, "invalid app_key or app_secret");
    if (!gt || strcmp(gt, grant_type) != 0)
        return sb_api_fail(r, 200, SB_E_GRANT_TYPE, "grant_type must be %s", grant_type);
    return 0;
}

static json_t *grant_json(const sb_store_t *s, const sb_grant_t *g)
{
    json_t *sc = json_array();
    for (int i = 0; sc && scopes[i]; i++)
        json_array_append_new(sc, json_string(scopes[i]));
    return json_pack("{s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:i,s:o}", "access_token", g->access,
                     "access_token_expire_in", (json_int_t)g->access_exp, "refresh_token",
                     g->refresh, "refresh_token_expire_in", (json_int_t)g->refresh_exp,
                     "open_id", s->open_id, "seller_name", SB_SHOP_NAME, "seller_base_region",
                     "US", "user_type", 0, "granted_scopes", sc);
}

int sb_token_get(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    int st = check_app(r, "authorized_code");
    if (st)
        return st;
    const char *code = sb_params_get(&r->query, "auth_code");
    if (!code || !*code)
        return sb_api_fail(r, 200, SB_E_AUTH_CODE, "auth_code is required");
    sb_store_lock(s);
    int rc = sb_store_code_take(s, code);
    json_t *data = rc == 0 ? grant_json(s, sb_store_grant_new(s)) : NULL;
    sb_store_unlock(s);
    if (rc == -2)
        return sb_api_fail(r, 200, SB_E_AUTH_CODE, "auth_code expired (codes live %d s)",
                           SB_CODE_TTL);
    if (rc != 0)
        return sb_api_fail(r, 200, SB_E_AUTH_CODE, "auth_code is invalid or already used");
    return sb_api_ok(r, data);
}

int sb_token_refresh(sb_req_t *r)
{
    sb_store_t *s = r->app->store;
    int st = check_app(r, "refresh_token");
    if (st)
        return st;
    const char *rt = sb_params_get(&r->query, "refresh_token");
    json_t *data = NULL;
    sb_store_lock(s);
    sb_grant_t *g = rt ? sb_store_grant_by_refresh(s, rt) : NULL;
    if (g) {
        sb_store_grant_refresh(s, g);
        data = grant_json(s, g);
    }
    sb_store_unlock(s);
    if (!g)
        return sb_api_fail(r, 200, SB_E_REFRESH, "refresh token expired or invalid");
    return sb_api_ok(r, data);
}

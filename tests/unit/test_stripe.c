/*
 * Unit tests for stripe: signature vectors from tests/vectors/stripe.json and
 * the must-fail cases, event parsing, and line-item fetching against an
 * in-process civetweb server that plays the Stripe API (pagination, the three
 * SKU sources, error classification).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <civetweb.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopsync/http_client.h"
#include "shopsync/httpx.h"
#include "shopsync/stripe.h"

#define TOL STRIPE_DEFAULT_TOLERANCE_S
#define SECRET_KEY "sk_test_51unitTESTkey"

/* ---- vectors ------------------------------------------------------------ */

static json_t *vectors;

static const json_t *vcase(size_t i)
{
    return json_array_get(json_object_get(vectors, "cases"), i);
}

static const char *vstr(const json_t *c, const char *key)
{
    const char *s = json_string_value(json_object_get(c, key));
    assert_non_null(s);
    return s;
}

static long long vt(const json_t *c)
{
    return json_integer_value(json_object_get(c, "t"));
}

static int verify(const char *header, const char *body, const char *secret, long long now)
{
    char err[256] = "";
    int rc = stripe_verify_signature(header, body, body ? strlen(body) : 0, secret, now, TOL,
                                     err, sizeof(err));
    if (rc != STRIPE_SIG_OK)
        assert_true(err[0] != '\0');
    return rc;
}

static void test_vectors_sign(void **state)
{
    (void)state;
    size_t n = json_array_size(json_object_get(vectors, "cases"));
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = vcase(i);
        const char *body = vstr(c, "body");
        char hex[65];
        assert_int_equal(stripe_sign(vstr(c, "secret"), vt(c), body, strlen(body), hex), 0);
        assert_string_equal(hex, vstr(c, "v1"));
    }
}

static void test_vectors_verify(void **state)
{
    (void)state;
    size_t n = json_array_size(json_object_get(vectors, "cases"));
    for (size_t i = 0; i < n; i++) {
        const json_t *c = vcase(i);
        assert_int_equal(verify(vstr(c, "header"), vstr(c, "body"), vstr(c, "secret"), vt(c) + 10),
                         STRIPE_SIG_OK);
    }
    /* The rotation header carries both v1 values: either secret verifies it. */
    const json_t *rot = vcase(1);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(verify(vstr(rot, "header"), vstr(rot, "body"), vstr(vcase(i), "secret"),
                                vt(rot) + 10),
                         STRIPE_SIG_OK);
}

static void test_fail_body_changed(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    char *body = strdup(vstr(c, "body"));
    assert_non_null(body);
    body[10] ^= 1;
    assert_int_equal(verify(vstr(c, "header"), body, vstr(c, "secret"), vt(c) + 10),
                     STRIPE_SIG_MISMATCH);
    free(body);
}

static void test_fail_too_old_or_future(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    const char *h = vstr(c, "header"), *b = vstr(c, "body"), *s = vstr(c, "secret");
    assert_int_equal(verify(h, b, s, vt(c) + TOL), STRIPE_SIG_OK);
    assert_int_equal(verify(h, b, s, vt(c) + TOL + 1), STRIPE_SIG_TOO_OLD);
    assert_int_equal(verify(h, b, s, vt(c) + 86400), STRIPE_SIG_TOO_OLD);
    assert_int_equal(verify(h, b, s, vt(c) - TOL), STRIPE_SIG_OK);
    assert_int_equal(verify(h, b, s, vt(c) - TOL - 1), STRIPE_SIG_TOO_OLD);
    /* A forged old request reports the forgery, as Stripe's libraries do. */
    assert_int_equal(verify(h, b, "whsec_wrong", vt(c) + 86400), STRIPE_SIG_MISMATCH);
}

static void test_fail_only_v0(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    char h[256];
    snprintf(h, sizeof(h), "t=%lld,v0=%s", vt(c), vstr(c, "v1"));
    assert_int_equal(verify(h, vstr(c, "body"), vstr(c, "secret"), vt(c) + 10),
                     STRIPE_SIG_MALFORMED);
}

static void test_fail_pair_without_eq_and_bad_t(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    const char *b = vstr(c, "body"), *s = vstr(c, "secret"), *v1 = vstr(c, "v1");
    const char *fmts[] = {
        "t=1700000000,v1=%s,garbage", /* a pair without '=' */
        "t=1700000000,v1%s",          /* a pair without '=' */
        "t=17000000x0,v1=%s",         /* non-numeric t */
        "t=,v1=%s",                   /* empty t */
        "t=-1700000000,v1=%s",        /* signed t */
        "v1=%s",                      /* no t */
        "t=1700000000,v1=%s,",        /* empty trailing pair */
        "t=1700000000,,v1=%s",        /* empty pair */
        "t=1700000000,v1=%s=",        /* two '=' in a pair */
        "t=1700000000,t=1700000000,v1=%s", /* duplicate t */
        "t=1700000000,v1=%s,t=1700000001", /* duplicate t, second unsigned */
    };
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        char h[256];
        snprintf(h, sizeof(h), fmts[i], v1);
        assert_int_equal(verify(h, b, s, vt(c) + 10), STRIPE_SIG_MALFORMED);
    }
}

static void test_fail_wrong_secret_and_tampered_t(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    const char *b = vstr(c, "body"), *v1 = vstr(c, "v1");
    assert_int_equal(verify(vstr(c, "header"), b, "whsec_not_the_secret", vt(c) + 10),
                     STRIPE_SIG_MISMATCH);
    /* The secret without its whsec_ prefix is a different key. */
    assert_int_equal(verify(vstr(c, "header"), b, vstr(c, "secret") + 6, vt(c) + 10),
                     STRIPE_SIG_MISMATCH);
    assert_int_equal(verify(vstr(c, "header"), b, "", vt(c) + 10), STRIPE_SIG_MISMATCH);
    assert_int_equal(verify(vstr(c, "header"), b, NULL, vt(c) + 10), STRIPE_SIG_MISMATCH);
    char h[256];
    snprintf(h, sizeof(h), "t=%lld,v1=%s", vt(c) + 1, v1);
    assert_int_equal(verify(h, b, vstr(c, "secret"), vt(c) + 10), STRIPE_SIG_MISMATCH);
    /* A truncated signature never matches. */
    snprintf(h, sizeof(h), "t=%lld,v1=%.63s", vt(c), v1);
    assert_int_equal(verify(h, b, vstr(c, "secret"), vt(c) + 10), STRIPE_SIG_MISMATCH);
}

static void test_empty_and_long_header(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    const char *b = vstr(c, "body"), *s = vstr(c, "secret");
    assert_int_equal(verify("", b, s, vt(c) + 10), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify(NULL, b, s, vt(c) + 10), STRIPE_SIG_MALFORMED);
    assert_int_equal(verify("   ", b, s, vt(c) + 10), STRIPE_SIG_MALFORMED);

    /* A valid header padded with a long v0 is fine up to the cap... */
    size_t cap = STRIPE_SIG_HEADER_MAX;
    char *h = malloc(cap * 2);
    assert_non_null(h);
    int n = snprintf(h, cap * 2, "%s,v0=", vstr(c, "header"));
    memset(h + n, 'a', cap - (size_t)n);
    h[cap] = '\0';
    assert_int_equal(strlen(h), cap);
    assert_int_equal(verify(h, b, s, vt(c) + 10), STRIPE_SIG_OK);
    /* ...and malformed one byte past it, or absurdly past it. */
    memset(h + n, 'a', cap + 1 - (size_t)n);
    h[cap + 1] = '\0';
    assert_int_equal(verify(h, b, s, vt(c) + 10), STRIPE_SIG_MALFORMED);
    memset(h + n, 'a', cap * 2 - 1 - (size_t)n);
    h[cap * 2 - 1] = '\0';
    assert_int_equal(verify(h, b, s, vt(c) + 10), STRIPE_SIG_MALFORMED);
    free(h);
}

static void test_lenient_forms(void **state)
{
    (void)state;
    const json_t *c = vcase(0);
    const char *b = vstr(c, "body"), *s = vstr(c, "secret"), *v1 = vstr(c, "v1");
    char upper[65], h[512];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(v1[i] >= 'a' && v1[i] <= 'f' ? v1[i] - 32 : v1[i]);
    const char *fmts[] = {
        "t=1700000000, v1=%s",
        " t = 1700000000 ,\tv1 = %s ",
        "v1=%s,t=1700000000",
        "t=1700000000,v1=deadbeef,v2=x,v1=%s,v0=abc",
    };
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        snprintf(h, sizeof(h), fmts[i], v1);
        assert_int_equal(verify(h, b, s, vt(c) + 10), STRIPE_SIG_OK);
    }
    snprintf(h, sizeof(h), "t=1700000000,v1=%s", upper);
    assert_int_equal(verify(h, b, s, vt(c) + 10), STRIPE_SIG_OK);
}

static void test_sign_edges(void **state)
{
    (void)state;
    char hex[65];
    assert_int_equal(stripe_sign("whsec_x", 0, NULL, 0, hex), 0);
    assert_int_equal(strlen(hex), 64);
    assert_int_equal(stripe_sign("", 1, "a", 1, hex), -1);
    assert_int_equal(stripe_sign(NULL, 1, "a", 1, hex), -1);
    assert_int_equal(stripe_sign("whsec_x", -1, "a", 1, hex), -1);
    /* Round trip with an empty body. */
    char h[128];
    assert_int_equal(stripe_sign("whsec_x", 1700000000, "", 0, hex), 0);
    snprintf(h, sizeof(h), "t=1700000000,v1=%s", hex);
    assert_int_equal(verify(h, "", "whsec_x", 1700000000), STRIPE_SIG_OK);
}

/* ---- events ------------------------------------------------------------- */

static int parse(const char *body, stripe_event_t *ev)
{
    char err[256] = "";
    int rc = stripe_parse_event(body, strlen(body), ev, err, sizeof(err));
    if (rc)
        assert_true(err[0] != '\0');
    return rc;
}

static void test_event_vector(void **state)
{
    (void)state;
    stripe_event_t ev;
    assert_int_equal(parse(vstr(vcase(0), "body"), &ev), 0);
    assert_string_equal(ev.id, "evt_test_1");
    assert_string_equal(ev.type, "checkout.session.completed");
    assert_string_equal(ev.session_id, "cs_test_1");
    assert_string_equal(ev.payment_status, "paid");
    assert_int_equal(ev.applies, 1);
    assert_int_equal(ev.livemode, -1);
    assert_int_equal(ev.created, 0);
}

static void test_event_kinds(void **state)
{
    (void)state;
    stripe_event_t ev;
    assert_int_equal(parse("{\"id\":\"evt_2\",\"type\":\"checkout.session.async_payment_succeeded\","
                           "\"created\":1700000001,\"livemode\":true,\"data\":{\"object\":"
                           "{\"id\":\"cs_live_2\",\"payment_status\":\"no_payment_required\"}}}",
                           &ev),
                     0);
    assert_int_equal(ev.applies, 1);
    assert_int_equal(ev.created, 1700000001);
    assert_int_equal(ev.livemode, 1);
    assert_string_equal(ev.session_id, "cs_live_2");

    assert_int_equal(parse("{\"id\":\"evt_3\",\"type\":\"checkout.session.completed\","
                           "\"livemode\":false,\"data\":{\"object\":{\"id\":\"cs_3\","
                           "\"object\":\"checkout.session\",\"payment_status\":\"unpaid\"}}}",
                           &ev),
                     0);
    assert_int_equal(ev.applies, 0);
    assert_int_equal(ev.livemode, 0);
    assert_string_equal(ev.payment_status, "unpaid");

    assert_int_equal(parse("{\"id\":\"evt_4\",\"type\":\"payment_intent.succeeded\","
                           "\"data\":{\"object\":{\"id\":\"pi_4\",\"status\":\"succeeded\"}}}",
                           &ev),
                     0);
    assert_int_equal(ev.applies, 0);
    assert_string_equal(ev.type, "payment_intent.succeeded");
    assert_string_equal(ev.session_id, "");

    assert_int_equal(parse("{\"id\":\"evt_5\",\"type\":\"checkout.session.expired\"}", &ev), 0);
    assert_int_equal(ev.applies, 0);
}

/* The storefront's metadata.shopsync_items travels with the event; a
 * malformed one is reported, not a failed event. */
static void test_event_metadata_items(void **state)
{
    (void)state;
    stripe_event_t ev;
    assert_int_equal(parse("{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
                           "{\"id\":\"cs_m\",\"payment_status\":\"paid\",\"metadata\":"
                           "{\"shopsync_items\":\"MUG-1:2,CUP:1\",\"other\":\"x\"}}}}",
                           &ev),
                     0);
    assert_int_equal(ev.has_items, 1);
    assert_string_equal(ev.items, "MUG-1:2,CUP:1");
    assert_string_equal(ev.items_error, "");

    assert_int_equal(parse("{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
                           "{\"id\":\"cs_m\",\"payment_status\":\"paid\",\"metadata\":{}}}}",
                           &ev),
                     0);
    assert_int_equal(ev.has_items, 0);
    assert_string_equal(ev.items_error, "");

    assert_int_equal(parse("{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
                           "{\"id\":\"cs_m\",\"payment_status\":\"paid\",\"metadata\":"
                           "{\"shopsync_items\":7}}}}",
                           &ev),
                     0);
    assert_int_equal(ev.has_items, 0);
    assert_int_equal(ev.applies, 1);
    assert_non_null(strstr(ev.items_error, "must be a string"));

    char body[1200];
    char big[600];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(body, sizeof(body),
             "{\"id\":\"evt_m\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
             "{\"id\":\"cs_m\",\"payment_status\":\"paid\",\"metadata\":{\"shopsync_items\":\"%s\"}}}}",
             big);
    assert_int_equal(parse(body, &ev), 0);
    assert_int_equal(ev.has_items, 0);
    assert_non_null(strstr(ev.items_error, "longer than 500"));
}

static void test_event_errors(void **state)
{
    (void)state;
    stripe_event_t ev;
    char longid[400];
    memset(longid, 'x', sizeof(longid));
    memcpy(longid, "{\"id\":\"evt_", 11);
    snprintf(longid + 300, sizeof(longid) - 300, "\",\"type\":\"x\"}");
    const char *bad[] = {
        "",
        "not json",
        "[]",
        "{\"type\":\"checkout.session.completed\"}",
        "{\"id\":\"ch_1\",\"type\":\"x\"}",
        "{\"id\":7,\"type\":\"x\"}",
        "{\"id\":\"evt_1\"}",
        "{\"id\":\"evt_1\",\"type\":\"\"}",
        "{\"id\":\"evt_1\",\"id\":\"evt_2\",\"type\":\"x\"}",
        "{\"id\":\"evt_1\",\"type\":\"x\",\"created\":\"1700000000\"}",
        "{\"id\":\"evt_1\",\"type\":\"x\",\"livemode\":1}",
        "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\"}",
        "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"data\":{}}",
        "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
        "{\"id\":\"pi_1\",\"payment_status\":\"paid\"}}}",
        "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
        "{\"id\":\"cs_1\"}}}",
        "{\"id\":\"evt_1\",\"type\":\"checkout.session.completed\",\"data\":{\"object\":"
        "{\"id\":\"cs_1\",\"object\":\"payment_intent\",\"payment_status\":\"paid\"}}}",
        longid,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ev.applies = 1;
        assert_int_equal(parse(bad[i], &ev), -1);
        assert_int_equal(ev.applies, 0);
    }
}

/* ---- line items against a fake Stripe ----------------------------------- */

static const char page1[] =
    "{\"object\":\"list\",\"url\":\"/v1/checkout/sessions/cs_paged/line_items\","
    "\"has_more\":true,\"data\":["
    "{\"id\":\"li_1\",\"object\":\"item\",\"description\":\"Blue mug\",\"quantity\":2,"
    "\"price\":{\"id\":\"price_1\",\"object\":\"price\",\"lookup_key\":\"LK-IGNORED\","
    "\"metadata\":{\"sku\":\"PRICE-IGNORED\"},\"product\":{\"id\":\"prod_1\","
    "\"object\":\"product\",\"metadata\":{\"sku\":\"MUG-BLUE\"}}}},"
    "{\"id\":\"li_2\",\"object\":\"item\",\"description\":\"Red mug\",\"quantity\":1,"
    "\"price\":{\"id\":\"price_2\",\"object\":\"price\",\"lookup_key\":null,"
    "\"metadata\":{\"sku\":\"MUG-RED\"},\"product\":{\"id\":\"prod_2\",\"object\":\"product\","
    "\"metadata\":{}}}}]}";

static const char page2[] =
    "{\"object\":\"list\",\"has_more\":false,\"data\":["
    "{\"id\":\"li_3\",\"object\":\"item\",\"description\":\"Green mug\",\"quantity\":3,"
    "\"price\":{\"id\":\"price_3\",\"lookup_key\":\"MUG-GREEN\",\"metadata\":{},"
    "\"product\":\"prod_3\"}},"
    "{\"id\":\"li_4\",\"object\":\"item\",\"description\":\"Gift wrap\",\"quantity\":0,"
    "\"price\":{\"id\":\"price_4\",\"lookup_key\":null,\"metadata\":{},"
    "\"product\":{\"id\":\"prod_4\",\"metadata\":{}}}}]}";

static const char one_more[] =
    "{\"object\":\"list\",\"has_more\":true,\"data\":[{\"id\":\"li_x\",\"quantity\":1,"
    "\"price\":null}]}";

static struct mg_context *server;
static char api_base[64];
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static int seen_requests, seen_page2;

static int send_json(struct mg_connection *conn, int status, const char *body)
{
    httpx_send(conn, status, "application/json", body, strlen(body), NULL);
    return status;
}

static int stripe_handler(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *auth = mg_get_header(conn, "Authorization");
    const char *q = ri->query_string ? ri->query_string : "";
    const char *prefix = "/v1/checkout/sessions/";
    char session[128] = "";
    const char *rest = ri->local_uri + strlen(prefix);
    const char *slash = strchr(rest, '/');

    pthread_mutex_lock(&seen_mu);
    seen_requests++;
    pthread_mutex_unlock(&seen_mu);
    if (!auth || strcmp(auth, "Bearer " SECRET_KEY))
        return send_json(conn, 401, "{\"error\":{\"message\":\"Invalid API Key provided: "
                                    "sk_****\",\"type\":\"invalid_request_error\"}}");
    if (strcmp(ri->request_method, "GET") || !slash || strcmp(slash, "/line_items") ||
        (size_t)(slash - rest) >= sizeof(session) || !strstr(q, "limit=100") ||
        !strstr(q, "expand%5B%5D=data.price.product"))
        return send_json(conn, 400, "{\"error\":{\"message\":\"bad request\"}}");
    memcpy(session, rest, (size_t)(slash - rest));

    if (!strcmp(session, "cs_paged")) {
        if (!strstr(q, "starting_after"))
            return send_json(conn, 200, page1);
        if (strstr(q, "&starting_after=li_2")) {
            pthread_mutex_lock(&seen_mu);
            seen_page2++;
            pthread_mutex_unlock(&seen_mu);
            return send_json(conn, 200, page2);
        }
        return send_json(conn, 400, "{\"error\":{\"message\":\"bad cursor\"}}");
    }
    if (!strcmp(session, "cs_boom"))
        return send_json(conn, 500, "{\"error\":{\"message\":\"internal\",\"type\":\"api_error\"}}");
    if (!strcmp(session, "cs_busy"))
        return send_json(conn, 429, "{\"error\":{\"message\":\"rate limited\"}}");
    if (!strcmp(session, "cs_garbage"))
        return send_json(conn, 200, "{\"object\":\"list\",\"data\":[");
    if (!strcmp(session, "cs_notlist"))
        return send_json(conn, 200, "{\"object\":\"list\",\"data\":{}}");
    if (!strcmp(session, "cs_negqty"))
        return send_json(conn, 200, "{\"object\":\"list\",\"has_more\":false,\"data\":"
                                    "[{\"id\":\"li_n\",\"quantity\":-1,\"price\":null}]}");
    if (!strcmp(session, "cs_realqty"))
        return send_json(conn, 200, "{\"object\":\"list\",\"has_more\":false,\"data\":"
                                    "[{\"id\":\"li_n\",\"quantity\":1.5,\"price\":null}]}");
    if (!strcmp(session, "cs_emptymore"))
        return send_json(conn, 200, "{\"object\":\"list\",\"has_more\":true,\"data\":[]}");
    if (!strcmp(session, "cs_forever"))
        return send_json(conn, 200, one_more);
    if (!strcmp(session, "cs_empty"))
        return send_json(conn, 200, "{\"object\":\"list\",\"has_more\":false,\"data\":[]}");
    return send_json(conn, 404, "{\"error\":{\"code\":\"resource_missing\",\"message\":"
                                "\"No such checkout session\",\"type\":\"invalid_request_error\"}}");
}

static int setup_server(void **state)
{
    (void)state;
    const char *options[] = {"listening_ports", "127.0.0.1:0", "num_threads", "2", NULL};
    struct mg_callbacks cb;
    struct mg_server_port ports[2];
    memset(&cb, 0, sizeof(cb));
    if (http_client_global_init())
        return -1;
    mg_init_library(0);
    server = mg_start(&cb, NULL, options);
    if (!server || mg_get_server_ports(server, 2, ports) < 1)
        return -1;
    mg_set_request_handler(server, "/v1/checkout/sessions/", stripe_handler, NULL);
    snprintf(api_base, sizeof(api_base), "http://127.0.0.1:%d", ports[0].port);
    return 0;
}

static int teardown_server(void **state)
{
    (void)state;
    mg_stop(server);
    mg_exit_library();
    return 0;
}

static int fetch(const char *key, const char *session, stripe_line_t **lines, size_t *n,
                 char *err, size_t errlen)
{
    stripe_config_t cfg = {api_base, key, 5000};
    err[0] = '\0';
    int rc = stripe_fetch_line_items(&cfg, session, lines, n, err, errlen);
    if (rc) {
        assert_null(*lines);
        assert_int_equal(*n, 0);
        assert_true(err[0] != '\0');
        assert_null(strstr(err, SECRET_KEY));
    }
    return rc;
}

static void test_lines_paginated(void **state)
{
    (void)state;
    stripe_line_t *lines = NULL;
    size_t n = 0;
    char err[256];
    pthread_mutex_lock(&seen_mu);
    seen_requests = seen_page2 = 0;
    pthread_mutex_unlock(&seen_mu);

    assert_int_equal(fetch(SECRET_KEY, "cs_paged", &lines, &n, err, sizeof(err)),
                     STRIPE_FETCH_OK);
    assert_int_equal(n, 4);
    assert_string_equal(lines[0].id, "li_1");
    assert_string_equal(lines[0].sku, "MUG-BLUE");
    assert_int_equal(lines[0].sku_source, STRIPE_SKU_PRODUCT);
    assert_int_equal(lines[0].quantity, 2);
    assert_string_equal(lines[0].price_id, "price_1");
    assert_string_equal(lines[0].description, "Blue mug");
    assert_string_equal(lines[1].sku, "MUG-RED");
    assert_int_equal(lines[1].sku_source, STRIPE_SKU_PRICE);
    assert_string_equal(lines[2].sku, "MUG-GREEN");
    assert_int_equal(lines[2].sku_source, STRIPE_SKU_LOOKUP_KEY);
    assert_int_equal(lines[2].quantity, 3);
    assert_string_equal(lines[3].sku, "");
    assert_int_equal(lines[3].sku_source, STRIPE_SKU_NONE);
    assert_string_equal(lines[3].price_id, "price_4");
    assert_string_equal(lines[3].description, "Gift wrap");
    assert_int_equal(lines[3].quantity, 0);
    stripe_lines_free(lines, n);

    pthread_mutex_lock(&seen_mu);
    assert_int_equal(seen_requests, 2);
    assert_int_equal(seen_page2, 1);
    pthread_mutex_unlock(&seen_mu);
}

static void test_lines_empty(void **state)
{
    (void)state;
    stripe_line_t *lines = NULL;
    size_t n = 7;
    char err[256];
    assert_int_equal(fetch(SECRET_KEY, "cs_empty", &lines, &n, err, sizeof(err)),
                     STRIPE_FETCH_OK);
    assert_int_equal(n, 0);
    stripe_lines_free(lines, n);
}

static void test_lines_errors(void **state)
{
    (void)state;
    stripe_line_t *lines = NULL;
    size_t n = 0;
    char err[256];
    static const struct {
        const char *key, *session;
        int want;
    } cases[] = {
        {SECRET_KEY, "cs_missing", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_boom", STRIPE_FETCH_RETRYABLE},
        {SECRET_KEY, "cs_busy", STRIPE_FETCH_RETRYABLE},
        {SECRET_KEY, "cs_garbage", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_notlist", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_negqty", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_realqty", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_emptymore", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_forever", STRIPE_FETCH_PERMANENT},
        {"sk_test_wrong", "cs_paged", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "cs_../../x", STRIPE_FETCH_PERMANENT},
        {SECRET_KEY, "", STRIPE_FETCH_PERMANENT},
        {"sk_test\r\nX-Injected: 1", "cs_paged", STRIPE_FETCH_PERMANENT},
        {"", "cs_paged", STRIPE_FETCH_PERMANENT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = 3;
        assert_int_equal(fetch(cases[i].key, cases[i].session, &lines, &n, err, sizeof(err)),
                         cases[i].want);
    }
    assert_int_equal(fetch(SECRET_KEY, "cs_missing", &lines, &n, err, sizeof(err)),
                     STRIPE_FETCH_PERMANENT);
    assert_non_null(strstr(err, "404"));
    assert_non_null(strstr(err, "No such checkout session"));
}

/* A pacer that spaces requests 20 ms apart and counts its calls. */
static int pace_calls;
static int pace_20ms(void *ctx, long long *wait_us)
{
    (void)ctx;
    *wait_us = (long long)pace_calls++ * 20000;
    return 0;
}

static int pace_none(void *ctx, long long *wait_us)
{
    (void)ctx;
    *wait_us = 0;
    return -1;
}

/* Several sessions at once give each the result a single fetch gives it,
 * paginated ones included, with one pacer slot per request. */
static void test_lines_many(void **state)
{
    (void)state;
    const char *ids[] = {"cs_paged", "cs_boom", "cs_missing", "cs_empty", "cs_busy", "cs_../x", "cs_garbage"};
    const int want[] = {STRIPE_FETCH_OK,        STRIPE_FETCH_RETRYABLE, STRIPE_FETCH_PERMANENT, STRIPE_FETCH_OK,
                        STRIPE_FETCH_RETRYABLE, STRIPE_FETCH_PERMANENT, STRIPE_FETCH_PERMANENT};
    const size_t n = sizeof(ids) / sizeof(ids[0]);
    stripe_fetch_result_t res[7];
    stripe_config_t cfg = {api_base, SECRET_KEY, 5000};
    pace_calls = 0;
    assert_int_equal(stripe_fetch_line_items_many(&cfg, ids, n, pace_20ms, NULL, res), 0);
    for (size_t i = 0; i < n; i++) {
        if (res[i].rc != want[i])
            fail_msg("%s: rc %d, want %d (%s)", ids[i], res[i].rc, want[i], res[i].err);
        if (res[i].rc != STRIPE_FETCH_OK) {
            assert_null(res[i].lines);
            assert_true(res[i].err[0] != '\0');
            assert_null(strstr(res[i].err, SECRET_KEY));
        }
    }
    assert_int_equal(res[0].n_lines, 4);
    assert_string_equal(res[0].lines[2].sku, "MUG-GREEN");
    assert_int_equal(res[3].n_lines, 0);
    assert_non_null(strstr(res[2].err, "No such checkout session"));
    /* Six valid ids, plus the second page of cs_paged. */
    assert_int_equal(pace_calls, 7);
    for (size_t i = 0; i < n; i++)
        stripe_lines_free(res[i].lines, res[i].n_lines);

    /* No slot: nothing is sent, the sessions are to be retried. */
    assert_int_equal(stripe_fetch_line_items_many(&cfg, ids, 1, pace_none, NULL, res), 0);
    assert_int_equal(res[0].rc, STRIPE_FETCH_RETRYABLE);
    assert_non_null(strstr(res[0].err, "rate limit"));

    /* A bad key fails every session alike. */
    stripe_config_t bad = {api_base, "", 5000};
    assert_int_equal(stripe_fetch_line_items_many(&bad, ids, 2, NULL, NULL, res), -1);
    assert_int_equal(res[0].rc, STRIPE_FETCH_PERMANENT);
    assert_int_equal(res[1].rc, STRIPE_FETCH_PERMANENT);
}

static void test_lines_network_error(void **state)
{
    (void)state;
    const char *options[] = {"listening_ports", "127.0.0.1:0", NULL};
    struct mg_callbacks cb;
    struct mg_server_port ports[2];
    memset(&cb, 0, sizeof(cb));
    struct mg_context *gone = mg_start(&cb, NULL, options);
    assert_non_null(gone);
    assert_true(mg_get_server_ports(gone, 2, ports) >= 1);
    mg_stop(gone);

    char base[64], err[256];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", ports[0].port);
    stripe_config_t cfg = {base, SECRET_KEY, 2000};
    stripe_line_t *lines = NULL;
    size_t n = 0;
    assert_int_equal(stripe_fetch_line_items(&cfg, "cs_paged", &lines, &n, err, sizeof(err)),
                     STRIPE_FETCH_RETRYABLE);
    assert_null(lines);
    assert_null(strstr(err, SECRET_KEY));
}

int main(void)
{
    FILE *f = fopen(SHOPSYNC_VECTORS_DIR "/stripe.json", "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", SHOPSYNC_VECTORS_DIR "/stripe.json");
        return 1;
    }
    json_error_t jerr;
    vectors = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!vectors) {
        fprintf(stderr, "stripe.json: %s\n", jerr.text);
        return 1;
    }
    const struct CMUnitTest sig_tests[] = {
        cmocka_unit_test(test_vectors_sign),
        cmocka_unit_test(test_vectors_verify),
        cmocka_unit_test(test_fail_body_changed),
        cmocka_unit_test(test_fail_too_old_or_future),
        cmocka_unit_test(test_fail_only_v0),
        cmocka_unit_test(test_fail_pair_without_eq_and_bad_t),
        cmocka_unit_test(test_fail_wrong_secret_and_tampered_t),
        cmocka_unit_test(test_empty_and_long_header),
        cmocka_unit_test(test_lenient_forms),
        cmocka_unit_test(test_sign_edges),
        cmocka_unit_test(test_event_vector),
        cmocka_unit_test(test_event_kinds),
        cmocka_unit_test(test_event_errors),
        cmocka_unit_test(test_event_metadata_items),
    };
    const struct CMUnitTest http_tests[] = {
        cmocka_unit_test(test_lines_paginated),
        cmocka_unit_test(test_lines_empty),
        cmocka_unit_test(test_lines_errors),
        cmocka_unit_test(test_lines_many),
        cmocka_unit_test(test_lines_network_error),
    };
    int failed = cmocka_run_group_tests_name("stripe_pure", sig_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("stripe_http", http_tests, setup_server,
                                          teardown_server);
    json_decref(vectors);
    http_client_global_cleanup();
    return failed ? 1 : 0;
}

/*
 * Unit tests for http_client against an in-process civetweb server: status
 * and headers, body cap with and without Content-Length, timeouts, redirects,
 * header injection, methods with bodies, and per-thread clients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <civetweb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shopsync/http_client.h"
#include "shopsync/httpx.h"

static struct mg_context *ctx;
static char base[64];

/* Echo: method and body back, with a Retry-After header. */
static int on_echo(struct mg_connection *conn, void *cbdata)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    buf_t body, out;
    (void)cbdata;
    buf_init(&body, 1 << 20);
    buf_init(&out, 2 << 20);
    httpx_read_body(conn, &body);
    buf_appendf(&out, "%s ", ri->request_method);
    if (body.len)
        buf_append(&out, body.data, body.len);
    httpx_send(conn, 429, "text/plain; charset=utf-8", out.data, out.len, "Retry-After: 7\r\n");
    buf_free(&body);
    buf_free(&out);
    return 429;
}

/* A body of 64 KiB sent in chunks, so no Content-Length announces it. */
static int on_chunked(struct mg_connection *conn, void *cbdata)
{
    char chunk[4096];
    (void)cbdata;
    memset(chunk, 'x', sizeof(chunk));
    mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 16; i++) {
        if (mg_send_chunk(conn, chunk, sizeof(chunk)) < 0)
            break;
    }
    mg_send_chunk(conn, "", 0);
    return 200;
}

static int on_big(struct mg_connection *conn, void *cbdata)
{
    static char big[65536];
    (void)cbdata;
    memset(big, 'y', sizeof(big));
    httpx_send(conn, 200, "text/plain", big, sizeof(big), NULL);
    return 200;
}

static int on_slow(struct mg_connection *conn, void *cbdata)
{
    struct timespec ts = {1, 500000000L};
    (void)cbdata;
    nanosleep(&ts, NULL);
    httpx_send(conn, 200, "text/plain", "late", 4, NULL);
    return 200;
}

static int on_redirect(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    httpx_send(conn, 302, "text/plain", "", 0, "Location: /final\r\n");
    return 302;
}

static int on_final(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    httpx_send(conn, 200, "image/png", "PNG", 3, NULL);
    return 200;
}

static int group_setup(void **state)
{
    (void)state;
    const char *opts[] = {"listening_ports", "127.0.0.1:0", "num_threads", "4", NULL};
    struct mg_callbacks cb;
    struct mg_server_port ports[2];
    if (http_client_global_init() != 0)
        return -1;
    memset(&cb, 0, sizeof(cb));
    ctx = mg_start(&cb, NULL, opts);
    if (!ctx)
        return -1;
    mg_set_request_handler(ctx, "/echo", on_echo, NULL);
    mg_set_request_handler(ctx, "/chunked", on_chunked, NULL);
    mg_set_request_handler(ctx, "/big", on_big, NULL);
    mg_set_request_handler(ctx, "/slow", on_slow, NULL);
    mg_set_request_handler(ctx, "/redirect", on_redirect, NULL);
    mg_set_request_handler(ctx, "/final", on_final, NULL);
    if (mg_get_server_ports(ctx, 2, ports) < 1)
        return -1;
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", ports[0].port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mg_stop(ctx);
    http_client_global_cleanup();
    return 0;
}

static void url(char *out, size_t cap, const char *path)
{
    snprintf(out, cap, "%s%s", base, path);
}

static void test_status_headers_and_body(void **state)
{
    (void)state;
    char u[128], err[256];
    const char *hdrs[] = {"content-type: application/json", NULL};
    http_response_t resp;
    url(u, sizeof(u), "/echo");
    http_request_t req = {.method = "PUT", .url = u, .headers = hdrs, .body = "{\"a\":1}", .body_len = 7};
    assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), 0);
    assert_int_equal(resp.status, 429);
    assert_string_equal(resp.body.data, "PUT {\"a\":1}");
    assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
    assert_int_equal(resp.retry_after_s, 7);
    assert_false(resp.network_error);
    http_response_free(&resp);

    http_request_t post = {.method = "POST", .url = u};
    assert_int_equal(http_client_request(http_client_thread(), &post, &resp, err, sizeof(err)), 0);
    assert_string_equal(resp.body.data, "POST ");
    http_response_free(&resp);
}

static void test_multipart(void **state)
{
    (void)state;
    char u[128], err[256];
    http_response_t resp;
    http_part_t parts[] = {
        {.name = "data", .filename = "f.bin", .content_type = "application/octet-stream",
         .data = "abc", .len = 3},
        {.name = "use_case", .data = "MAIN_IMAGE", .len = 10},
    };
    url(u, sizeof(u), "/echo");
    http_request_t req = {.method = "POST", .url = u, .parts = parts, .n_parts = 2};
    assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), 0);
    assert_non_null(strstr(resp.body.data, "name=\"data\"; filename=\"f.bin\""));
    assert_non_null(strstr(resp.body.data, "MAIN_IMAGE"));
    http_response_free(&resp);
}

static void test_body_cap(void **state)
{
    (void)state;
    char u[128], err[256];
    http_response_t resp;
    const char *paths[] = {"/chunked", "/big"};
    for (int i = 0; i < 2; i++) {
        url(u, sizeof(u), paths[i]);
        http_request_t req = {.method = "GET", .url = u, .max_body = 10000};
        assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), -1);
        assert_true(resp.too_large);
        assert_false(resp.network_error);
        assert_int_equal(resp.body.len, 0);
        assert_non_null(strstr(err, "larger than 10000 bytes"));
        http_response_free(&resp);

        http_request_t ok = {.method = "GET", .url = u};
        assert_int_equal(http_client_request(http_client_thread(), &ok, &resp, err, sizeof(err)), 0);
        assert_int_equal(resp.body.len, 65536);
        http_response_free(&resp);
    }
}

static void test_timeout(void **state)
{
    (void)state;
    char u[128], err[256];
    http_response_t resp;
    url(u, sizeof(u), "/slow");
    http_request_t req = {.method = "GET", .url = u, .timeout_ms = 300};
    assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), -1);
    assert_true(resp.network_error);
    assert_true(resp.timed_out);
    assert_int_equal(resp.status, 0);
    assert_string_equal(err, "timed out after 0.3 s waiting for 127.0.0.1");
    http_response_free(&resp);
}

static void test_redirects(void **state)
{
    (void)state;
    char u[128], err[256];
    http_response_t resp;
    url(u, sizeof(u), "/redirect");
    http_request_t req = {.method = "GET", .url = u};
    assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), 0);
    assert_int_equal(resp.status, 302);
    http_response_free(&resp);
    req.follow_redirects = 1;
    assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "PNG");
    assert_string_equal(resp.content_type, "image/png");
    assert_int_equal(resp.retry_after_s, -1);
    http_response_free(&resp);
}

static void test_refuses_bad_input(void **state)
{
    (void)state;
    char u[128], err[256];
    http_response_t resp;
    const char *hdrs[] = {"x-tts-access-token: a\r\nx-evil: 1", NULL};
    url(u, sizeof(u), "/echo");
    http_request_t req = {.method = "GET", .url = u, .headers = hdrs};
    assert_int_equal(http_client_request(http_client_thread(), &req, &resp, err, sizeof(err)), -1);
    assert_false(resp.network_error);
    http_response_free(&resp);
    http_request_t bad = {.method = "get", .url = u};
    assert_int_equal(http_client_request(http_client_thread(), &bad, &resp, err, sizeof(err)), -1);
    http_response_free(&resp);
    http_request_t ftp = {.method = "GET", .url = "ftp://127.0.0.1/x?secret=1"};
    assert_int_equal(http_client_request(http_client_thread(), &ftp, &resp, err, sizeof(err)), -1);
    assert_true(resp.network_error);
    assert_null(strstr(err, "secret"));
    http_response_free(&resp);
}

static void *other_thread(void *arg)
{
    *(http_client_t **)arg = http_client_thread();
    return NULL;
}

static void test_thread_clients(void **state)
{
    (void)state;
    http_client_t *mine = http_client_thread(), *theirs = NULL;
    pthread_t t;
    assert_non_null(mine);
    assert_ptr_equal(mine, http_client_thread());
    assert_int_equal(pthread_create(&t, NULL, other_thread, &theirs), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_non_null(theirs);
    assert_ptr_not_equal(mine, theirs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_headers_and_body),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_refuses_bad_input),
        cmocka_unit_test(test_thread_clients),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

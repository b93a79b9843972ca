/*
 * Unit tests for the inbound event queue against a real redis-server
 * (tests/unit/redis_fixture.h): intake with dedupe, read, failed attempts
 * up to the dead-letter stream, replay, acknowledgement, stats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "redis_fixture.h"
#include "shopsync/queue.h"

#define BODY "{\"type\":1,\"data\":{\"order_id\":\"577\"}}"
#define READ_BLOCK_MS 100


static int setup(void **state)
{
    (void)state;
    return redis_fixture_flush(&redis_fx) || queue_setup(redis_fx.conn);
}

static queue_stats_t stats(void)
{
    queue_stats_t s;
    assert_int_equal(queue_stats(redis_fx.conn, &s), 0);
    return s;
}

/* Read exactly one entry into *e. */
static void read_one(queue_entry_t *e)
{
    queue_entry_t more[2];
    assert_int_equal(queue_read(redis_fx.conn, "w1", more, 2, READ_BLOCK_MS), 1);
    *e = more[0];
}

static void test_enqueue_dedupe_read(void **state)
{
    (void)state;
    queue_entry_t e, none[1];

    /* The group exists already: setting up again is fine. */
    assert_int_equal(queue_setup(redis_fx.conn), 0);
    assert_int_equal(queue_enqueue(redis_fx.conn, "tiktok", "ev-1", BODY, strlen(BODY), 3600), QUEUE_ADDED);
    assert_int_equal(queue_enqueue(redis_fx.conn, "tiktok", "ev-1", BODY, strlen(BODY), 3600), QUEUE_DUPLICATE);
    /* Dedupe is per provider. */
    assert_int_equal(queue_enqueue(redis_fx.conn, "stripe", "ev-1", "{}", 2, 3600), QUEUE_ADDED);
    assert_int_equal(stats().depth, 2);

    queue_entry_t two[3];
    assert_int_equal(queue_read(redis_fx.conn, "w1", two, 3, READ_BLOCK_MS), 2);
    e = two[0];
    assert_string_equal(e.provider, "tiktok");
    assert_string_equal(e.event_id, "ev-1");
    assert_int_equal(e.len, strlen(BODY));
    assert_string_equal(e.body, BODY);
    assert_true(e.received_at_ms > 0);
    assert_string_equal(two[1].provider, "stripe");
    assert_string_equal(two[1].body, "{}");

    /* Delivered, not acknowledged: still there, and pending. */
    queue_stats_t s = stats();
    assert_int_equal(s.depth, 2);
    assert_int_equal(s.pending, 2);
    assert_int_equal(queue_read(redis_fx.conn, "w1", none, 1, READ_BLOCK_MS), 0);

    assert_int_equal(queue_ack(redis_fx.conn, &two[0]), 0);
    assert_int_equal(queue_ack(redis_fx.conn, &two[1]), 0);
    s = stats();
    assert_int_equal(s.depth, 0);
    assert_int_equal(s.pending, 0);
    queue_entry_free(&two[0]);
    queue_entry_free(&two[1]);

    /* Acknowledged, the event id is still remembered. */
    assert_int_equal(queue_enqueue(redis_fx.conn, "tiktok", "ev-1", BODY, strlen(BODY), 3600), QUEUE_DUPLICATE);
    assert_int_equal(stats().depth, 0);
}

static void test_fail_until_dead_then_replay(void **state)
{
    (void)state;
    queue_entry_t e;
    json_t *dlq = NULL;
    long long total = -1, n = -1;

    assert_int_equal(queue_enqueue(redis_fx.conn, "tiktok", "ev-2", BODY, strlen(BODY), 3600), QUEUE_ADDED);
    read_one(&e);
    assert_int_equal(queue_fail(redis_fx.conn, &e, "boom 1", 3), 0);
    assert_int_equal(queue_fail(redis_fx.conn, &e, "boom 2", 3), 0);
    assert_int_equal(stats().dead, 0);
    assert_int_equal(queue_fail(redis_fx.conn, &e, "boom 3", 3), 1);
    queue_entry_free(&e);

    queue_stats_t s = stats();
    assert_int_equal(s.depth, 0);
    assert_int_equal(s.pending, 0);
    assert_int_equal(s.dead, 1);

    assert_int_equal(queue_dlq_list(redis_fx.conn, 10, &dlq, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(json_array_size(dlq), 1);
    json_t *d = json_array_get(dlq, 0);
    assert_string_equal(json_string_value(json_object_get(d, "source")), "tiktok");
    assert_string_equal(json_string_value(json_object_get(d, "event_id")), "ev-2");
    assert_string_equal(json_string_value(json_object_get(d, "error")), "boom 3");
    assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 3);
    char dead_id[64];
    snprintf(dead_id, sizeof(dead_id), "%s", json_string_value(json_object_get(d, "id")));
    json_decref(dlq);

    /* Unknown ids, well formed or not, are 1 and replay nothing. */
    assert_int_equal(queue_dlq_replay(redis_fx.conn, "1-1", &n), 1);
    assert_int_equal(n, 0);
    assert_int_equal(queue_dlq_replay(redis_fx.conn, "not-an-id", &n), 1);
    assert_int_equal(stats().dead, 1);

    assert_int_equal(queue_dlq_replay(redis_fx.conn, dead_id, &n), 0);
    assert_int_equal(n, 1);
    s = stats();
    assert_int_equal(s.dead, 0);
    assert_int_equal(s.depth, 1);

    /* Back in the stream with its body, and a fresh count of attempts. */
    read_one(&e);
    assert_string_equal(e.event_id, "ev-2");
    assert_string_equal(e.body, BODY);
    assert_int_equal(queue_fail(redis_fx.conn, &e, "again", 2), 0);
    assert_int_equal(queue_ack(redis_fx.conn, &e), 0);
    queue_entry_free(&e);
    s = stats();
    assert_int_equal(s.depth, 0);
    assert_int_equal(s.dead, 0);
}

static void test_dead_letter_and_replay_all(void **state)
{
    (void)state;
    queue_entry_t e[2];
    json_t *dlq = NULL;
    long long total = -1, n = -1;

    assert_int_equal(queue_enqueue(redis_fx.conn, "stripe", "evt_a", "{\"a\":1}", 7, 3600), QUEUE_ADDED);
    assert_int_equal(queue_enqueue(redis_fx.conn, "stripe", "evt_b", "{\"b\":2}", 7, 3600), QUEUE_ADDED);
    assert_int_equal(queue_read(redis_fx.conn, "w1", e, 2, READ_BLOCK_MS), 2);
    /* A permanent error dead-letters at once; max_attempts 1 on the first. */
    assert_int_equal(queue_dead_letter(redis_fx.conn, &e[0], "bad signature", 0), 0);
    assert_int_equal(queue_fail(redis_fx.conn, &e[1], "malformed", 1), 1);
    queue_entry_free(&e[0]);
    queue_entry_free(&e[1]);

    /* Newest first. */
    assert_int_equal(queue_dlq_list(redis_fx.conn, 1, &dlq, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(json_array_size(dlq), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(dlq, 0), "event_id")), "evt_b");
    json_decref(dlq);

    assert_int_equal(queue_dlq_replay(redis_fx.conn, NULL, &n), 0);
    assert_int_equal(n, 2);
    queue_stats_t s = stats();
    assert_int_equal(s.dead, 0);
    assert_int_equal(s.depth, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_enqueue_dedupe_read, setup),
        cmocka_unit_test_setup(test_fail_until_dead_then_replay, setup),
        cmocka_unit_test_setup(test_dead_letter_and_replay_all, setup),
    };
    return cmocka_run_group_tests(tests, redis_fixture_group_setup, redis_fixture_group_teardown);
}

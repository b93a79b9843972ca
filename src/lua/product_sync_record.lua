-- product_sync_record: record one product's result row of a sync job.
-- KEYS: 1 job hash, 2 results list. ARGV: result row, its status. A
-- product's row and its counts are one step, so with several products
-- ending at once a reader still sees done == created + updated + failed ==
-- the number of rows.
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('HINCRBY', KEYS[1], 'done', 1)
return 1

/* kiln
type: sql_model                 # sql_model (default when target is set) | sql_script
target: dwd.dwd_orders          # [schema.]table
write_mode: overwrite_partition # overwrite | overwrite_partition | append | merge
partition_column: dt            # overwrite_partition: the period column
# partition_value: ${bizdate}   # the value a run replaces (default ${bizdate})
# unique_key: [order_id]        # merge
engine: warehouse
schedule: "0 2 * * *"           # or {cron: "0 2 * * *", timezone: Asia/Shanghai}
upstreams: [ods_orders, ods_students]
params: {lookback: "7"}
retries: 2
retry_delay: 1m
timeout: 30m
priority: 5
pool: default
owner: alice
tier: core
tags: [finance]
description: Cleaned orders, one partition per business date.
*/
SELECT order_id, student_id, amount, '${bizdate}' AS dt
FROM ods.ods_orders
WHERE dt = '${bizdate}'

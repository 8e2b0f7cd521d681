/* kiln
target: ods.ods_refunds
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: core
tags: [edu, ods, events, finance]
description: The day's refund applications, mostly for orders of earlier days. Loaded from source_dir/dt=BIZDATE/refunds.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/refunds.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'refund_id':     'BIGINT',
        'order_id':      'BIGINT',
        'student_id':    'BIGINT',
        'course_id':     'INTEGER',
        'refund_amount': 'DECIMAL(10,2)',
        'reason':        'VARCHAR',
        'status':        'VARCHAR',
        'applied_at':    'TIMESTAMP',
        'processed_at':  'TIMESTAMP'
    }
)

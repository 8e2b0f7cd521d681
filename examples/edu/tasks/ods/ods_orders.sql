/* kiln
target: ods.ods_orders
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: core
tags: [edu, ods, events, finance]
description: The day's orders as captured from the order database, duplicates included. Loaded from source_dir/dt=BIZDATE/orders.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/orders.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'order_id':        'BIGINT',
        'student_id':      'BIGINT',
        'course_id':       'INTEGER',
        'class_id':        'BIGINT',
        'channel':         'VARCHAR',
        'coupon_code':     'VARCHAR',
        'list_price':      'DECIMAL(10,2)',
        'discount_amount': 'DECIMAL(10,2)',
        'paid_amount':     'DECIMAL(10,2)',
        'pay_method':      'VARCHAR',
        'status':          'VARCHAR',
        'created_at':      'TIMESTAMP',
        'paid_at':         'TIMESTAMP',
        'updated_at':      'TIMESTAMP'
    }
)

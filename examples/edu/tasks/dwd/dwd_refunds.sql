/* kiln
target: dwd.dwd_refunds
write_mode: overwrite_partition
partition_column: dt
schedule: "30 2 * * *"
upstreams: [ods_refunds, ods_courses, dwd_orders]
owner: finance-data
tier: core
tags: [edu, dwd, finance]
description: >-
  Refund applications of the day with the course and, when the order was
  placed in the last 30 days, the original order's channel and paid amount
  (looked up in the last 31 daily partitions of dwd_orders).
*/
WITH r AS (
    SELECT *
    FROM ods.ods_refunds
    WHERE dt = '${bizdate}'
    QUALIFY row_number() OVER (PARTITION BY refund_id ORDER BY applied_at DESC, status) = 1
),
recent_orders AS (
    SELECT order_id, channel, paid_amount, paid_at
    FROM dwd.dwd_orders
    WHERE dt BETWEEN '${bizdate-30d}' AND '${bizdate}'
)
SELECT
    r.refund_id,
    r.order_id,
    r.student_id,
    r.course_id,
    coalesce(c.subject, 'unknown') AS subject,
    c.course_type,
    CAST(strptime(CAST(r.order_id // 100000 AS VARCHAR), '%Y%m%d') AS DATE) AS order_date,
    date_diff('day', CAST(strptime(CAST(r.order_id // 100000 AS VARCHAR), '%Y%m%d') AS DATE),
              DATE '${bizdate}') AS days_since_order,
    o.channel AS order_channel,
    o.paid_amount AS order_paid_amount,
    r.refund_amount,
    o.paid_amount IS NOT NULL AND r.refund_amount >= o.paid_amount AS is_full_refund,
    r.reason,
    r.status AS refund_status,
    r.status = 'approved' AS is_approved,
    r.applied_at,
    r.processed_at,
    date_diff('minute', r.applied_at, r.processed_at) AS minutes_to_process,
    '${bizdate}' AS dt
FROM r
LEFT JOIN ods.ods_courses AS c
    ON c.course_id = r.course_id AND c.dt = '${bizdate}'
LEFT JOIN recent_orders AS o
    ON o.order_id = r.order_id

/* kiln
target: ads.ads_revenue_daily
write_mode: overwrite_partition
partition_column: dt
schedule: "30 3 * * *"
upstreams: [dwd_orders, dwd_refunds]
owner: finance-data
tier: core
tags: [edu, ads, finance]
description: >-
  Daily revenue by subject plus an ALL row: orders, paying students, GMV,
  discounts, approved refunds netted out (refunds count on the day they are
  applied for, whenever the order was placed), net revenue and ARPPU.
*/
WITH ord AS (
    SELECT
        CASE WHEN grouping(subject) = 1 THEN 'ALL' ELSE subject END AS subject,
        count(*) AS orders_created,
        count(*) FILTER (WHERE is_paid) AS orders_paid,
        count(DISTINCT student_id) FILTER (WHERE is_paid) AS paying_students,
        count(DISTINCT student_id) FILTER (WHERE is_paid AND is_new_student) AS new_paying_students,
        coalesce(sum(paid_amount) FILTER (WHERE is_paid), 0) AS gmv,
        coalesce(sum(discount_amount) FILTER (WHERE is_paid), 0) AS discount_amount
    FROM dwd.dwd_orders
    WHERE dt = '${bizdate}'
    GROUP BY GROUPING SETS ((subject), ())
),
ref AS (
    SELECT
        CASE WHEN grouping(subject) = 1 THEN 'ALL' ELSE subject END AS subject,
        count(*) FILTER (WHERE is_approved) AS refunds_approved,
        count(*) FILTER (WHERE refund_status = 'pending') AS refunds_pending,
        coalesce(sum(refund_amount) FILTER (WHERE is_approved), 0) AS refund_amount
    FROM dwd.dwd_refunds
    WHERE dt = '${bizdate}'
    GROUP BY GROUPING SETS ((subject), ())
),
subjects AS (
    SELECT subject FROM ord
    UNION
    SELECT subject FROM ref
)
SELECT
    s.subject,
    coalesce(ord.orders_created, 0) AS orders_created,
    coalesce(ord.orders_paid, 0) AS orders_paid,
    coalesce(ord.paying_students, 0) AS paying_students,
    coalesce(ord.new_paying_students, 0) AS new_paying_students,
    coalesce(ord.gmv, 0) AS gmv,
    coalesce(ord.discount_amount, 0) AS discount_amount,
    coalesce(ref.refunds_approved, 0) AS refunds_approved,
    coalesce(ref.refunds_pending, 0) AS refunds_pending,
    coalesce(ref.refund_amount, 0) AS refund_amount,
    coalesce(ord.gmv, 0) - coalesce(ref.refund_amount, 0) AS net_revenue,
    round(coalesce(ref.refund_amount, 0) / nullif(ord.gmv, 0), 4) AS refund_rate,
    CAST(ord.gmv / nullif(ord.paying_students, 0) AS DECIMAL(12, 2)) AS arppu,
    '${bizdate}' AS dt
FROM subjects AS s
LEFT JOIN ord ON ord.subject = s.subject
LEFT JOIN ref ON ref.subject = s.subject

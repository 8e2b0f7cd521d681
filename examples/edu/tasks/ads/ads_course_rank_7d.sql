/* kiln
target: ads.ads_course_rank_7d
write_mode: overwrite_partition
partition_column: dt
schedule: "30 3 * * *"
upstreams: [dws_course_daily, ods_courses]
owner: edu-data
tags: [edu, ads, course]
description: >-
  The top 50 courses by net revenue over the seven days ending on the
  business date, with orders, refunds and learners in the window. Days
  not yet built simply count as empty.
*/
WITH w AS (
    SELECT
        course_id,
        count(DISTINCT dt) AS days_with_data,
        sum(orders_paid) AS orders_paid_7d,
        sum(gmv) AS gmv_7d,
        sum(refund_amount) AS refund_amount_7d,
        sum(net_revenue) AS net_revenue_7d,
        sum(present_rows) AS attendances_7d,
        sum(study_minutes) AS study_minutes_7d
    FROM dws.dws_course_daily
    WHERE dt BETWEEN '${bizdate-6d}' AND '${bizdate}'
    GROUP BY course_id
)
SELECT
    row_number() OVER (ORDER BY w.net_revenue_7d DESC, w.course_id) AS course_rank,
    w.course_id,
    c.course_name,
    c.subject,
    c.course_type,
    c.list_price,
    w.orders_paid_7d,
    w.gmv_7d,
    w.refund_amount_7d,
    w.net_revenue_7d,
    CAST(w.attendances_7d AS BIGINT) AS attendances_7d,
    CAST(w.study_minutes_7d AS BIGINT) AS study_minutes_7d,
    w.days_with_data,
    '${bizdate-6d}' AS window_start,
    '${bizdate}' AS dt
FROM w
LEFT JOIN ods.ods_courses AS c
    ON c.course_id = w.course_id AND c.dt = '${bizdate}'
QUALIFY course_rank <= 50

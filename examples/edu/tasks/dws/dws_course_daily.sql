/* kiln
target: dws.dws_course_daily
write_mode: overwrite_partition
partition_column: dt
schedule: "0 3 * * *"
upstreams: [ods_courses, dwd_orders, dwd_refunds, dwd_lessons, dwd_attendance]
owner: edu-data
tier: core
tags: [edu, dws, course, finance]
description: >-
  One row per course in the day's catalogue: paid orders, GMV, approved
  refunds, net revenue, lessons held and cancelled, attendance and minutes
  studied.
*/
WITH ord AS (
    SELECT
        course_id,
        count(*) FILTER (WHERE is_paid) AS orders_paid,
        count(DISTINCT student_id) FILTER (WHERE is_paid) AS paying_students,
        coalesce(sum(paid_amount) FILTER (WHERE is_paid), 0) AS gmv,
        coalesce(sum(discount_amount) FILTER (WHERE is_paid), 0) AS discount_amount
    FROM dwd.dwd_orders
    WHERE dt = '${bizdate}'
    GROUP BY course_id
),
ref AS (
    SELECT
        course_id,
        count(*) FILTER (WHERE is_approved) AS refunds_approved,
        coalesce(sum(refund_amount) FILTER (WHERE is_approved), 0) AS refund_amount
    FROM dwd.dwd_refunds
    WHERE dt = '${bizdate}'
    GROUP BY course_id
),
les AS (
    SELECT
        course_id,
        count(*) FILTER (WHERE NOT is_cancelled) AS lessons_held,
        count(*) FILTER (WHERE is_cancelled) AS lessons_cancelled
    FROM dwd.dwd_lessons
    WHERE dt = '${bizdate}'
    GROUP BY course_id
),
att AS (
    SELECT
        course_id,
        count(*) AS attendance_rows,
        count(*) FILTER (WHERE is_present) AS present_rows,
        count(DISTINCT student_id) FILTER (WHERE is_present) AS learners,
        CAST(sum(duration_seconds) // 60 AS BIGINT) AS study_minutes
    FROM dwd.dwd_attendance
    WHERE dt = '${bizdate}'
    GROUP BY course_id
)
SELECT
    c.course_id,
    c.course_name,
    c.subject,
    c.course_type,
    c.status AS course_status,
    coalesce(ord.orders_paid, 0) AS orders_paid,
    coalesce(ord.paying_students, 0) AS paying_students,
    coalesce(ord.gmv, 0) AS gmv,
    coalesce(ord.discount_amount, 0) AS discount_amount,
    coalesce(ref.refunds_approved, 0) AS refunds_approved,
    coalesce(ref.refund_amount, 0) AS refund_amount,
    coalesce(ord.gmv, 0) - coalesce(ref.refund_amount, 0) AS net_revenue,
    coalesce(les.lessons_held, 0) AS lessons_held,
    coalesce(les.lessons_cancelled, 0) AS lessons_cancelled,
    coalesce(att.attendance_rows, 0) AS attendance_rows,
    coalesce(att.present_rows, 0) AS present_rows,
    coalesce(att.learners, 0) AS learners,
    coalesce(att.study_minutes, 0) AS study_minutes,
    round(att.present_rows / nullif(att.attendance_rows, 0), 4) AS attendance_rate,
    '${bizdate}' AS dt
FROM ods.ods_courses AS c
LEFT JOIN ord ON ord.course_id = c.course_id
LEFT JOIN ref ON ref.course_id = c.course_id
LEFT JOIN les ON les.course_id = c.course_id
LEFT JOIN att ON att.course_id = c.course_id
WHERE c.dt = '${bizdate}'

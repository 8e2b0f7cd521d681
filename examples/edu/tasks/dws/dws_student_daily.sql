/* kiln
target: dws.dws_student_daily
write_mode: overwrite_partition
partition_column: dt
schedule: "0 3 * * *"
upstreams: [dwd_attendance, dwd_orders, dwd_refunds, ods_students]
owner: edu-data
tier: core
tags: [edu, dws, student]
description: >-
  One row per student active on the day (had a lesson, an order or a refund
  application): lessons scheduled and attended, minutes studied, orders
  paid, money paid and refunded.
*/
WITH att AS (
    SELECT
        student_id,
        count(*) AS lessons_scheduled,
        count(*) FILTER (WHERE is_present) AS lessons_attended,
        count(*) FILTER (WHERE is_late) AS lessons_late,
        count(DISTINCT course_id) FILTER (WHERE is_present) AS courses_studied,
        CAST(sum(duration_seconds) // 60 AS BIGINT) AS study_minutes,
        count(rating) AS ratings_given
    FROM dwd.dwd_attendance
    WHERE dt = '${bizdate}'
    GROUP BY student_id
),
ord AS (
    SELECT
        student_id,
        count(*) AS orders_created,
        count(*) FILTER (WHERE is_paid) AS orders_paid,
        coalesce(sum(paid_amount) FILTER (WHERE is_paid), 0) AS paid_amount
    FROM dwd.dwd_orders
    WHERE dt = '${bizdate}'
    GROUP BY student_id
),
ref AS (
    SELECT
        student_id,
        count(*) AS refunds_applied,
        coalesce(sum(refund_amount) FILTER (WHERE is_approved), 0) AS refund_amount
    FROM dwd.dwd_refunds
    WHERE dt = '${bizdate}'
    GROUP BY student_id
),
ids AS (
    SELECT student_id FROM att
    UNION
    SELECT student_id FROM ord
    UNION
    SELECT student_id FROM ref
)
SELECT
    ids.student_id,
    s.grade,
    s.city,
    s.status AS student_status,
    coalesce(att.lessons_scheduled, 0) AS lessons_scheduled,
    coalesce(att.lessons_attended, 0) AS lessons_attended,
    coalesce(att.lessons_late, 0) AS lessons_late,
    coalesce(att.courses_studied, 0) AS courses_studied,
    coalesce(att.study_minutes, 0) AS study_minutes,
    coalesce(att.ratings_given, 0) AS ratings_given,
    coalesce(ord.orders_created, 0) AS orders_created,
    coalesce(ord.orders_paid, 0) AS orders_paid,
    coalesce(ord.paid_amount, 0) AS paid_amount,
    coalesce(ref.refunds_applied, 0) AS refunds_applied,
    coalesce(ref.refund_amount, 0) AS refund_amount,
    '${bizdate}' AS dt
FROM ids
LEFT JOIN att ON att.student_id = ids.student_id
LEFT JOIN ord ON ord.student_id = ids.student_id
LEFT JOIN ref ON ref.student_id = ids.student_id
LEFT JOIN ods.ods_students AS s
    ON s.student_id = ids.student_id AND s.dt = '${bizdate}'

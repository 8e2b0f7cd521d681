/* kiln
target: dwd.dwd_orders
write_mode: overwrite_partition
partition_column: dt
schedule: "30 2 * * *"
upstreams: [ods_orders, ods_courses, ods_students]
owner: finance-data
tier: core
tags: [edu, dwd, finance]
description: >-
  Cleaned orders of the day: change-capture duplicates collapsed to the
  latest version of each order, internal test orders removed, joined to the
  course (subject, type) and the student (city, grade).
*/
WITH latest AS (
    SELECT *
    FROM ods.ods_orders
    WHERE dt = '${bizdate}'
    QUALIFY row_number() OVER (
        PARTITION BY order_id
        ORDER BY updated_at DESC, paid_at DESC NULLS LAST, status
    ) = 1
)
SELECT
    o.order_id,
    o.student_id,
    o.course_id,
    o.class_id,
    coalesce(c.subject, 'unknown') AS subject,
    c.course_type,
    c.grade_band,
    s.city AS student_city,
    s.grade AS student_grade,
    CAST(s.register_time AS DATE) = DATE '${bizdate}' AS is_new_student,
    o.channel,
    o.coupon_code,
    o.coupon_code IS NOT NULL AS used_coupon,
    o.list_price,
    o.discount_amount,
    o.paid_amount,
    o.pay_method,
    o.status AS order_status,
    o.status = 'paid' AS is_paid,
    o.created_at,
    o.paid_at,
    hour(o.created_at) AS order_hour,
    date_diff('second', o.created_at, o.paid_at) AS seconds_to_pay,
    '${bizdate}' AS dt
FROM latest AS o
LEFT JOIN ods.ods_courses AS c
    ON c.course_id = o.course_id AND c.dt = '${bizdate}'
LEFT JOIN ods.ods_students AS s
    ON s.student_id = o.student_id AND s.dt = '${bizdate}'
WHERE o.channel <> 'internal_test'

/* kiln
target: dws.dws_teacher_daily
write_mode: append
schedule: "0 3 * * *"
upstreams: [dwd_lessons, dwd_attendance, ods_teachers]
owner: teaching-ops
tags: [edu, dws, teacher]
description: >-
  One row per teacher who had a lesson on the day: lessons held, cancelled
  and substituted, minutes taught, late starts, attendance, ratings and the
  teaching fee at the teacher's hourly rate. Appended daily; a rerun of a
  day replaces the rows that day appended.
*/
WITH les AS (
    SELECT
        teacher_id,
        count(*) AS lessons_scheduled,
        count(*) FILTER (WHERE NOT is_cancelled) AS lessons_held,
        count(*) FILTER (WHERE is_cancelled) AS lessons_cancelled,
        count(*) FILTER (WHERE is_substitute) AS substitute_lessons,
        count(*) FILTER (WHERE start_delay_minutes > 5) AS late_starts,
        coalesce(sum(actual_minutes) FILTER (WHERE NOT is_cancelled), 0) AS taught_minutes
    FROM dwd.dwd_lessons
    WHERE dt = '${bizdate}'
    GROUP BY teacher_id
),
att AS (
    SELECT
        teacher_id,
        count(*) AS student_attendances,
        count(*) FILTER (WHERE is_present) AS students_present,
        count(rating) AS ratings,
        sum(rating) AS rating_sum
    FROM dwd.dwd_attendance
    WHERE dt = '${bizdate}'
    GROUP BY teacher_id
)
SELECT
    les.teacher_id,
    t.teacher_name,
    t.subject,
    t.level,
    les.lessons_scheduled,
    les.lessons_held,
    les.lessons_cancelled,
    les.substitute_lessons,
    les.late_starts,
    CAST(les.taught_minutes AS BIGINT) AS taught_minutes,
    coalesce(att.student_attendances, 0) AS student_attendances,
    coalesce(att.students_present, 0) AS students_present,
    coalesce(att.ratings, 0) AS ratings,
    round(att.rating_sum / nullif(att.ratings, 0), 2) AS avg_rating,
    t.hourly_rate,
    CAST(t.hourly_rate * les.taught_minutes / 60 AS DECIMAL(12, 2)) AS teaching_fee,
    '${bizdate}' AS dt
FROM les
LEFT JOIN att ON att.teacher_id = les.teacher_id
LEFT JOIN ods.ods_teachers AS t
    ON t.teacher_id = les.teacher_id AND t.dt = '${bizdate}'

/* kiln
target: dwd.dwd_lessons
write_mode: overwrite_partition
partition_column: dt
schedule: "30 2 * * *"
upstreams: [ods_lessons, ods_classes, ods_courses]
owner: teaching-ops
tags: [edu, dwd, teaching]
description: >-
  Lessons of the day with their class and course, planned and actual
  minutes, start delay, substitute teachers and cancellations.
*/
SELECT
    l.lesson_id,
    l.class_id,
    cl.course_id,
    coalesce(c.subject, 'unknown') AS subject,
    c.course_type,
    l.teacher_id,
    cl.teacher_id AS class_teacher_id,
    l.teacher_id <> cl.teacher_id AS is_substitute,
    l.lesson_no,
    c.lesson_count,
    l.lesson_no = c.lesson_count AS is_last_lesson,
    cl.enrolled AS enrolled_students,
    l.scheduled_start,
    l.scheduled_end,
    l.actual_start,
    l.actual_end,
    date_diff('minute', l.scheduled_start, l.scheduled_end) AS planned_minutes,
    date_diff('minute', l.actual_start, l.actual_end) AS actual_minutes,
    greatest(date_diff('minute', l.scheduled_start, l.actual_start), 0) AS start_delay_minutes,
    l.status AS lesson_status,
    l.status = 'cancelled' AS is_cancelled,
    l.cancel_reason,
    '${bizdate}' AS dt
FROM ods.ods_lessons AS l
LEFT JOIN ods.ods_classes AS cl
    ON cl.class_id = l.class_id AND cl.dt = '${bizdate}'
LEFT JOIN ods.ods_courses AS c
    ON c.course_id = cl.course_id AND c.dt = '${bizdate}'
WHERE l.dt = '${bizdate}'

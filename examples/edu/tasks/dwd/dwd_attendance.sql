/* kiln
target: dwd.dwd_attendance
write_mode: overwrite_partition
partition_column: dt
schedule: "30 2 * * *"
upstreams: [ods_attendance, dwd_lessons]
owner: teaching-ops
tags: [edu, dwd, teaching]
description: >-
  One row per student and lesson of the day, with the lesson's class,
  course, subject and teacher, attendance flags and minutes in class.
*/
SELECT
    a.attendance_id,
    a.lesson_id,
    l.class_id,
    l.course_id,
    l.subject,
    l.course_type,
    l.teacher_id,
    a.student_id,
    a.status AS attend_status,
    a.status <> 'absent' AS is_present,
    a.status = 'late' AS is_late,
    a.status = 'early_leave' AS is_early_leave,
    a.join_time,
    a.leave_time,
    a.duration_seconds,
    a.duration_seconds // 60 AS study_minutes,
    round(least(a.duration_seconds / (l.planned_minutes * 60), 1.0), 3) AS watch_ratio,
    a.device,
    a.rating,
    l.scheduled_start AS lesson_start,
    '${bizdate}' AS dt
FROM ods.ods_attendance AS a
JOIN dwd.dwd_lessons AS l
    ON l.lesson_id = a.lesson_id AND l.dt = '${bizdate}'
WHERE a.dt = '${bizdate}'

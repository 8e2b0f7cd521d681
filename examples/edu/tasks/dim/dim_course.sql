/* kiln
target: dim.dim_course
write_mode: overwrite
schedule: "30 2 * * *"
upstreams: [ods_courses, ods_classes]
owner: edu-data
tags: [edu, dim, course]
description: >-
  The course catalogue as of the latest run, with price per lesson and the
  number of classes, teachers and students currently running each course.
  Rebuilt whole every day.
*/
WITH cls AS (
    SELECT
        course_id,
        count(*) AS classes_listed,
        count(*) FILTER (WHERE status = 'ongoing') AS classes_ongoing,
        count(*) FILTER (WHERE status = 'upcoming') AS classes_upcoming,
        coalesce(sum(enrolled) FILTER (WHERE status = 'ongoing'), 0) AS students_ongoing,
        count(DISTINCT teacher_id) AS teachers
    FROM ods.ods_classes
    WHERE dt = '${bizdate}'
    GROUP BY course_id
)
SELECT
    c.course_id,
    c.course_name,
    c.subject,
    c.grade_band,
    c.course_type,
    c.list_price,
    c.lesson_count,
    c.lesson_minutes,
    CAST(c.list_price / c.lesson_count AS DECIMAL(10, 2)) AS price_per_lesson,
    c.launch_date,
    c.status,
    c.status = 'on_sale' AS is_on_sale,
    coalesce(cls.classes_listed, 0) AS classes_listed,
    coalesce(cls.classes_ongoing, 0) AS classes_ongoing,
    coalesce(cls.classes_upcoming, 0) AS classes_upcoming,
    coalesce(cls.students_ongoing, 0) AS students_ongoing,
    coalesce(cls.teachers, 0) AS teachers,
    '${bizdate}' AS snapshot_dt
FROM ods.ods_courses AS c
LEFT JOIN cls ON cls.course_id = c.course_id
WHERE c.dt = '${bizdate}'

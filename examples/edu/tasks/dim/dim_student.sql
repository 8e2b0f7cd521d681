/* kiln
target: dim.dim_student
write_mode: merge
unique_key: [student_id]
schedule: "30 2 * * *"
upstreams: [ods_students]
owner: edu-data
tier: core
tags: [edu, dim, student]
description: >-
  One row per student with the latest attributes (grade, city, status, VIP
  level), merged on student_id from the day's snapshot. A student that
  disappears from the source keeps the last row it had.
*/
SELECT
    student_id,
    student_name,
    gender,
    birth_date,
    date_diff('year', birth_date, DATE '${bizdate}') AS age,
    grade,
    CASE
        WHEN grade = 'alumni' THEN 'alumni'
        WHEN TRY_CAST(substr(grade, 2) AS INTEGER) <= 6 THEN 'primary'
        WHEN TRY_CAST(substr(grade, 2) AS INTEGER) <= 9 THEN 'junior_high'
        ELSE 'senior_high'
    END AS grade_band,
    coalesce(city, 'unknown') AS city,
    coalesce(province, 'unknown') AS province,
    school,
    channel AS register_channel,
    register_time,
    CAST(register_time AS DATE) AS register_date,
    status,
    status = 'active' AS is_active,
    vip_level,
    updated_at,
    '${bizdate}' AS last_snapshot_dt
FROM ods.ods_students
WHERE dt = '${bizdate}'

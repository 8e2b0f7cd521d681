/* kiln
target: dim.dim_teacher
write_mode: merge
unique_key: [teacher_id]
schedule: "30 2 * * *"
upstreams: [ods_teachers]
owner: teaching-ops
tags: [edu, dim, teacher]
description: >-
  One row per teacher with the latest subject, level, hourly rate and status,
  merged on teacher_id from the day's snapshot.
*/
SELECT
    teacher_id,
    teacher_name,
    gender,
    subject,
    level,
    city,
    hire_date,
    date_diff('day', hire_date, DATE '${bizdate}') AS tenure_days,
    hourly_rate,
    status,
    status = 'active' AS is_active,
    updated_at,
    '${bizdate}' AS last_snapshot_dt
FROM ods.ods_teachers
WHERE dt = '${bizdate}'

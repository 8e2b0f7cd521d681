/* kiln
target: ods.ods_attendance
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: normal
tags: [edu, ods, events]
description: The day's attendance records, one per student and lesson. Loaded from source_dir/dt=BIZDATE/attendance.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/attendance.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'attendance_id':    'BIGINT',
        'lesson_id':        'BIGINT',
        'student_id':       'BIGINT',
        'join_time':        'TIMESTAMP',
        'leave_time':       'TIMESTAMP',
        'duration_seconds': 'INTEGER',
        'status':           'VARCHAR',
        'device':           'VARCHAR',
        'rating':           'INTEGER'
    }
)

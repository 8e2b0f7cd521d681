/* kiln
target: ods.ods_lessons
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: normal
tags: [edu, ods, events]
description: The day's scheduled lessons, finished or cancelled. Loaded from source_dir/dt=BIZDATE/lessons.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/lessons.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'lesson_id':       'BIGINT',
        'class_id':        'BIGINT',
        'teacher_id':      'INTEGER',
        'lesson_no':       'INTEGER',
        'scheduled_start': 'TIMESTAMP',
        'scheduled_end':   'TIMESTAMP',
        'actual_start':    'TIMESTAMP',
        'actual_end':      'TIMESTAMP',
        'status':          'VARCHAR',
        'cancel_reason':   'VARCHAR'
    }
)

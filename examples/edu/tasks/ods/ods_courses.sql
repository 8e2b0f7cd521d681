/* kiln
target: ods.ods_courses
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: core
tags: [edu, ods, snapshot]
description: Daily full snapshot of the course catalogue with list prices. Loaded from source_dir/dt=BIZDATE/courses.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/courses.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'course_id':      'INTEGER',
        'course_name':    'VARCHAR',
        'subject':        'VARCHAR',
        'grade_band':     'VARCHAR',
        'course_type':    'VARCHAR',
        'list_price':     'DECIMAL(10,2)',
        'lesson_count':   'INTEGER',
        'lesson_minutes': 'INTEGER',
        'launch_date':    'DATE',
        'status':         'VARCHAR',
        'updated_at':     'TIMESTAMP'
    }
)

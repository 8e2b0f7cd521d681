/* kiln
target: ods.ods_teachers
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: normal
tags: [edu, ods, snapshot]
description: Daily full snapshot of the teachers table of the teaching system. Loaded from source_dir/dt=BIZDATE/teachers.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/teachers.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'teacher_id':   'INTEGER',
        'teacher_name': 'VARCHAR',
        'gender':       'VARCHAR',
        'subject':      'VARCHAR',
        'level':        'VARCHAR',
        'city':         'VARCHAR',
        'hire_date':    'DATE',
        'hourly_rate':  'DECIMAL(10,2)',
        'status':       'VARCHAR',
        'updated_at':   'TIMESTAMP'
    }
)

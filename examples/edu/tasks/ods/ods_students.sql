/* kiln
target: ods.ods_students
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: core
tags: [edu, ods, snapshot]
description: Daily full snapshot of the students table of the learning platform. Loaded from source_dir/dt=BIZDATE/students.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/students.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'student_id':    'BIGINT',
        'student_name':  'VARCHAR',
        'gender':        'VARCHAR',
        'birth_date':    'DATE',
        'grade':         'VARCHAR',
        'city':          'VARCHAR',
        'province':      'VARCHAR',
        'school':        'VARCHAR',
        'channel':       'VARCHAR',
        'register_time': 'TIMESTAMP',
        'status':        'VARCHAR',
        'vip_level':     'INTEGER',
        'updated_at':    'TIMESTAMP'
    }
)

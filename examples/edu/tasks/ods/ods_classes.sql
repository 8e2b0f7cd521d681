/* kiln
target: ods.ods_classes
write_mode: overwrite_partition
partition_column: dt
schedule: "0 2 * * *"
upstreams: [gen_source]
owner: edu-data
tier: normal
tags: [edu, ods, snapshot]
description: Daily snapshot of classes that are upcoming, ongoing or finished within two weeks. Loaded from source_dir/dt=BIZDATE/classes.csv; one partition per day.
*/
SELECT
    *,
    '${bizdate}' AS dt
FROM read_csv(
    '${source_dir}/dt=${bizdate}/classes.csv',
    header = true,
    delim = ',',
    quote = '"',
    hive_partitioning = false,
    columns = {
        'class_id':     'BIGINT',
        'class_name':   'VARCHAR',
        'course_id':    'INTEGER',
        'teacher_id':   'INTEGER',
        'assistant_id': 'INTEGER',
        'capacity':     'INTEGER',
        'enrolled':     'INTEGER',
        'start_date':   'DATE',
        'end_date':     'DATE',
        'weekdays':     'VARCHAR',
        'start_clock':  'TIME',
        'status':       'VARCHAR'
    }
)

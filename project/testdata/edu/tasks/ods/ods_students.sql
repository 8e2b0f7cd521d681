/* kiln
target: ods.ods_students
schedule: {cron: "@daily", timezone: UTC}
upstreams: [gen_source]
retries: 0
*/
-- a full snapshot every day
SELECT * FROM read_csv('${source_dir}/students.csv')

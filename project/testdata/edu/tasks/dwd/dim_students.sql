/* kiln
target: dwd.dim_students
write_mode: merge
unique_key: [student_id]
upstreams: [ods_students]
*/
WITH latest AS (SELECT * FROM ods.ods_students)
SELECT * FROM latest

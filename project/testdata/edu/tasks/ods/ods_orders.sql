/* kiln
target: ods.ods_orders
write_mode: overwrite_partition
partition_column: dt
schedule: "0 1 * * *"
upstreams: [gen_source]
*/
SELECT *, '${bizdate}' AS dt
FROM read_csv('${source_dir}/orders_${bizdate_nodash}.csv')

/* kiln
target: ads.ads_kpi_month
write_mode: overwrite_partition
partition_column: month
partition_value: "${month_start}"
schedule: "30 3 * * *"
upstreams: [ads_revenue_daily, dws_student_daily, ods_students]
owner: finance-data
tier: core
tags: [edu, ads, finance, kpi]
description: >-
  Month-to-date KPIs, one row per month, replaced each day: GMV, refunds and
  net revenue since the first of the month, a straight-line forecast for the
  month, learners, payers and new registrations.
*/
WITH rev AS (
    SELECT
        count(*) AS days_with_revenue,
        coalesce(sum(orders_paid), 0) AS orders_paid_mtd,
        coalesce(sum(gmv), 0) AS gmv_mtd,
        coalesce(sum(refund_amount), 0) AS refund_amount_mtd,
        coalesce(sum(net_revenue), 0) AS net_revenue_mtd
    FROM ads.ads_revenue_daily
    WHERE subject = 'ALL' AND dt BETWEEN '${month_start}' AND '${bizdate}'
),
act AS (
    SELECT
        count(DISTINCT student_id) FILTER (WHERE lessons_attended > 0) AS learners_mtd,
        count(DISTINCT student_id) FILTER (WHERE orders_paid > 0) AS payers_mtd,
        coalesce(CAST(sum(study_minutes) AS BIGINT), 0) AS study_minutes_mtd
    FROM dws.dws_student_daily
    WHERE dt BETWEEN '${month_start}' AND '${bizdate}'
),
reg AS (
    SELECT count(*) AS new_students_mtd
    FROM ods.ods_students
    WHERE dt = '${bizdate}'
      AND register_time >= TIMESTAMP '${month_start} 00:00:00'
      AND register_time < TIMESTAMP '${bizdate+1d} 00:00:00'
),
days AS (
    SELECT
        date_diff('day', DATE '${month_start}', DATE '${bizdate}') + 1 AS days_elapsed,
        date_diff('day', DATE '${month_start}', DATE '${month_end}') + 1 AS days_in_month
)
SELECT
    '${bizdate}' AS as_of_dt,
    days.days_elapsed,
    days.days_in_month,
    rev.days_with_revenue,
    rev.orders_paid_mtd,
    rev.gmv_mtd,
    rev.refund_amount_mtd,
    rev.net_revenue_mtd,
    CAST(rev.net_revenue_mtd * days.days_in_month / days.days_elapsed AS DECIMAL(14, 2)) AS net_revenue_forecast,
    act.learners_mtd,
    act.payers_mtd,
    act.study_minutes_mtd,
    reg.new_students_mtd,
    '${month_start}' AS month
FROM rev, act, reg, days

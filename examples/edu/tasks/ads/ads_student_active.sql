/* kiln
target: ads.ads_student_active
write_mode: merge
unique_key: [dt]
schedule: "30 3 * * *"
upstreams: [dws_student_daily]
owner: growth-data
tags: [edu, ads, student, growth]
description: >-
  Learning activity, one row per day merged on dt: daily, weekly (7-day) and
  monthly (30-day) active learners, next-day retention of yesterday's
  learners and week-over-week retention of last week's learners.
*/
WITH learners AS (
    SELECT DISTINCT dt, student_id
    FROM dws.dws_student_daily
    WHERE dt BETWEEN '${bizdate-29d}' AND '${bizdate}' AND lessons_attended > 0
),
today AS (
    SELECT student_id FROM learners WHERE dt = '${bizdate}'
),
yesterday AS (
    SELECT student_id FROM learners WHERE dt = '${bizdate-1d}'
),
this_week AS (
    SELECT DISTINCT student_id FROM learners WHERE dt BETWEEN '${bizdate-6d}' AND '${bizdate}'
),
last_week AS (
    SELECT DISTINCT student_id FROM learners WHERE dt BETWEEN '${bizdate-13d}' AND '${bizdate-7d}'
),
m AS (
    SELECT
        (SELECT count(*) FROM today) AS dau,
        (SELECT count(*) FROM this_week) AS wau,
        (SELECT count(DISTINCT student_id) FROM learners) AS mau,
        (SELECT count(*) FROM yesterday) AS learners_yesterday,
        (SELECT count(*) FROM yesterday AS y WHERE y.student_id IN (SELECT student_id FROM today)) AS retained_next_day,
        (SELECT count(*) FROM last_week) AS learners_last_week,
        (SELECT count(*) FROM last_week AS l WHERE l.student_id IN (SELECT student_id FROM this_week)) AS retained_next_week
)
SELECT
    '${bizdate}' AS dt,
    dau,
    wau,
    mau,
    round(dau / nullif(mau, 0), 4) AS stickiness,
    learners_yesterday,
    retained_next_day,
    round(retained_next_day / nullif(learners_yesterday, 0), 4) AS next_day_retention,
    learners_last_week,
    retained_next_week,
    round(retained_next_week / nullif(learners_last_week, 0), 4) AS next_week_retention
FROM m

-- Connector $1's samples of the last $2 minutes, summed over its tasks per 15 s: (start
-- of the interval as epoch milliseconds, rows, dead letters, lag; NULL when no task
-- measured it). A task's counters start from 0 when it starts: the rate is the increase.
SELECT (extract(epoch FROM date_bin('15 seconds', at, TIMESTAMPTZ 'epoch')) * 1000)::int8 AS bucket,
       sum(rows)::int8, sum(dead_letters)::int8, sum(lag)::int8
FROM (
    SELECT DISTINCT ON (task, date_bin('15 seconds', at, TIMESTAMPTZ 'epoch'))
           task, at, rows, dead_letters, lag
    FROM inlet.task_samples
    WHERE connector = $1 AND at > now() - make_interval(mins => $2)
    ORDER BY task, date_bin('15 seconds', at, TIMESTAMPTZ 'epoch'), at DESC
) AS latest
GROUP BY bucket
ORDER BY bucket

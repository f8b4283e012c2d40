-- A scheduler activation becomes the job's only writer: the first gets epoch 1, each later one the next.
INSERT INTO job_ledgers (job_id, epoch)
VALUES (@job, 1)
ON CONFLICT (job_id) DO UPDATE SET epoch = job_ledgers.epoch + 1
RETURNING epoch

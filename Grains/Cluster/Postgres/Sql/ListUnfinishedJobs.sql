SELECT id FROM jobs WHERE finished_at IS NULL ORDER BY seq;

SELECT id, spec, max_attempts, created_at FROM jobs WHERE id = @id;

SELECT id, spec, max_attempts, created_at FROM jobs WHERE idempotency_key = @idempotency_key;

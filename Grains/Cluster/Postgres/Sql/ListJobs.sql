SELECT id FROM jobs ORDER BY seq DESC LIMIT @limit;

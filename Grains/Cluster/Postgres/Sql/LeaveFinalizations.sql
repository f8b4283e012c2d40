-- Its finalisations become claimable at once; its token no longer completes them.
UPDATE jobs
SET finalize_expires_at = '-infinity'
WHERE state = 'finalizing' AND finalize_owner = @node;

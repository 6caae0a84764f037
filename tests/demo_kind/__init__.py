"""A ticket kind that exists only in the tests (issue #18): a model, a workflow table and an
approval step, and nothing else — the kernel (tickets/) gives it transitions, the hash-chained
history, the timeline, attachments, approvals and tenancy."""

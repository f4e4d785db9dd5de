"""Applications, candidates and credits: applying, attribution, the credit
ledger, the pipeline and interviews, shortlists and their exports, CV files, referrals.

See ARCHITECTURE.md."""

-- The staff loan page lists a loan's newest postings: read in date order
-- from this index instead of sorting every posting of the loan (a 30-year
-- loan has thousands). Measured in docs/benchmarks.md (the page, and the
-- end-of-day batch that writes one more index entry per posting).
CREATE INDEX postings_loan_day ON postings(loan_id, business_date, created_at);

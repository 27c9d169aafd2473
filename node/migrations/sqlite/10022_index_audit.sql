-- Every index here is one some query reads, and no bigger than that query needs
-- (`schema::tests` asks SQLite's planner for each).
--
-- No query reads the facts by month (the rollups answer months).
DROP INDEX node_case_facts_month;
-- The supervised worklist filters on a due supervision and orders by it; few
-- cases carry one, so the index holds only those.
DROP INDEX node_cases_supervision;
CREATE INDEX node_cases_supervised ON node_cases (supervision_due, case_no)
    WHERE supervision_due IS NOT NULL;
-- Searches by a keyed hash name one, so rows without it need no entry.
DROP INDEX node_cases_phone_hash;
CREATE INDEX node_cases_phone_hash ON node_cases (phone_hash) WHERE phone_hash IS NOT NULL;
DROP INDEX node_cases_match;
CREATE INDEX node_cases_match ON node_cases (id_hash, category) WHERE id_hash IS NOT NULL;
-- Overdue questions compare a deadline, which closed cases no longer have.
DROP INDEX node_case_facts_due;
CREATE INDEX node_case_facts_due ON node_case_facts (next_due) WHERE next_due IS NOT NULL;
DROP INDEX node_case_facts_due_unit;
CREATE INDEX node_case_facts_due_unit ON node_case_facts (next_due_unit, next_due)
    WHERE next_due IS NOT NULL;
-- Personal data is found through the cases' hashes; nothing reads node_pii by one.
DROP INDEX node_pii_id_hash;
DROP INDEX node_pii_phone_hash;

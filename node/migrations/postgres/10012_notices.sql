-- The document numbers of printed notices (信受〔2026〕3号): one series per
-- issuing unit, kind of notice and year, raised when a notice is issued.
CREATE TABLE node_notice_counters (
    unit   TEXT NOT NULL,
    series TEXT NOT NULL,
    year   BIGINT NOT NULL,
    last   BIGINT NOT NULL,
    PRIMARY KEY (unit, series, year)
);

//! Every integration test of whole federations, in one test binary.
//!
//! One file per subject, each a module here: forty-odd separate binaries each
//! linked the whole node (≈130 MB apiece in a debug build), which filled CI
//! disks and spent minutes linking. `cargo test -p xinfang-tests --test suite
//! console::` runs one subject; the filter matches the module path.

mod accountability;
mod accounts;
mod authorization;
mod bad_inputs;
mod bulletins;
mod certificates;
mod clocks;
mod console;
mod console_admin;
mod console_attendance;
mod console_duty;
mod console_history;
mod console_notices;
mod console_receptions;
mod console_register;
mod console_reports;
mod console_schedules;
mod console_steps;
mod console_suggestions;
mod console_worklist;
mod departments;
mod duty_rosters;
mod federation;
mod grpc_tools;
mod holiday_calendar;
mod house;
mod ledger;
mod letters;
mod lifecycle;
mod limits;
mod metrics;
mod notices;
mod outbox;
mod owned_case_library;
mod petitioners;
mod public_page;
mod published_plan;
mod quota_rules;
mod reception_days;
mod regulation;
mod reports;
mod restore;
mod schedules;
mod storage;
mod trust;

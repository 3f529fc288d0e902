//! The integration tests, built as one test binary: each module is one subject's tests, and
//! `common` is what the command-line tests share. One binary links the library once instead of
//! once per file, which keeps a clean build's time and disk use down.
//!
//! `input_alloc` stays a binary of its own: it installs a counting global allocator, which must
//! not see the allocations of other tests running beside it.

mod common;

mod check;
mod corpus;
mod diff;
mod docs;
mod engines;
mod explain;
mod format;
mod generate;
mod history_run;
mod impact;
mod input_config;
mod input_decode;
mod input_reader;
mod keywords;
mod mid_period_change;
mod policies;
mod robustness;
mod run;
mod run_balances;
mod run_caps;
mod run_credit;
mod run_empty;
mod run_paid;
mod run_per_record;
mod run_rejects;
mod run_returns;
mod targets;
mod targets_cli;
mod verify;

//! The evaluator's exact building blocks: commission tiers, allocation by weights, and the
//! fiscal calendar. They do no I/O and never use floating point.

pub mod allocate;
pub mod calendar;
pub mod per_record;
pub mod policy_tests;
pub mod returns;
pub mod rules;
pub mod targets;
pub mod tiers;

//! The pest parser. Its `Rule` type never leaves the `syntax` module.

#[derive(pest_derive::Parser)]
#[grammar = "grammar/keywords.pest"]
#[grammar = "grammar/policy.pest"]
pub(super) struct PolicyParser;

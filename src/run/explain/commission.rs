//! A commission explained: its tiers, its records paid one by one, what was taken back, and
//! its limits over its own and longer periods.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::*;
use crate::eval::tiers;
use crate::run::limits;

impl Explainer<'_, '_> {
    pub(super) fn commission(&self, out: &mut String, rules: &mut Rules, c: &Commission) {
        const PAID: [&str; 2] = ["commission", "clawback"];
        let _ = writeln!(out, "\ncommission {}   [{}]", c.name.text, self.at(c.name.span));
        let line = self.line(&PAID, &c.name.text);
        let (so_far, earlier) = self.so_far(&PAID, &c.name.text, PeriodKind::Year);
        let state = self.state;
        if c.year_to_date.is_some() {
            let base = rules.value(&c.base).map(|v| opt(&v)).unwrap_or_else(|e| e.message);
            let _ = writeln!(out, "  this period: base {} = {base}", show(&c.base, Lang::En));
            let period = self.period();
            let Some(ytd) = state.slots.iter().position(|y| y.year_to_date && y.period == period) else {
                return self.amount(out, line);
            };
            let y = state.slots[ytd];
            let _ = writeln!(out, "  year to date, {} to {}:", y.start, y.end);
            let place = Place {
                state,
                rep: self.rep,
                slot: ytd,
            };
            let mut ytd_rules = state.rules(self.rep, ytd).with_world(&place);
            let raw = tier_lines(out, &mut ytd_rules, c);
            self.limits(out, &mut ytd_rules, c, raw, false);
            let total = match ytd_rules.commission(c) {
                Ok(d) => d,
                Err(e) => {
                    let _ = writeln!(out, "  {}", e.message);
                    return self.amount(out, line);
                }
            };
            let _ = writeln!(out, "  year-to-date commission {}", self.money(total));
            let _ = writeln!(
                out,
                "  less paid so far this fiscal year {} ({earlier})",
                self.money(so_far)
            );
            self.longer_limits(out, c, total - so_far);
            return self.amount(out, line);
        }
        // Returns of earlier periods' sales are out of the base (`run::returns`).
        let place = Place {
            state,
            rep: self.rep,
            slot: self.slot,
        };
        let linked = match state.linked_returns(self.rep, self.slot, c) {
            Ok(l) => l.filter(|l| !l.by_period.is_empty()),
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
                return self.amount(out, line);
            }
        };
        let mut unlinked = match &linked {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "  returns of earlier periods' sales, {} in all, are left out of the base: {} less them",
                    self.money(l.total),
                    l.metric
                );
                match state.without_linked(&place, l) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        let _ = writeln!(out, "  {}", e.message);
                        return self.amount(out, line);
                    }
                }
            }
            None => None,
        };
        match unlinked.as_mut() {
            Some(own) => self.period_commission(out, own, c),
            None => self.period_commission(out, rules, c),
        }
        self.amount(out, line);
        if linked.is_some() {
            self.taken_back(out, c);
        }
    }

    /// A commission paid on its period's own figures: tiers or records, limits, and the caps
    /// and minimums over longer periods.
    fn period_commission(&self, out: &mut String, rules: &mut Rules, c: &Commission) {
        let raw = if c.per_record.is_some() {
            self.records(out, rules, c)
        } else {
            tier_lines(out, rules, c)
        };
        self.limits(out, rules, c, raw, true);
        let settled = if c.per_record.is_some() {
            self.state.per_record(self.rep, self.slot, c, rules)
        } else {
            rules.commission(c)
        };
        match settled {
            Ok(amount) => self.longer_limits(out, c, amount),
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
            }
        }
    }

    /// The clawback lines of returns taken back at the rate their sales' periods paid.
    fn taken_back(&self, out: &mut String, c: &Commission) {
        let period = self.period();
        for l in self.lines.iter().filter(|l| {
            l.period == period && l.name == c.name.text && l.component == "clawback" && l.rate.starts_with("returns of")
        }) {
            let _ = writeln!(
                out,
                "  {}: {} → {} (clawback line of payouts.csv)",
                l.rate,
                l.base.map(|b| self.money(b)).unwrap_or_default(),
                self.money(l.amount)
            );
        }
    }

    /// The caps and minimums over longer periods, as the run applies them to the period's
    /// `amount` (`run::limits`), from what the earlier periods paid.
    fn longer_limits(&self, out: &mut String, c: &Commission, amount: Decimal) {
        const PAID: [&str; 2] = ["commission", "clawback"];
        let period = self.period();
        let cal = &self.state.cal;
        let paid: Vec<(Period, Decimal)> = self
            .lines
            .iter()
            .filter(|l| {
                l.name == c.name.text
                    && PAID.contains(&l.component)
                    && l.period.kind == period.kind
                    && l.period.fiscal_year == period.fiscal_year
                    && cal.start(l.period) < cal.start(period)
            })
            .map(|l| (l.period, l.amount))
            .collect();
        let applied = match limits::apply_longer(c, period, cal, &paid, amount) {
            Ok((_, applied)) => applied,
            Err(_) => {
                let _ = writeln!(out, "  arithmetic overflow adding up what the commission paid");
                return;
            }
        };
        if !applied.is_empty() {
            let _ = writeln!(out, "  commission of the period {}", self.money(amount));
        }
        for a in applied {
            let (kind, outer) = match a.limit.per {
                PeriodKind::Month => ("monthly", "month"),
                PeriodKind::Quarter => ("quarterly", "quarter"),
                PeriodKind::Year => ("yearly", "fiscal year"),
            };
            let (_, earlier) = self.so_far(&PAID, &c.name.text, a.limit.per);
            let left = a.limit.amount.value - a.so_far;
            let (what, verdict) = match (a.minimum, a.from == a.to) {
                (false, true) => ("cap", "not reached".to_string()),
                (false, false) => (
                    "cap",
                    format!("the cap bit: {} → {}", self.money(a.from), self.money(a.to)),
                ),
                (true, true) => ("minimum", "already met".to_string()),
                (true, false) => (
                    "minimum",
                    format!("topped up: {} → {}", self.money(a.from), self.money(a.to)),
                ),
            };
            let left = if a.minimum { left } else { left.max(Decimal::ZERO) };
            let _ = writeln!(
                out,
                "  {kind} {what} {}: paid so far this {outer} {} ({earlier}), {} {}: {verdict}",
                a.limit.amount.text,
                self.money(a.so_far),
                if a.minimum { "short by" } else { "remains" },
                self.money(left),
            );
        }
    }

    /// The records of a `per record` commission's period, each with what it paid; their sum,
    /// or `None` when nothing more applies to it.
    fn records(&self, out: &mut String, rules: &mut Rules, c: &Commission) -> Option<Decimal> {
        let state = self.state;
        let base = rules.value(&c.base).map(|v| opt(&v)).unwrap_or_else(|e| e.message);
        let _ = writeln!(out, "  base {} = {base} this period", show(&c.base, Lang::En));
        let pays = match state.record_pays(self.rep, self.slot, c, true) {
            Ok(p) => p,
            Err(e) => {
                let _ = writeln!(out, "  {}", e.message);
                return None;
            }
        };
        let file = state
            .record_bases
            .get(c.name.text.as_str())
            .map(|&(_, spec)| self.source_file(&state.specs[spec].source))
            .unwrap_or_default();
        let by =
            c.by.as_ref()
                .map(|e| show(e, Lang::En))
                .unwrap_or_else(|| "base".into());
        let _ = writeln!(
            out,
            "  per record: {} record(s) of {file}, each paid at the tier the year's running {by} reaches:",
            pays.len()
        );
        let amount = |d: Decimal| d.round_dp(6).normalize().to_string();
        let measure = |m: Option<Decimal>| m.map_or("empty".into(), amount);
        for p in pays.iter().take(RECORDS_SHOWN) {
            let _ = writeln!(
                out,
                "    {} line {}: {}, year so far {} → {}, {by} {} → {}: pays {}",
                p.day,
                p.line,
                amount(p.amount),
                amount(p.before.0),
                amount(p.after.0),
                measure(p.before.1),
                measure(p.after.1),
                amount(p.paid)
            );
        }
        if pays.len() > RECORDS_SHOWN {
            let rest = sum(pays.iter().skip(RECORDS_SHOWN).map(|p| p.paid));
            let rest = rest.map_or("(arithmetic overflow)".into(), amount);
            let _ = writeln!(
                out,
                "    and {} more record(s), paying {rest}",
                pays.len() - RECORDS_SHOWN
            );
        }
        let Some(total) = sum(pays.iter().map(|p| p.paid)) else {
            let _ = writeln!(out, "  arithmetic overflow");
            return None;
        };
        let _ = writeln!(out, "  records pay {}", amount(total));
        if total < Decimal::ZERO {
            let _ = match c.claws_back() {
                true => writeln!(out, "  returns outweigh sales: clawed back"),
                false => writeln!(
                    out,
                    "  returns outweigh sales: not clawed back without `claw back returns`, pays 0"
                ),
            };
            return None;
        }
        Some(total)
    }

    /// Gates, then minimums and caps as they apply to the tiers' payout `raw` (the yearly caps a
    /// run tracks across the periods are left out when `skip_tracked`).
    fn limits(&self, out: &mut String, rules: &mut Rules, c: &Commission, raw: Option<Decimal>, skip_tracked: bool) {
        for g in &c.gates {
            let _ = writeln!(out, "  gate {}: {}", show(&g.cond, Lang::En), decided(rules, &g.cond));
        }
        if !rules.gates_hold(c).unwrap_or(false) {
            let _ = writeln!(out, "  a gate does not hold: 0");
            return;
        }
        let Some(mut amount) = raw else { return };
        // A minimum over a longer period is made good over that period (`longer_limits`).
        for m in c.minimums.iter().filter(|m| !self.tracked(m)) {
            let how = if amount < m.amount.value {
                "raises it"
            } else {
                "not needed"
            };
            let _ = writeln!(out, "  minimum {} {}: {how}", m.amount.text, per_word(m.per));
            amount = amount.max(m.amount.value);
        }
        for cap in &c.caps {
            if skip_tracked && self.tracked(cap) {
                continue;
            }
            let how = if amount > cap.amount.value {
                "lowers it"
            } else {
                "not reached"
            };
            let _ = writeln!(out, "  cap {} {}: {how}", cap.amount.text, per_word(cap.per));
            amount = amount.min(cap.amount.value);
        }
    }
}

/// The base and measure of a commission and the tier slices they pay; the tiers' payout, or
/// `None` when nothing more applies to it (an empty value, net returns).
fn tier_lines(out: &mut String, rules: &mut Rules, c: &Commission) -> Option<Decimal> {
    let base = rules.value(&c.base);
    let measure = match &c.by {
        Some(by) => rules.value(by),
        None => base.clone(),
    };
    let by =
        c.by.as_ref()
            .map(|e| format!(", measure {}", show(e, Lang::En)))
            .unwrap_or_default();
    let (b, m) = match (&base, &measure) {
        (Ok(Some(Value::Num(b))), Ok(Some(Value::Num(m)))) => (*b, *m),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(out, "  {}", e.message);
            return None;
        }
        _ => {
            let _ = writeln!(out, "  the base or the measure is empty: pays 0");
            return None;
        }
    };
    let _ = writeln!(
        out,
        "  base {} = {}{by} = {}",
        show(&c.base, Lang::En),
        b.normalize(),
        m.round_dp(6).normalize()
    );
    if b < Decimal::ZERO && c.claws_back() {
        let _ = writeln!(
            out,
            "  net returns: clawed back at the rate of the band the measure falls in"
        );
        return None;
    }
    let Ok(paid) = tiers::pay(c.mode, &crate::eval::rules::bands(c), b, m) else {
        let _ = writeln!(out, "  arithmetic overflow");
        return None;
    };
    for slice in &paid.slices {
        let range = show_range(&c.tiers[slice.band]);
        let _ = match slice.rate {
            Some(rate) => writeln!(
                out,
                "  {range}: {} × {}% = {}",
                slice.base.round_dp(2).normalize(),
                (rate * Decimal::ONE_HUNDRED).normalize(),
                slice.amount.round_dp(2).normalize()
            ),
            None => writeln!(out, "  {range}: fixed {}", slice.amount.normalize()),
        };
    }
    let _ = writeln!(out, "  tiers pay {}", paid.amount.round_dp(6).normalize());
    Some(paid.amount)
}

//! The lines the rules give, and where they go: period by period, in roster order, to a
//! [`LineSink`]. A run that is written out streams them into its files as they come, so they
//! are never all held at once; a run compared or explained collects them in a `RunOutput`.

use rust_decimal::Decimal;

use super::{RunError, RunOutput, cells};
use crate::eval::calendar::Period;

/// One line of `scores.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreLine {
    pub rep: String,
    pub period: Period,
    /// Each metric's value as written, in the order the policy defines them; empty when it has
    /// none.
    pub metrics: cells::Cells,
    pub score: Option<Decimal>,
    pub grade: Option<String>,
}

/// One line of `payouts.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutLine {
    pub rep: String,
    pub period: Period,
    /// `commission`, `bonus`, `spif` or `deduction`.
    pub component: &'static str,
    pub name: String,
    pub base: Option<Decimal>,
    /// The rate or tier applied, in words.
    pub rate: String,
    pub amount: Decimal,
}

/// One line of `measures.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureLine {
    pub rep: String,
    pub period: Period,
    pub measure: String,
    pub evidence: String,
}

/// What the rules gave in one period for some or all of the roster, in roster order.
#[derive(Debug, Default)]
pub struct PeriodLines {
    pub scores: Vec<ScoreLine>,
    pub payouts: Vec<PayoutLine>,
    pub measures: Vec<MeasureLine>,
    /// Payout lines of periods before the run's own, computed for the balances (see
    /// `RunOutput::earlier`).
    pub earlier: Vec<PayoutLine>,
}

/// Where the rules' lines go as each period is done.
pub trait LineSink {
    /// Takes one period's lines; an error stops the run.
    fn take(&mut self, lines: PeriodLines) -> Result<(), RunError>;

    /// Told, before any line, how many score lines the run will give in all.
    fn expect(&mut self, _score_lines: usize) {}
}

/// Collects every line.
impl LineSink for RunOutput {
    /// Reserved at once: a vector grown by doubling can hold twice the lines for a while.
    fn expect(&mut self, score_lines: usize) {
        self.scores.reserve_exact(score_lines);
    }

    fn take(&mut self, lines: PeriodLines) -> Result<(), RunError> {
        self.scores.extend(lines.scores);
        self.payouts.extend(lines.payouts);
        self.measures.extend(lines.measures);
        self.earlier.extend(lines.earlier);
        Ok(())
    }
}

/// Passes each period's lines to another thread (one that writes them out, say); fails once
/// that thread has stopped taking them.
impl LineSink for std::sync::mpsc::SyncSender<PeriodLines> {
    fn take(&mut self, lines: PeriodLines) -> Result<(), RunError> {
        self.send(lines)
            .map_err(|_| RunError::Output("the outputs stopped being written".into()))
    }
}

/// Runs `produce` with a sender while `consume`, on a thread of its own, takes what it sends:
/// a run's lines written or compared as its rules make them. A few items are in flight at most,
/// so the producer waits for the consumer, not the reverse. The channel closes when `produce`
/// returns (its sender and every clone of it dropped); a panic on the consumer's thread is
/// resumed here.
pub fn beside<T: Send, P, R: Send>(
    consume: impl FnOnce(std::sync::mpsc::Receiver<T>) -> R + Send,
    produce: impl FnOnce(std::sync::mpsc::SyncSender<T>) -> P,
) -> (P, R) {
    std::thread::scope(|scope| {
        let (to, from) = std::sync::mpsc::sync_channel(2);
        let consumer = scope.spawn(move || consume(from));
        let produced = produce(to);
        let consumed = consumer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (produced, consumed)
    })
}

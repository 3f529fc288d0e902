//! Auditing policy versions: the semantic diff of two checked policies (`rulebook diff`) and
//! the history of a directory of versions (`rulebook log`).
//!
//! The diff compares meaning, not text. Items are matched by their stable identity
//! ([`crate::check::model::item_id`]) and compared part by part — tiers by where they start, split
//! shares by their value, measures by their name — so layout, comments, the order of items
//! and the keyword language never count. Every value is printed in English from the syntax
//! tree (`1.2亿` reads `120,000,000`), so an English policy and its Chinese translation have
//! an empty diff. What is and is not a change is documented in `docs/auditing.md`.
//!
//! The module does no I/O: `report` renders to strings and `log` works on policies already
//! read and checked.

mod describe;
mod diff;
pub mod impact;
mod items;
pub mod log;
pub mod report;
mod summary;

use serde::Serialize;

pub use diff::diff;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only the new version has it.
    Added,
    /// Only the old version has it.
    Removed,
    /// Both have it, with different values.
    Changed,
}

/// One difference between two versions, in domain terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The item it belongs to, e.g. `commission sales_commission`, `policy`, `discipline`.
    pub item: String,
    /// The part of the item, e.g. `tier 80% to 100%, rate`, `east`, `measure warning`; empty
    /// when the whole item was added or removed, or when the item is one value (a metric's
    /// formula is `formula`, though).
    pub what: String,
    /// The old value in English; `None` for an addition (and for a flag that was off).
    pub old: Option<String>,
    /// The new value in English; `None` for a removal (and for a flag that is now off).
    pub new: Option<String>,
    pub kind: ChangeKind,
    /// A change to a worked example (`test`) rather than to the rules. Such changes are
    /// listed after all changes to the rules: they follow from them.
    pub test: bool,
}

impl Change {
    /// The change on one line, item first:
    /// `commission sales_commission, tier 80% to 100%, rate: 4% → 5%`.
    pub fn describe(&self) -> String {
        if self.what.is_empty() {
            // Without a part, the detail starts with the kind ("added: …") or the values.
            match self.kind {
                ChangeKind::Changed => format!("{}: {}", self.item, self.detail()),
                _ => format!("{} {}", self.item, self.detail()),
            }
        } else {
            format!("{}, {}", self.item, self.detail())
        }
    }

    /// The change without its item, as listed under the item's heading:
    /// `tier 80% to 100%, rate: 4% → 5%`, `measure warning added: if … in a month`.
    pub fn detail(&self) -> String {
        let value = |v: &Option<String>| v.as_ref().map(|v| format!(": {v}")).unwrap_or_default();
        let what = |word: &str| {
            if self.what.is_empty() {
                word.to_string()
            } else {
                format!("{} {word}", self.what)
            }
        };
        match self.kind {
            ChangeKind::Added => format!("{}{}", what("added"), value(&self.new)),
            ChangeKind::Removed => format!("{}{}", what("removed"), value(&self.old)),
            ChangeKind::Changed => {
                let arrow = format!(
                    "{} → {}",
                    self.old.as_deref().unwrap_or("none"),
                    self.new.as_deref().unwrap_or("none")
                );
                if self.what.is_empty() {
                    arrow
                } else {
                    format!("{}: {arrow}", self.what)
                }
            }
        }
    }
}

//! Matching two policies item by item, and the helpers that match the parts of an item.
//!
//! Items are matched by `item_id`; an id that occurs twice (only in a policy with errors)
//! is matched occurrence by occurrence, so nothing is lost and nothing panics. The header,
//! the calendar and the proration rule have defaults, so they are compared as the facts
//! they amount to: a policy that writes `rounding half-up to 0.01` and one that leaves the
//! line out say the same thing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::describe as d;
use super::items;
use super::summary::summary;
use super::{Change, ChangeKind};
use crate::check::Checked;
use crate::check::model::{Model, item_id};
use crate::syntax::ast::*;

/// The semantic differences from `old` to `new`, in a deterministic order: the items of
/// `new` in its order, then the items only `old` has in its order; changes to tests last.
pub fn diff(old: &Checked, new: &Checked) -> Vec<Change> {
    let sides = Sides {
        old: &old.model,
        new: &new.model,
    };
    let (old_items, new_items) = (&old.parsed.policy.items, &new.parsed.policy.items);
    let old_ids: BTreeSet<String> = old_items.iter().map(item_id).collect();
    let new_ids: BTreeSet<String> = new_items.iter().map(item_id).collect();
    let prorates = (prorate_of(&old.parsed.policy), prorate_of(&new.parsed.policy));
    let mut changes = Vec::new();
    for p in pair_by(old_items, new_items, item_id) {
        let (item, other_ids) = match p {
            Pair::Both(_, n) | Pair::Added(n) => (n, &old_ids),
            Pair::Removed(o) => (o, &new_ids),
        };
        let mut out = Out::new(d::label(item), matches!(item.kind, ItemKind::Test(_)), &mut changes);
        // An item with a default that the other version leaves out is compared with the
        // default; a second one (only in a policy with errors) is an item like any other.
        let defaulted = has_default(item) && !other_ids.contains(&item_id(item));
        match p {
            Pair::Both(o, n) => items::compare(&mut out, &sides, o, n),
            _ if defaulted => defaults(&mut out, &sides, item, prorates),
            Pair::Added(n) => out.added("", Some(summary(n))),
            Pair::Removed(o) => out.removed("", Some(summary(o))),
        }
    }
    // Tests follow from the rules, so the rules come first; the sort is stable.
    changes.sort_by_key(|c| c.test);
    changes
}

/// Both versions' models, for what the items leave to defaults (a commission's period is
/// the assessment period when it names none).
pub(super) struct Sides<'a> {
    pub old: &'a Model,
    pub new: &'a Model,
}

fn has_default(item: &Item) -> bool {
    matches!(
        item.kind,
        ItemKind::Header(_) | ItemKind::Calendar(_) | ItemKind::Prorate(_)
    )
}

fn prorate_of(policy: &Policy) -> Option<Prorate> {
    policy.items.iter().find_map(|i| match &i.kind {
        ItemKind::Prorate(p) => Some(*p),
        _ => None,
    })
}

/// An item with a default that only one version writes: compared with the default.
fn defaults(out: &mut Out, sides: &Sides, item: &Item, (old, new): (Option<Prorate>, Option<Prorate>)) {
    match item.kind {
        ItemKind::Header(_) => items::header(out, sides.old, sides.new),
        ItemKind::Calendar(_) => items::calendar(out, sides.old, sides.new),
        _ => items::prorate(out, old.unwrap_or(Prorate::None), new.unwrap_or(Prorate::None)),
    }
}

/// Collects the changes of one item.
pub(super) struct Out<'a> {
    item: String,
    test: bool,
    list: &'a mut Vec<Change>,
}

impl<'a> Out<'a> {
    fn new(item: String, test: bool, list: &'a mut Vec<Change>) -> Out<'a> {
        Out { item, test, list }
    }

    fn push(&mut self, what: &str, kind: ChangeKind, old: Option<String>, new: Option<String>) {
        self.list.push(Change {
            item: self.item.clone(),
            what: what.to_string(),
            old,
            new,
            kind,
            test: self.test,
        });
    }

    pub fn added(&mut self, what: &str, new: Option<String>) {
        self.push(what, ChangeKind::Added, None, new);
    }

    pub fn removed(&mut self, what: &str, old: Option<String>) {
        self.push(what, ChangeKind::Removed, old, None);
    }

    pub fn changed(&mut self, what: &str, old: String, new: String) {
        self.push(what, ChangeKind::Changed, Some(old), Some(new));
    }

    /// A value both versions have: a change when `same` says they differ.
    pub fn value<T: ?Sized>(
        &mut self,
        what: &str,
        old: &T,
        new: &T,
        same: impl Fn(&T, &T) -> bool,
        show: impl Fn(&T) -> String,
    ) {
        if !same(old, new) {
            self.changed(what, show(old), show(new));
        }
    }

    /// A value either version may leave out: added, removed or changed.
    pub fn option<T>(
        &mut self,
        what: &str,
        old: Option<&T>,
        new: Option<&T>,
        same: impl Fn(&T, &T) -> bool,
        show: impl Fn(&T) -> String,
    ) {
        match (old, new) {
            (Some(o), Some(n)) => self.value(what, o, n, same, show),
            (None, Some(n)) => self.added(what, Some(show(n))),
            (Some(o), None) => self.removed(what, Some(show(o))),
            (None, None) => {}
        }
    }

    /// A list without keys, where order does not count (gates, a test's expectations),
    /// matched by how each entry reads: entries only one side has are added or removed; a
    /// single entry replaced by a single other is reported as one change.
    pub fn set<T>(&mut self, what: &str, old: &[T], new: &[T], show: impl Fn(&T) -> String) {
        let pairs = pair_by(old, new, &show);
        let added: Vec<&T> = pairs.iter().filter_map(|p| p.added()).collect();
        let removed: Vec<&T> = pairs.iter().filter_map(|p| p.removed()).collect();
        if let ([n], [o]) = (added.as_slice(), removed.as_slice()) {
            self.changed(what, show(o), show(n));
            return;
        }
        for n in added {
            self.added(what, Some(show(n)));
        }
        for o in removed {
            self.removed(what, Some(show(o)));
        }
    }
}

/// How an entry of a list fared between the versions.
pub(super) enum Pair<'a, T> {
    Both(&'a T, &'a T),
    Added(&'a T),
    Removed(&'a T),
}

impl<'a, T> Pair<'a, T> {
    fn added(&self) -> Option<&'a T> {
        match self {
            Pair::Added(n) => Some(n),
            _ => None,
        }
    }
    fn removed(&self) -> Option<&'a T> {
        match self {
            Pair::Removed(o) => Some(o),
            _ => None,
        }
    }
}

/// Matches the entries of two lists by a key: `new`'s entries in order, each with the first
/// unmatched entry of `old` with the same key (so repeated keys pair up in order), then `old`'s
/// unmatched entries in order. Lookups go through a map: a policy may be large.
pub(super) fn pair_by<'a, T, K: Ord>(old: &'a [T], new: &'a [T], key: impl Fn(&T) -> K) -> Vec<Pair<'a, T>> {
    let mut unmatched: BTreeMap<K, VecDeque<usize>> = BTreeMap::new();
    for (i, o) in old.iter().enumerate() {
        unmatched.entry(key(o)).or_default().push_back(i);
    }
    let mut used = vec![false; old.len()];
    let mut out = Vec::with_capacity(new.len() + old.len());
    for n in new {
        match unmatched.get_mut(&key(n)).and_then(VecDeque::pop_front) {
            Some(i) => {
                used[i] = true;
                out.push(Pair::Both(&old[i], n));
            }
            None => out.push(Pair::Added(n)),
        }
    }
    out.extend(old.iter().zip(used).filter(|(_, u)| !u).map(|(o, _)| Pair::Removed(o)));
    out
}

/// Whether the entries both lists have come in the same relative order (for lists whose
/// order means something: grade levels, measures by severity).
pub(super) fn same_order<T, K: Ord>(old: &[T], new: &[T], key: impl Fn(&T) -> K) -> bool {
    let in_old: BTreeSet<K> = old.iter().map(&key).collect();
    let in_new: BTreeSet<K> = new.iter().map(&key).collect();
    let common_old: Vec<K> = old.iter().map(&key).filter(|k| in_new.contains(k)).collect();
    let common_new: Vec<K> = new.iter().map(&key).filter(|k| in_old.contains(k)).collect();
    common_old == common_new
}

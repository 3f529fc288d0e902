//! Reading the roster into the salespeople the target sheet and the run work with.

use std::collections::BTreeMap;

use super::config::SourceBinding;
use super::reader::{InputError, Record, Rejection, SourceReader, SourceSummary, Value};
use crate::eval::targets::RosterEntry;
use crate::syntax::ast::{FieldMod, Source};

/// The salespeople read, the rows rejected, and the file's summary.
pub struct RosterRead {
    pub people: Vec<RosterEntry>,
    pub rejected: Vec<Rejection>,
    pub summary: SourceSummary,
}

/// Reads the roster bound by `binding`, declared by `source`: the field marked `id` names each
/// salesperson, `hired` and `left` bound their employment, every text field is an attribute.
/// A second row with an id already seen is rejected, never merged.
pub fn read_roster(binding: &SourceBinding, source: &Source) -> Result<RosterRead, InputError> {
    let marked = |m: FieldMod| {
        source
            .fields
            .iter()
            .find(|f| f.mods.iter().any(|(x, _)| *x == m))
            .and_then(|f| binding.field_index(&f.name.text))
    };
    let (id, hired, left) = (marked(FieldMod::Id), marked(FieldMod::Hired), marked(FieldMod::Left));
    let mut reader = SourceReader::open(binding)?;
    let mut people: Vec<RosterEntry> = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut rejected = Vec::new();
    while let Some(record) = reader.next_record()? {
        let row = match record {
            Record::Rejected(r) => {
                rejected.push(r);
                continue;
            }
            Record::Row(row) => row,
        };
        let Some(rep) = id.and_then(|i| row.text(i)).map(str::to_string) else {
            continue;
        };
        if let Some(first) = seen.get(&rep) {
            rejected.push(Rejection {
                file: binding.path.clone(),
                record: row.record(),
                line: row.line(),
                column: id.map(|i| i + 1),
                header: id.map(|i| binding.fields[i].column.clone()),
                field: id.map(|i| binding.fields[i].name.clone()),
                value: rep.clone(),
                reason: format!("duplicate id: `{rep}` is already on line {first}"),
            });
            continue;
        }
        seen.insert(rep.clone(), row.line());
        let (mut attrs, mut amounts) = (BTreeMap::new(), BTreeMap::new());
        for (i, f) in binding.fields.iter().enumerate() {
            match row.get(i) {
                Some(Value::Text(t)) => {
                    attrs.insert(f.name.clone(), t.to_string());
                }
                Some(Value::Money(d) | Value::Number(d) | Value::Percent(d)) => {
                    amounts.insert(f.name.clone(), d);
                }
                _ => {}
            }
        }
        people.push(RosterEntry {
            id: rep,
            attrs,
            amounts,
            hired: hired.and_then(|i| row.date(i)),
            left: left.and_then(|i| row.date(i)),
        });
    }
    let summary = reader.finish()?;
    Ok(RosterRead {
        people,
        rejected,
        summary,
    })
}

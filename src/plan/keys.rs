//! Keys resolved without allocating: salesperson ids to dense indexes, and the set of record
//! keys seen (for duplicates). Ids like `R00098` or `D0001234567` — one prefix, a fixed number
//! of digits — are common in exports; they become numbers, so the set of keys seen is a bitmap
//! whose size follows the largest id, not the number of rows. Other ids fall back to hashing.

use std::collections::{HashMap, HashSet};

/// An id split into a non-digit prefix and a run of digits: `D0001234567` → (`D`, 1234567, 10).
#[inline]
fn split_id(id: &[u8]) -> Option<(&[u8], u64, usize)> {
    let digits = id.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 18 {
        return None;
    }
    let (prefix, tail) = id.split_at(id.len() - digits);
    let n = tail.iter().fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
    Some((prefix, n, digits))
}

/// Byte-wise equality of short slices (an id's prefix, a status word), inline: a call to
/// `memcmp` costs more than the comparison itself, once per row.
#[inline]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Salesperson id → index in the roster.
pub struct IdIndex {
    /// When every id has the same prefix and width: index by number.
    dense: Option<(Vec<u8>, usize, Vec<u32>)>,
    map: HashMap<Box<[u8]>, u32>,
}

const NONE: u32 = u32::MAX;
/// The largest id number indexed directly (4 bytes each: 64 MiB at most).
const DENSE_LIMIT: u64 = 1 << 24;

impl IdIndex {
    pub fn new<'a>(ids: impl Iterator<Item = &'a str> + Clone) -> IdIndex {
        let map: HashMap<Box<[u8]>, u32> = ids
            .clone()
            .enumerate()
            .map(|(i, id)| (Box::from(id.as_bytes()), i as u32))
            .collect();
        let mut shape: Option<(Vec<u8>, usize)> = None;
        let mut dense_ok = true;
        let mut max = 0;
        for id in ids.clone() {
            match split_id(id.as_bytes()) {
                Some((prefix, n, width)) if n < DENSE_LIMIT => {
                    max = max.max(n);
                    match &shape {
                        None => shape = Some((prefix.to_vec(), width)),
                        Some((p, w)) if p == prefix && *w == width => {}
                        Some(_) => dense_ok = false,
                    }
                }
                _ => dense_ok = false,
            }
        }
        let dense = match shape {
            Some((prefix, width)) if dense_ok => {
                let mut table = vec![NONE; max as usize + 1];
                for (i, id) in ids.enumerate() {
                    if let Some((_, n, _)) = split_id(id.as_bytes()) {
                        table[n as usize] = i as u32;
                    }
                }
                Some((prefix, width, table))
            }
            _ => None,
        };
        IdIndex { dense, map }
    }

    #[inline]
    pub fn get(&self, id: &[u8]) -> Option<usize> {
        if let Some((prefix, width, table)) = &self.dense {
            let (p, n, w) = split_id(id)?;
            if !same(p, prefix) || w != *width {
                return None;
            }
            return table.get(n as usize).filter(|i| **i != NONE).map(|i| *i as usize);
        }
        self.map.get(id).map(|i| *i as usize)
    }
}

/// Bits per page of the key bitmap.
const PAGE_BITS: u64 = 1 << 16;
/// Pages indexed directly (8 bytes each): keys numbered up to 2^36 use the bitmap.
const MAX_PAGES: usize = 1 << 20;
/// Forms of key kept as bitmaps; keys of further forms are hashed.
const MAX_FORMS: usize = 16;

/// A key as a prefix, a run of digits and what follows them: `D0001234567-2` →
/// (`D`, 1234567, 10, `-2`). Equal keys have equal parts and the parts spell the key again.
fn split_key(key: &[u8]) -> Option<(&[u8], u64, usize, &[u8])> {
    let start = key.iter().position(u8::is_ascii_digit)?;
    let width = key[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    if width > 18 {
        return None;
    }
    let digits = &key[start..start + width];
    let n = digits.iter().fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
    Some((&key[..start], n, width, &key[start + width..]))
}

/// The keys of one form — prefix, width and suffix — as a bitmap by number, in pages.
struct Form {
    prefix: Box<[u8]>,
    width: usize,
    suffix: Box<[u8]>,
    pages: Vec<Option<Box<[u64]>>>,
}

impl Form {
    #[inline]
    fn is(&self, prefix: &[u8], width: usize, suffix: &[u8]) -> bool {
        self.width == width && same(&self.prefix, prefix) && same(&self.suffix, suffix)
    }

    fn bit(n: u64) -> (usize, usize, u64) {
        let bit = n % PAGE_BITS;
        ((n / PAGE_BITS) as usize, (bit / 64) as usize, 1u64 << (bit % 64))
    }

    fn contains(&self, n: u64) -> bool {
        let (page, word, mask) = Form::bit(n);
        self.pages
            .get(page)
            .and_then(Option::as_ref)
            .is_some_and(|p| p[word] & mask != 0)
    }
}

/// The record keys seen so far. Exports number their records (`D0001234567`, with a suffix
/// for split or returned deals: `D0001234567-2`, `D0001234567-R`): such keys are bits in a
/// bitmap per form, whose size follows the largest number, not the number of rows. Other keys
/// are hashed.
#[derive(Default)]
pub struct KeySet {
    forms: Vec<Form>,
    other: HashSet<Box<[u8]>>,
}

impl KeySet {
    /// Adds a key; false when it was already there.
    #[inline]
    pub fn insert(&mut self, key: &[u8]) -> bool {
        if let Some((prefix, n, width, suffix)) = split_key(key)
            && n / PAGE_BITS < MAX_PAGES as u64
            && let Some(form) = self.form(prefix, width, suffix)
        {
            let (page, word, mask) = Form::bit(n);
            if page >= form.pages.len() {
                form.pages.resize_with(page + 1, || None);
            }
            let page = form.pages[page].get_or_insert_with(|| vec![0u64; (PAGE_BITS / 64) as usize].into_boxed_slice());
            let new = page[word] & mask == 0;
            page[word] |= mask;
            return new;
        }
        if self.other.contains(key) {
            return false;
        }
        self.other.insert(Box::from(key))
    }

    /// The bitmap of a form, made if there is room for one more.
    #[inline]
    fn form(&mut self, prefix: &[u8], width: usize, suffix: &[u8]) -> Option<&mut Form> {
        match self.forms.iter().position(|f| f.is(prefix, width, suffix)) {
            Some(i) => Some(&mut self.forms[i]),
            None if self.forms.len() < MAX_FORMS => {
                self.forms.push(Form {
                    prefix: prefix.into(),
                    width,
                    suffix: suffix.into(),
                    pages: Vec::new(),
                });
                self.forms.last_mut()
            }
            None => None,
        }
    }

    /// Whether any key is in both sets.
    pub fn overlaps(&self, other: &KeySet) -> bool {
        let bitmaps = self.forms.iter().any(|a| {
            other.forms.iter().any(|b| {
                b.is(&a.prefix, a.width, &a.suffix)
                    && a.pages.iter().zip(&b.pages).any(|pair| match pair {
                        (Some(x), Some(y)) => x.iter().zip(y.iter()).any(|(x, y)| x & y != 0),
                        _ => false,
                    })
            })
        });
        // A key hashed in one set (its form did not fit) may be a bit in the other.
        let cross = |a: &KeySet, b: &KeySet| a.other.iter().any(|k| b.contains(k));
        bitmaps || cross(self, other) || cross(other, self)
    }

    fn contains(&self, key: &[u8]) -> bool {
        if let Some((prefix, n, width, suffix)) = split_key(key)
            && n / PAGE_BITS < MAX_PAGES as u64
            && let Some(form) = self.forms.iter().find(|f| f.is(prefix, width, suffix))
        {
            return form.contains(n);
        }
        self.other.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_resolve_densely_or_by_hash() {
        let dense = IdIndex::new(["R00001", "R00098", "R00002"].into_iter());
        assert!(dense.dense.is_some());
        assert_eq!(dense.get(b"R00098"), Some(1));
        assert_eq!(dense.get(b"R0098"), None);
        assert_eq!(dense.get(b"R00003"), None);
        assert_eq!(dense.get(b"X00001"), None);
        let mixed = IdIndex::new(["alice", "R1"].into_iter());
        assert!(mixed.dense.is_none());
        assert_eq!(mixed.get(b"alice"), Some(0));
        assert_eq!(mixed.get(b"R1"), Some(1));
    }

    #[test]
    fn keys_seen() {
        let mut a = KeySet::default();
        assert!(a.insert(b"D0001"));
        assert!(!a.insert(b"D0001"));
        assert!(a.insert(b"D001"), "another width is another key");
        assert!(a.insert(b"free text"));
        assert!(!a.insert(b"free text"));
        let mut b = KeySet::default();
        b.insert(b"D0002");
        assert!(!a.overlaps(&b));
        b.insert(b"D001");
        assert!(a.overlaps(&b));
    }

    #[test]
    fn keys_with_suffixes_are_bits_of_their_form() {
        let mut a = KeySet::default();
        for key in [
            "D0001429917",
            "D0001429917-1",
            "D0001429917-2",
            "D0001429917-R",
            "D0001429917-1x",
        ] {
            assert!(a.insert(key.as_bytes()), "{key}");
        }
        assert!(!a.insert(b"D0001429917-2"));
        assert!(a.insert(b"D0001429918-2"));
        assert_eq!(a.forms.len(), 5);
        assert!(a.other.is_empty());
        // Forms beyond the limit are hashed, and still found across sets.
        for i in 0..20 {
            a.insert(format!("K{i}x-{i}").as_bytes());
        }
        assert_eq!(a.forms.len(), MAX_FORMS);
        assert!(!a.insert(b"K19x-19"));
        let mut b = KeySet::default();
        b.insert(b"K19x-19");
        assert!(a.overlaps(&b) && b.overlaps(&a));
        let mut c = KeySet::default();
        c.insert(b"D0001429917-R");
        assert!(a.overlaps(&c));
        let mut d = KeySet::default();
        d.insert(b"D0001429919-R");
        assert!(!a.overlaps(&d));
    }
}

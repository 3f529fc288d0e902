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

/// The record keys seen so far.
#[derive(Default)]
pub struct KeySet {
    /// The prefix and width of the numeric keys, fixed by the first key.
    shape: Option<(Vec<u8>, usize)>,
    /// Bitmap pages by page number.
    pages: Vec<Option<Box<[u64]>>>,
    other: HashSet<Box<[u8]>>,
}

impl KeySet {
    /// Adds a key; false when it was already there.
    #[inline]
    pub fn insert(&mut self, key: &[u8]) -> bool {
        if let Some((prefix, n, width)) = split_id(key) {
            let shape = self.shape.get_or_insert_with(|| (prefix.to_vec(), width));
            let page_no = (n / PAGE_BITS) as usize;
            if same(&shape.0, prefix) && shape.1 == width && page_no < MAX_PAGES {
                if page_no >= self.pages.len() {
                    self.pages.resize_with(page_no + 1, || None);
                }
                let page =
                    self.pages[page_no].get_or_insert_with(|| vec![0u64; (PAGE_BITS / 64) as usize].into_boxed_slice());
                let bit = n % PAGE_BITS;
                let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
                let new = page[word] & mask == 0;
                page[word] |= mask;
                return new;
            }
        }
        if self.other.contains(key) {
            return false;
        }
        self.other.insert(Box::from(key))
    }

    /// Whether any key is in both sets.
    pub fn overlaps(&self, other: &KeySet) -> bool {
        let numeric = self.shape.is_some() && self.shape == other.shape;
        let pages = numeric
            && self.pages.iter().zip(other.pages.iter()).any(|pair| match pair {
                (Some(a), Some(b)) => a.iter().zip(b.iter()).any(|(x, y)| x & y != 0),
                _ => false,
            });
        // Keys of another shape in one set may be numeric in the other: compare them as text.
        let cross = |a: &KeySet, b: &KeySet| a.other.iter().any(|k| b.contains(k));
        pages || cross(self, other) || cross(other, self) || (!numeric && self.shape.is_some() && other.shape.is_some())
    }

    fn contains(&self, key: &[u8]) -> bool {
        if let (Some((prefix, n, width)), Some(shape)) = (split_id(key), &self.shape)
            && shape.0 == prefix
            && shape.1 == width
            && ((n / PAGE_BITS) as usize) < MAX_PAGES
        {
            return self.pages.get((n / PAGE_BITS) as usize).is_some_and(|p| {
                let bit = n % PAGE_BITS;
                p.as_ref()
                    .is_some_and(|p| p[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
            });
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
}

//! The plain benchmark plan written by hand for these files and nothing else: the reference
//! point rulebook's general engine is measured against (bench/README.md). Two threads split the
//! file at line boundaries; each line is cut at its commas in one scan; amounts are parsed into
//! cents; salesperson ids (`R` + digits) index a dense table. No validation beyond what the
//! plan needs, no hashing, no rejects: only the arithmetic.
//!
//!     plain-handwritten SALES.csv ROSTER.csv   # prints rep_id,month,commission,bonus lines

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;

const MONTHS: usize = 12;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, sales, roster] = args.as_slice() else {
        eprintln!("usage: plain-handwritten SALES.csv ROSTER.csv");
        std::process::exit(2);
    };
    let (ids, quotas) = read_roster(roster);
    let max = ids.iter().map(|id| number(id.as_bytes())).max().unwrap_or(0) as usize;
    let mut index = vec![u32::MAX; max + 1];
    for (i, id) in ids.iter().enumerate() {
        index[number(id.as_bytes()) as usize] = i as u32;
    }
    let file = File::open(sales).expect("open sales");
    let len = file.metadata().expect("stat sales").len();
    let reps = ids.len();
    // Each thread reads its half of the file in blocks, from the first line that starts in it.
    let half = len / 2;
    let (ta, tb) = std::thread::scope(|s| {
        let ha = s.spawn(|| read_part(&file, 0, half, &index, reps));
        let hb = s.spawn(|| read_part(&file, half, len, &index, reps));
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (r, id) in ids.iter().enumerate() {
        for m in 0..MONTHS {
            let revenue = ta[r * MONTHS + m] + tb[r * MONTHS + m];
            let quota = quotas[r];
            let commission = commission(revenue, quota);
            let bonus = if revenue >= quota { 50_000 } else { 0 };
            writeln!(out, "{id},{},{},{}", m + 1, cents(commission), cents(bonus)).unwrap();
        }
    }
}

const BLOCK: usize = 8 << 20;

/// Revenue in cents per salesperson and month, of the lines that start in `[start, end)`;
/// the first part skips the header line.
fn read_part(file: &File, start: u64, end: u64, index: &[u32], reps: usize) -> Vec<i64> {
    let mut table = vec![0i64; reps * MONTHS];
    let len = file.metadata().unwrap().len();
    let mut buf = vec![0u8; BLOCK];
    // From the byte before `start`: the first line ending found ends the line not ours (or the
    // header), and what follows is the first line starting at or after `start`.
    let mut at = start.saturating_sub(1);
    let mut skip = true;
    while at < end && at < len {
        let n = (len - at).min(BLOCK as u64) as usize;
        file.read_exact_at(&mut buf[..n], at).unwrap();
        let mut pos = 0;
        if skip {
            match buf[..n].iter().position(|&c| c == b'\n') {
                Some(i) => pos = i + 1,
                None => break,
            }
            skip = false;
        }
        // Whole lines in the buffer (all of the rest at the end of the file).
        let whole = if at + n as u64 == len {
            n
        } else {
            buf[..n].iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1)
        };
        let ours = ((end - at) as usize).min(whole);
        // Lines that start before `ours` are ours: extend to the end of the last one.
        let stop = if ours == whole {
            whole
        } else {
            ours + buf[ours..whole]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(whole - ours, |i| i + 1)
        };
        sums(&buf[pos..stop], index, &mut table);
        if stop == 0 {
            break;
        }
        at += stop as u64;
        if stop < whole || ours < whole {
            break;
        }
    }
    table
}

fn sums(text: &[u8], index: &[u32], table: &mut [i64]) {
    for line in text.split(|&c| c == b'\n') {
        if line.is_empty() {
            continue;
        }
        let mut f = [0usize; 10];
        let mut n = 1;
        for (i, &c) in line.iter().enumerate() {
            if c == b',' && n < 10 {
                f[n] = i + 1;
                n += 1;
            }
        }
        let field = |k: usize| &line[f[k]..if k + 1 < n { f[k + 1] - 1 } else { line.len() }];
        if field(7) != b"closed" {
            continue;
        }
        let date = field(5);
        if &date[..4] != b"2027" {
            continue;
        }
        let month = ((date[5] - b'0') * 10 + (date[6] - b'0')) as usize - 1;
        // Salespeople not on the roster are not paid.
        let Some(&rep) = index.get(number(field(1)) as usize).filter(|&&r| r != u32::MAX) else {
            continue;
        };
        let rep = rep as usize;
        table[rep * MONTHS + month] += amount(field(6));
    }
}

fn number(id: &[u8]) -> u64 {
    id.iter()
        .filter(|c| c.is_ascii_digit())
        .fold(0, |n, c| n * 10 + u64::from(c - b'0'))
}

/// `-1234.50` → -123450 cents.
fn amount(s: &[u8]) -> i64 {
    let (neg, s) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    let v = s
        .iter()
        .filter(|&&c| c != b'.')
        .fold(0i64, |n, c| n * 10 + i64::from(c - b'0'));
    if neg { -v } else { v }
}

/// The marginal tiers, half-up to the cent: 2% to 80% of quota, 4% to 100%, 6% to 150%, 8%
/// above. Bounds in hundredths of a cent, so 80% of any quota is exact.
fn commission(revenue: i64, quota: i64) -> i64 {
    if revenue <= 0 {
        return 0;
    }
    let (r, q) = (i128::from(revenue) * 100, i128::from(quota));
    let bands = [
        (0, q * 80, 2),
        (q * 80, q * 100, 4),
        (q * 100, q * 150, 6),
        (q * 150, i128::MAX, 8),
    ];
    // hundredths of a cent × percent
    let total: i128 = bands
        .iter()
        .filter(|(lo, _, _)| r > *lo)
        .map(|(lo, hi, rate)| (r.min(*hi) - lo) * rate)
        .sum();
    ((total + 5_000) / 10_000) as i64
}

fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

fn read_roster(path: &str) -> (Vec<String>, Vec<i64>) {
    let text = std::fs::read_to_string(path).expect("read roster");
    let mut ids = Vec::new();
    let mut quotas = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        ids.push(cells[0].to_string());
        quotas.push(amount(cells[5].as_bytes()));
    }
    (ids, quotas)
}

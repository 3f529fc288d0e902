//! The reader allocates nothing per row once its buffers have grown: a counting allocator
//! watches the reading thread while it reads thousands of CSV and JSON Lines records.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use rulebook::check::check_source;
use rulebook::input::config::RunConfig;
use rulebook::input::reader::{Record, SourceReader};
use rust_decimal::Decimal;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

const POLICY: &str = "\
policy \"Input test\"
  version \"1\"
  effective 2027-01-01
  currency CNY

source sales
  deal_id       text     key
  rep           text     salesperson
  close_date    date     dated
  amount        money
  region        text
  discount      percent  optional

roster reps
  rep_id      text  id

target company 1,000,000 yearly
";

/// Reads every record; returns the allocations made after the first `warm_up` records, and the
/// total of the amounts.
fn count(config: &str, file: &str, data: &[u8], warm_up: u64) -> (u64, u64, Decimal) {
    let model = check_source(POLICY).model;
    let config = RunConfig::from_yaml(config, Path::new("run.yaml")).unwrap();
    let bindings = config.resolve(&model).unwrap();
    let sales = bindings.iter().find(|b| b.name == "sales").unwrap();
    let amount = sales.amount_field().unwrap();
    let mut reader = SourceReader::from_reader(sales, Path::new(file), data).unwrap();
    let mut total = Decimal::ZERO;
    let mut before = 0;
    let mut rows = 0;
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Row(row) => total += row.decimal(amount).unwrap(),
            Record::Rejected(r) => panic!("{r}"),
        }
        rows += 1;
        if rows == warm_up {
            before = allocations();
        }
    }
    (rows, allocations() - before, total)
}

#[test]
fn no_allocation_per_row_in_the_steady_state() {
    let mut csv = String::from("合同编号,rep,close_date,amount,region,discount\n");
    let mut jsonl = String::new();
    for i in 0..5000 {
        let rep = ["张三", "李四", "Ouyang Xiu"][i % 3];
        let region = if i % 2 == 0 { "华东" } else { "South-west" };
        csv.push_str(&format!(
            "D{i},{rep},2027年{}月{}日,\"¥{},{:03}.{:02}\",{region},{}%\n",
            i % 12 + 1,
            i % 28 + 1,
            i % 900 + 1,
            i % 1000,
            i % 100,
            i % 50
        ));
        jsonl.push_str(&format!(
            "{{\"合同编号\": \"D{i}\", \"rep\": \"{rep}\", \"close_date\": \"2027年{}月{}日\", \"amount\": {}.{:02}, \
             \"region\": \"{region}\", \"discount\": null, \"other\": [1, 2]}}\n",
            i % 12 + 1,
            i % 28 + 1,
            i % 900 + 1,
            i % 100
        ));
    }
    let config = |path: &str| {
        format!(
            "sources:\n  sales:\n    path: {path}\n    columns: {{deal_id: 合同编号}}\n    dates: [\"%Y年%m月%d日\"]\n    \
             numbers: {{thousands: true, currency: true}}\n  reps:\n    path: reps.csv\n"
        )
    };
    // The amounts in cents, added in integers.
    let csv_cents: i64 = (0..5000)
        .map(|i| ((i % 900 + 1) * 1000 + i % 1000) * 100 + i % 100)
        .sum();
    let json_cents: i64 = (0..5000).map(|i| (i % 900 + 1) * 100 + i % 100).sum();

    let (rows, allocated, total) = count(&config("sales.csv"), "sales.csv", csv.as_bytes(), 100);
    assert_eq!((rows, allocated), (5000, 0));
    assert_eq!(total, Decimal::new(csv_cents, 2));
    let (rows, allocated, total) = count(&config("sales.jsonl"), "sales.jsonl", jsonl.as_bytes(), 100);
    assert_eq!((rows, allocated), (5000, 0));
    assert_eq!(total, Decimal::new(json_cents, 2));

    // The counter does count.
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 10]);
    assert!(allocations() > before);
    drop(v);
}

//! A row the run refuses (unknown salesperson, duplicate key, before the fiscal year) names the
//! file's column of the field at fault, whatever order the file puts its columns in, and both
//! evaluators say the same.

use crate::common;

use common::{rulebook, text};

const POLICY: &str = r#"policy "c"
  version "1"
  effective 2027-01-01
  currency CNY
  rounding half-up to 0.01

calendar
  fiscal year starts jan
  assess monthly

source sales
  deal_id  text   key
  rep      text   salesperson
  day      date   dated
  amount   money

roster reps
  rep_id  text  id

target company 120,000 yearly

metric revenue = sum of sales.amount

commission pay on revenue marginal
  above 0  5%
"#;

/// The file's columns in another order than the policy's fields: amount, day, rep, deal_id.
const SALES: &str = "amount,day,rep,deal_id
100.00,2027-01-05,E1,D1
200.00,2027-01-06,X9,D2
300.00,2027-01-07,E1,D1
400.00,2026-12-31,E1,D3
";

#[test]
fn a_refused_row_names_the_files_column() {
    let dir = common::workdir(
        "rejects",
        "columns",
        &[
            ("c.policy", POLICY),
            ("roster.csv", "rep_id\nE1\n"),
            ("sales.csv", SALES),
            (
                "run.yaml",
                "sources:\n  sales:\n    path: sales.csv\n  reps:\n    path: roster.csv\n",
            ),
        ],
    );
    // X9 is not on the roster: `rep`, the file's column 3. D1 again: `deal_id`, column 4. A day
    // of 2026: `day`, column 2.
    let expected = "file,line,column,field,value,reason\n\
sales.csv,3,3,rep,X9,unknown salesperson `X9`: not on the roster\n\
sales.csv,4,4,deal_id,D1,duplicate key: `D1` is already on line 2\n\
sales.csv,5,2,day,2026-12-31,\"before fiscal year 2027, which the period 2027-01 is in\"\n";
    for engine in ["fast", "reference"] {
        let o = rulebook(
            &dir,
            &[
                "run", "c.policy", "--config", "run.yaml", "--period", "2027-01", "--engine", engine, "--out", engine,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let rejects = std::fs::read_to_string(dir.join(engine).join("rejects.csv")).unwrap();
        assert_eq!(rejects, expected, "{engine}");
    }
}

#[test]
fn amounts_whose_total_overflows_stop_the_run_at_their_line() {
    // Each amount is the largest an exact decimal holds; the second cannot be added to the
    // first. Rejected, later and credited rows are all counted in the control totals, so each
    // way in overflows on line 3: an error naming the file and line, the same from both
    // evaluators, never a panic.
    let max = "79228162514264337593543950335";
    for (name, rows) in [
        ("credited", format!("{max},2027-01-05,E1,D1\n{max},2027-01-06,E1,D2\n")),
        ("rejected", format!("{max},2027-01-05,E1,D1\n{max},2027-01-06,X9,D2\n")),
        ("later", format!("{max},2027-02-05,E1,D1\n{max},2027-02-06,E1,D2\n")),
    ] {
        let sales = format!("amount,day,rep,deal_id\n{rows}");
        let dir = common::workdir(
            "rejects",
            &format!("overflow-{name}"),
            &[
                ("c.policy", POLICY),
                ("roster.csv", "rep_id\nE1\n"),
                ("sales.csv", &sales),
                ("run.yaml", common::RUN_YAML),
            ],
        );
        for engine in ["fast", "reference"] {
            let o = rulebook(
                &dir,
                &[
                    "run", "c.policy", "--config", "run.yaml", "--period", "2027-01", "--engine", engine, "--out",
                    engine,
                ],
            );
            let said = text(&o);
            assert_eq!(o.status.code(), Some(2), "{name}, {engine}: {said}");
            assert!(!said.contains("panicked"), "{name}, {engine}: {said}");
            assert!(
                said.contains("error: sales.csv:3: arithmetic overflow in the control totals"),
                "{name}, {engine}: {said}"
            );
            assert!(!dir.join(engine).exists(), "{name}, {engine}: nothing is written");
        }
    }
}

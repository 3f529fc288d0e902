//! The commands behind the command line: reading files, printing diagnostics, exit codes.
//! Exit codes: 0 success, 1 the files have errors (or are not formatted), 2 usage or I/O trouble.

use std::io::{IsTerminal, Read, Write};

use clap::ValueEnum;

use rulebook::check::check_source;
use rulebook::diagnostic::{Diagnostic, JsonDiagnostic, Severity, render};
use rulebook::eval::calendar::{FiscalCalendar, Period};
use rulebook::eval::policy_tests::run_tests;
use rulebook::eval::targets::{TargetSheet, describe, target_amounts, target_sheet};
use rulebook::format::{FormatError, format_source};
use rulebook::input::RunConfig;
use rulebook::input::config::parse_source_arg;
use rulebook::input::roster::read_roster;
use rulebook::run::table_out::Format;
use rulebook::syntax::ast::{ItemKind, PeriodKind};
use rulebook::syntax::keywords::Lang;
use rust_decimal::Decimal;

#[derive(Clone, Copy, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
        }
    }
}

/// Reads a policy file as UTF-8, or says why it cannot.
pub fn read_policy(path: &str) -> Result<String, String> {
    let bytes = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("error: cannot read standard input: {e}"))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| format!("error: cannot read `{path}`: {e}"))?
    };
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "error: `{path}` is not valid UTF-8 (invalid byte at offset {})\n  help: policy files are UTF-8 text; re-save the file as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

pub fn check(files: &[String], deny_warnings: bool, json: bool) -> u8 {
    let color = std::io::stderr().is_terminal();
    let mut errors = 0usize;
    let mut warnings = 0usize;
    let mut json_out = Vec::new();
    let mut trouble = false;
    for file in files {
        let text = match read_policy(file) {
            Ok(t) => t,
            Err(msg) => {
                eprintln!("{msg}");
                trouble = true;
                continue;
            }
        };
        let checked = check_source(&text);
        for diag in &checked.diagnostics {
            match diag.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            if json {
                json_out.push(serde_json::to_value(JsonDiagnostic::new(diag, file, &text)).unwrap_or_default());
            } else {
                eprint!("{}", render(diag, file, &text, color));
            }
        }
    }
    if json {
        let doc = serde_json::json!({ "errors": errors, "warnings": warnings, "diagnostics": json_out });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if errors + warnings > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
    }
    if trouble {
        2
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        1
    } else {
        0
    }
}

pub fn fmt(files: &[String], check_only: bool, lang: Option<LangArg>) -> u8 {
    let color = std::io::stderr().is_terminal();
    let mut status = 0u8;
    for file in files {
        let text = match read_policy(file) {
            Ok(t) => t,
            Err(msg) => {
                eprintln!("{msg}");
                status = 2;
                continue;
            }
        };
        match format_source(&text, lang.map(Lang::from)) {
            Ok(formatted) => {
                if file == "-" {
                    if !check_only {
                        print!("{formatted}");
                    } else if formatted != text {
                        status = status.max(1);
                    }
                } else if formatted != text {
                    if check_only {
                        eprintln!("{file}: not in the canonical layout");
                        status = status.max(1);
                    } else if let Err(e) = write_atomically(file, &formatted) {
                        eprintln!("error: cannot write `{file}`: {e}");
                        status = 2;
                    }
                }
            }
            Err(FormatError::Invalid(diags)) => {
                for d in &diags {
                    eprint!("{}", render(d, file, &text, color));
                }
                eprintln!("{file}: not formatted, because it has errors");
                status = status.max(1);
            }
            Err(FormatError::Unsafe(why)) => {
                eprintln!("error: refusing to format `{file}`: {why}");
                status = 2;
            }
        }
    }
    status
}

pub fn test(files: &[String]) -> u8 {
    let color = std::io::stderr().is_terminal();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut status = 0u8;
    for file in files {
        let (text, checked) = match load_checked(file) {
            Ok(loaded) => loaded,
            Err(code) => {
                eprintln!("{file}: tests not run");
                status = status.max(code);
                continue;
            }
        };
        for outcome in run_tests(&checked.parsed.policy, &checked.model) {
            if outcome.passed() {
                passed += 1;
                println!("test {file} \"{}\" ... ok", outcome.name);
            } else {
                failed += 1;
                println!("test {file} \"{}\" ... FAILED", outcome.name);
                for (span, why) in &outcome.failures {
                    let diag = Diagnostic::error("test-failed", *span, format!("test `{}` failed", outcome.name))
                        .label(why.clone());
                    eprint!("{}", render(&diag, file, &text, color));
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 { status.max(1) } else { status }
}

/// Loads and checks a policy, printing its errors; otherwise the exit status: 2 when the file
/// cannot be read, 1 when the policy has errors.
pub(crate) fn load_checked(file: &str) -> Result<(String, rulebook::check::Checked), u8> {
    let text = match read_policy(file) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("{msg}");
            return Err(2);
        }
    };
    let checked = check_source(&text);
    if checked.has_errors() {
        let color = std::io::stderr().is_terminal();
        for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
            eprint!("{}", render(d, file, &text, color));
        }
        eprintln!("{file}: the policy has errors");
        return Err(1);
    }
    Ok((text, checked))
}

/// What `targets`, `run` and `explain` read: a policy, its run configuration, a period.
#[derive(clap::Args, Clone)]
pub struct RunInput {
    /// The policy file, or a directory of its versions (each period under the version in force)
    pub(crate) policy: String,
    /// The run configuration binding the policy's sources to files
    #[arg(long)]
    pub(crate) config: String,
    /// The period: a month `2027-03`, a quarter `2027-Q1` or a fiscal year `2027`
    #[arg(long)]
    pub(crate) period: String,
    /// Read a source from this file instead of the configured one: `NAME=PATH`
    #[arg(long = "source", value_name = "NAME=PATH")]
    pub(crate) sources: Vec<String>,
    /// The evaluator: `fast` (compiled, on every core) or `reference` (the plain interpreter,
    /// to cross-check); both give the same outputs
    #[arg(long, value_enum, default_value = "fast")]
    pub(crate) engine: EngineArg,
    /// Previous runs whose periods were paid (`run --paid DIR`): set by `run` only.
    #[arg(skip)]
    pub(crate) paid: Vec<String>,
    /// The format of the output tables (`run --format`): set by `run` only.
    #[arg(skip)]
    pub(crate) format: Format,
}

/// `run --format`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Csv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum EngineArg {
    Fast,
    Reference,
}

impl RunInput {
    /// The arguments of a run made from elsewhere than the command line (`verify` re-performs a
    /// run from its manifest).
    pub(crate) fn new(policy: String, config: String, period: String, sources: Vec<String>) -> RunInput {
        RunInput {
            policy,
            config,
            period,
            sources,
            engine: EngineArg::Fast,
            paid: Vec::new(),
            format: Format::Csv,
        }
    }
}

/// A checked policy with its configuration resolved and its roster read: what `targets` and
/// `run` start from.
pub(crate) struct Prepared {
    pub(crate) text: String,
    pub(crate) checked: rulebook::check::Checked,
    pub(crate) cal: FiscalCalendar,
    pub(crate) period: Period,
    pub(crate) bindings: Vec<rulebook::input::SourceBinding>,
    pub(crate) roster: Vec<rulebook::eval::targets::RosterEntry>,
    pub(crate) roster_rejects: Vec<rulebook::input::Rejection>,
    /// The roster file as read, for the manifest: the run itself does not read the roster.
    pub(crate) roster_summary: rulebook::input::reader::SourceSummary,
    /// SHA-256 of the run configuration file, for the manifest.
    pub(crate) config_sha256: String,
    pub(crate) sheet: TargetSheet,
    pub(crate) engine: rulebook::run::Engine,
}

impl Prepared {
    pub(crate) fn run(&self) -> rulebook::run::Run<'_> {
        rulebook::run::Run {
            policy: &self.checked.parsed.policy,
            model: &self.checked.model,
            bindings: &self.bindings,
            roster: &self.roster,
            sheet: &self.sheet,
            period: self.period,
            engine: self.engine,
            progress: rulebook::progress::Progress::hidden(),
            metric_values: true,
        }
    }
}

/// Checks the policy, binds its sources and builds the target sheet; `derivations` says whether
/// the sheet keeps how each target was derived (`targets` and `explain` show it, a run does not).
/// What goes wrong is printed.
pub(crate) fn prepare(input: &RunInput, derivations: bool) -> Result<Prepared, u8> {
    let (text, checked) = load_checked(&input.policy)?;
    prepare_checked(input, text, checked, derivations).map_err(|failure| {
        eprintln!("{}", failure.message);
        failure.code
    })
}

/// Why a run could not be prepared, and the exit status it means (printed by the caller).
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) code: u8,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code,
        }
    }
}

/// [`prepare`] of a policy already read and checked (`text`, `checked`), printing nothing.
pub(crate) fn prepare_checked(
    input: &RunInput,
    text: String,
    checked: rulebook::check::Checked,
    derivations: bool,
) -> Result<Prepared, Failure> {
    let RunInput {
        policy: _,
        config,
        period,
        sources: overrides,
        engine,
        paid: _,
        format: _,
    } = input;
    let engine = match engine {
        EngineArg::Fast => rulebook::run::Engine::Fast,
        EngineArg::Reference => rulebook::run::Engine::Reference,
    };
    let model = &checked.model;
    let cal = FiscalCalendar::new(model.calendar.fiscal_start.0);
    let period = cal
        .parse(period)
        .map_err(|msg| Failure::new(2, format!("error: {msg}")))?;
    let mut run_config = RunConfig::load(std::path::Path::new(config)).map_err(|e| Failure::new(2, e.to_string()))?;
    // Hashed right after it was read, so the manifest names the configuration this run used.
    let config_sha256 = rulebook::input::hash::sha256_file(std::path::Path::new(config))
        .map_err(|e| Failure::new(2, format!("error: cannot read `{config}`: {e}")))?;
    for arg in overrides {
        let (name, path) = parse_source_arg(arg).map_err(|msg| Failure::new(2, format!("error: {msg}")))?;
        // `roster=PATH` names the policy's roster whatever the policy calls it.
        let name = match model.roster.as_deref() {
            Some(roster) if (name == "roster" || name == "花名册") && !model.sources.contains_key(&name) => {
                roster.to_string()
            }
            _ => name,
        };
        run_config.override_path(&name, path);
    }
    let bindings = run_config.resolve(model).map_err(|e| Failure::new(2, e.to_string()))?;
    let roster_source = model
        .roster
        .as_ref()
        .and_then(|r| model.sources.get(r))
        .and_then(
            |info| match checked.parsed.policy.items.get(info.item).map(|i| &i.kind) {
                Some(ItemKind::Source(s)) => Some(s),
                _ => None,
            },
        );
    let (Some(source), Some(binding)) = (roster_source, bindings.iter().find(|b| b.is_roster)) else {
        return Err(Failure::new(
            1,
            "error: the policy has no roster, so there is nobody to give a target to",
        ));
    };
    let roster = read_roster(binding, source).map_err(|e| Failure::new(2, e.to_string()))?;
    let build = if derivations { target_sheet } else { target_amounts };
    let sheet = build(&checked.parsed.policy, model, &roster.people, period.fiscal_year)
        .map_err(|e| Failure::new(1, format!("error: {e}")))?;
    Ok(Prepared {
        text,
        checked,
        cal,
        period,
        bindings,
        roster: roster.people,
        roster_rejects: roster.rejected,
        roster_summary: roster.summary,
        config_sha256,
        sheet,
        engine,
    })
}

pub fn targets(input: &RunInput) -> u8 {
    let p = match prepare(input, true) {
        Ok(p) => p,
        Err(code) => return code,
    };
    for r in &p.roster_rejects {
        eprintln!("rejected: {r}");
    }
    match write_target_sheet(&p.sheet, &p.cal, p.period, &p.checked.model) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write the target sheet: {e}");
            2
        }
    }
}

pub fn explain(input: &RunInput, rep: &str) -> u8 {
    let p = match prepare(input, true) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let run = p.run();
    match rulebook::run::explain(&run, &p.text, &input.policy, rep) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            crate::cli_run::status_of(&e)
        }
    }
}

fn write_target_sheet(
    sheet: &TargetSheet,
    cal: &FiscalCalendar,
    period: Period,
    model: &rulebook::check::Model,
) -> std::io::Result<()> {
    let (start, end) = (cal.start(period), cal.end(period));
    let inside = |m: Period| cal.start(m) >= start && cal.start(m) <= end;
    let dp = rulebook::money::decimals(model.header.rounding_unit);
    let amount = |d: Decimal| rulebook::money::fixed(d, dp);
    // Parts of the declared targets cannot add up past them; checked all the same.
    let add = |a: Decimal, b: Decimal| {
        rulebook::money::add(a, b).map_err(|_| std::io::Error::other("the target sheet's totals overflow"))
    };
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["salesperson", "period", "target", "derivation"])?;
    let mut assigned = Decimal::ZERO;
    // The sheet's lines are in salesperson order: each one's lines are a run of them.
    for lines in sheet.lines.chunk_by(|a, b| a.rep == b.rep) {
        let Some(rep) = lines.first().map(|l| l.rep.as_str()) else {
            continue;
        };
        let mut total = Decimal::ZERO;
        for line in lines.iter().filter(|l| inside(l.month)) {
            total = add(total, line.amount)?;
            out.write_record([
                rep,
                &cal.label(line.month),
                &amount(line.amount),
                &describe(&line.steps),
            ])?;
        }
        if period.kind != PeriodKind::Month {
            out.write_record([rep, &cal.label(period), &amount(total), "sum of the months"])?;
        }
        assigned = add(assigned, total)?;
    }
    let mut unassigned = Decimal::ZERO;
    for u in sheet.unassigned.iter().filter(|u| inside(u.month)) {
        unassigned = add(unassigned, u.amount)?;
        out.write_record(["(unassigned)", &cal.label(u.month), &amount(u.amount), &u.reason])?;
    }
    let company =
        (sheet.months.iter().filter(|(m, _)| inside(*m))).try_fold(Decimal::ZERO, |sum, (_, a)| add(sum, *a))?;
    out.write_record([
        "(company)",
        &cal.label(period),
        &amount(company),
        &format!("assigned {} + unassigned {}", amount(assigned), amount(unassigned)),
    ])?;
    out.flush()
}

/// Writes through a temporary file in the same directory and renames it over the target,
/// so a crash never leaves a half-written policy.
fn write_atomically(path: &str, text: &str) -> std::io::Result<()> {
    let target = std::path::Path::new(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.rulebook-tmp",
        target.file_name().and_then(|n| n.to_str()).unwrap_or("policy")
    ));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, target)
}

/// Writes a generated data set into `out` and lists the files written.
pub fn generate(out: &str, options: &rulebook::generate::Options) -> u8 {
    match rulebook::generate::generate(std::path::Path::new(out), options) {
        Ok(files) => {
            for f in &files {
                match f.rows {
                    Some(rows) => eprintln!("wrote {} ({rows} rows)", f.path.display()),
                    None => eprintln!("wrote {}", f.path.display()),
                }
            }
            0
        }
        Err(e) => {
            eprintln!("error: cannot generate the data set in `{out}`: {e}");
            2
        }
    }
}

//! The `rulebook` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod cli;
mod cli_audit;
mod cli_history;
mod cli_run;
mod cli_verify;

#[derive(Parser)]
#[command(
    name = "rulebook",
    version,
    about = "A declarative policy engine for sales organisations"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files and report every error and warning
    Check {
        /// Policy files to check
        #[arg(required = true)]
        files: Vec<String>,
        /// Fail (exit 1) on warnings too
        #[arg(long)]
        deny_warnings: bool,
        /// Output format for diagnostics
        #[arg(long, value_enum, default_value = "text")]
        format: OutputFormat,
    },
    /// Rewrite policy files in the canonical layout
    Fmt {
        /// Policy files to format; `-` reads standard input and writes standard output
        #[arg(required = true)]
        files: Vec<String>,
        /// Change nothing; exit 1 if a file is not in the canonical layout
        #[arg(long)]
        check: bool,
        /// Write the keywords in this language (names are kept)
        #[arg(long, value_enum)]
        lang: Option<cli::LangArg>,
    },
    /// Print the target sheet: every salesperson's target for every period, and how it was derived
    Targets {
        #[command(flatten)]
        input: cli::RunInput,
    },
    /// Run a period: scores, payouts, measures, rejects and a manifest for payroll
    Run {
        #[command(flatten)]
        input: cli::RunInput,
        /// The directory to write the outputs to
        #[arg(long)]
        out: String,
        /// A previous run whose periods were paid (repeatable): those periods are computed
        /// again and only the differences are written, as adjustment lines
        #[arg(long, value_name = "DIR")]
        paid: Vec<String>,
        /// The format of scores, payouts, measures and rejects: CSV, or JSON (an array of
        /// objects with the CSV's columns, money as exact strings)
        #[arg(long, value_enum, default_value = "csv")]
        format: cli::FormatArg,
    },
    /// Show how each of one salesperson's numbers in a period was derived
    Explain {
        #[command(flatten)]
        input: cli::RunInput,
        /// The salesperson's id
        #[arg(long)]
        rep: String,
    },
    /// Re-perform a past run from its manifest and compare the outputs byte for byte
    Verify {
        /// The directory the run wrote to (holding manifest.json)
        dir: String,
        /// Take the manifest's relative paths from this directory instead of the current one
        #[arg(long)]
        root: Option<String>,
    },
    /// Compare two versions of a policy in meaning: what changed, in domain terms
    Diff {
        /// The old version
        old: String,
        /// The new version
        new: String,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: cli_audit::ReportFormat,
        /// Also run both versions on the records this run configuration binds, and report the
        /// money impact of the change
        #[arg(long, requires = "period")]
        config: Option<String>,
        /// The period of the money impact: a month `2027-03`, a quarter `2027-Q1` or a fiscal
        /// year `2027`
        #[arg(long, requires = "config")]
        period: Option<String>,
        /// Read a source from this file instead of the configured one: `NAME=PATH`
        #[arg(long = "source", value_name = "NAME=PATH", requires = "config")]
        sources: Vec<String>,
    },
    /// List the versions in a directory by effective date, each with what it changed
    Log {
        /// A directory of policy versions (`*.policy`)
        dir: String,
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: cli_audit::ReportFormat,
    },
    /// Run the tests written inside policy files
    Test {
        /// Policy files whose tests to run
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Generate a seeded, realistic data set for the seed policy (or the plain benchmark format)
    Generate {
        /// The directory to write the files to (created if needed)
        #[arg(long)]
        out: String,
        /// The seed: the same seed gives the same bytes
        #[arg(long, default_value_t = 2027)]
        seed: u64,
        /// Number of salespeople
        #[arg(long, default_value_t = 30)]
        reps: u32,
        /// Number of sales rows
        #[arg(long, default_value_t = 3000)]
        rows: u64,
        /// The fiscal year
        #[arg(long, default_value_t = 2027)]
        year: i32,
        /// Only the benchmark format: sales.csv and roster.csv
        #[arg(long, conflicts_with_all = ["chinese", "bad_rows"])]
        plain: bool,
        /// Also the files of the Chinese policy, the sales export in GB18030
        #[arg(long)]
        chinese: bool,
        /// Put a few deliberately bad rows into the sales files
        #[arg(long)]
        bad_rows: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// glibc raises its threshold for serving large allocations by mmap each time such a block is
/// freed, so once the reader has freed its blocks and tables, the rules' many mid-sized vectors
/// come from per-thread heaps that keep their holes: a third more resident memory for a seed
/// run with 7,000 salespeople. A fixed threshold keeps large blocks mapped and returned.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fixed_mmap_threshold() {
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 10);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fixed_mmap_threshold() {}

fn main() -> ExitCode {
    fixed_mmap_threshold();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let code = match args.command {
        Command::Generate {
            out,
            seed,
            reps,
            rows,
            year,
            plain,
            chinese,
            bad_rows,
        } => cli::generate(
            &out,
            &rulebook::generate::Options {
                seed,
                reps,
                rows,
                year,
                plain,
                chinese,
                bad_rows,
            },
        ),
        Command::Check {
            files,
            deny_warnings,
            format,
        } => cli::check(&files, deny_warnings, matches!(format, OutputFormat::Json)),
        Command::Fmt { files, check, lang } => cli::fmt(&files, check, lang),
        Command::Test { files } => cli::test(&files),
        Command::Diff {
            old,
            new,
            format,
            config,
            period,
            sources,
        } => {
            let records = config.zip(period).map(|(config, period)| cli_audit::Records {
                config,
                period,
                sources,
            });
            cli_audit::diff(&old, &new, format, records.as_ref())
        }
        Command::Log { dir, format } => cli_audit::log(&dir, format),
        Command::Explain { input, rep } => cli::explain(&input, &rep),
        Command::Run {
            mut input,
            out,
            paid,
            format,
        } => {
            input.paid = paid;
            input.format = format.into();
            cli_run::run(&input, &out)
        }
        Command::Targets { input } => cli::targets(&input),
        Command::Verify { dir, root } => cli_verify::verify(&dir, root.as_deref()),
    };
    ExitCode::from(code)
}

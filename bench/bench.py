#!/usr/bin/env python3
"""Benchmark harness: rulebook against one DuckDB SQL query, cross-checked to the cent.

    python3 bench/bench.py --setup                  # once: bench/.venv with duckdb from PyPI
    python3 bench/bench.py --size small --no-duckdb  # smoke test, standard library only
    python3 bench/bench.py --size small              # smoke test with DuckDB
    python3 bench/bench.py --size 1m                 # 1,000,000 sales rows, 5 pairs
    python3 bench/bench.py --size 10m                # 10,000,000 sales rows

What it measures and why is in bench/README.md. The harness itself needs only the standard
library; DuckDB runs in a child process (`bench/.venv/bin/python -c ...`) so that its wall time,
CPU time (`os.wait4`) and peak memory (GNU time, see measure()) are measured exactly like
rulebook's.

Exit status: 0 everything ran and agrees to the cent; 1 a run failed or the results disagree;
2 trouble with the set-up (no binary, no duckdb, bad arguments).
"""

import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal, getcontext
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv"
VENV_PY = VENV / "bin" / "python"

PLAIN_POLICY = BENCH / "plain.policy"
# The plain plan written by hand for these files only: the reference point for the engine.
HANDWRITTEN = BENCH / "handwritten"
HANDWRITTEN_BIN = HANDWRITTEN / "target" / "release" / "plain-handwritten"
PLAIN_CONFIG = BENCH / "run.yaml"
SEED_POLICY = ROOT / "policies" / "sales-strategy.en.policy"
SEED_CONFIG_TEMPLATE = ROOT / "examples" / "run.yaml"
# The money impact of a rate change: the seed policy (2027.1, the same policy in meaning) against
# its successor, both run on the seed-format files in one reading.
IMPACT_OLD = ROOT / "policies" / "history" / "2027.1.policy"
IMPACT_NEW = ROOT / "policies" / "history" / "2027.2.policy"

YEAR = 2027
SEED = 2027  # the generator's seed: fixed, so every machine benchmarks the same bytes

# rows: sales rows; reps: salespeople (about 120 closed-or-not deals per person and month, as in
# a busy inside-sales team; 1M/700 and 10M/7000 keep that density); pairs: default repetitions.
SIZES = {
    "small": {"rows": 20_000, "reps": 50, "pairs": 1},
    "1m": {"rows": 1_000_000, "reps": 700, "pairs": 5},
    "10m": {"rows": 10_000_000, "reps": 7_000, "pairs": 5},
}

# ---------------------------------------------------------------------------------------------
# The plain plan, once in SQL and once in Python. Keep both in step with bench/plain.policy and
# with the plan written out in bench/README.md.

TIERS = [  # (from, to) as fractions of the monthly quota, marginal rate
    (Decimal("0"), Decimal("0.80"), Decimal("0.02")),
    (Decimal("0.80"), Decimal("1.00"), Decimal("0.04")),
    (Decimal("1.00"), Decimal("1.50"), Decimal("0.06")),
    (Decimal("1.50"), None, Decimal("0.08")),
]
BONUS = Decimal("500.00")
CENT = Decimal("0.01")
ZERO = Decimal("0")

SALES_COLUMNS = (
    "{'deal_id': 'VARCHAR', 'rep_id': 'VARCHAR', 'region': 'VARCHAR', 'channel': 'VARCHAR', "
    "'product': 'VARCHAR', 'close_date': 'DATE', 'amount': 'DECIMAL(18,2)', 'status': 'VARCHAR', "
    "'csat': 'INTEGER'}"
)
ROSTER_COLUMNS = (
    "{'rep_id': 'VARCHAR', 'team': 'VARCHAR', 'region': 'VARCHAR', 'level': 'VARCHAR', "
    "'hire_date': 'DATE', 'monthly_quota': 'DECIMAL(18,2)'}"
)

SQL = """\
COPY (
  WITH sales AS (
    SELECT * FROM read_csv({sales}, header = true, auto_detect = false, delim = ',', quote = '"',
                           dateformat = '%Y-%m-%d', columns = {sales_columns})
  ),
  roster AS (
    SELECT * FROM read_csv({roster}, header = true, auto_detect = false, delim = ',', quote = '"',
                           dateformat = '%Y-%m-%d', columns = {roster_columns})
  ),
  revenue AS (          -- closed deals of each month, returns (negative amounts) included
    SELECT rep_id, month(close_date) AS m, sum(amount) AS revenue
    FROM sales
    WHERE status = 'closed'
      AND close_date >= DATE '{year}-01-01' AND close_date < DATE '{next_year}-01-01'
    GROUP BY rep_id, month(close_date)
  ),
  grid AS (             -- every salesperson on the roster, every month of the year
    SELECT r.rep_id, months.m, r.monthly_quota AS quota,
           -- One exact type for the revenue and the band edges. Left to itself, DuckDB makes
           -- least(sum, 1.50 * quota) a DECIMAL(38,2) (sum() is DECIMAL(38,2), and 38 digits are
           -- the most it has), which rounds the edge 14811.075 to 14811.08: a cent too much.
           CAST(coalesce(v.revenue, 0) AS DECIMAL(18,4)) AS rev,
           CAST(0.80 * r.monthly_quota AS DECIMAL(18,4)) AS q80,
           CAST(r.monthly_quota AS DECIMAL(18,4)) AS q100,
           CAST(1.50 * r.monthly_quota AS DECIMAL(18,4)) AS q150
    FROM roster r
    CROSS JOIN (SELECT range::INTEGER AS m FROM range(1, 13)) months
    LEFT JOIN revenue v ON v.rep_id = r.rep_id AND v.m = months.m
  )
  SELECT rep_id,
         printf('{year}-%02d', m) AS period,
         CAST(round(  0.02 * greatest(least(rev, q80), 0)          -- below 80%: 2%
                    + 0.04 * greatest(least(rev, q100) - q80, 0)   -- 80% to 100%: 4%
                    + 0.06 * greatest(least(rev, q150) - q100, 0)  -- 100% to 150%: 6%
                    + 0.08 * greatest(rev - q150, 0),              -- above 150%: 8%
                    2) AS DECIMAL(18,2)) AS commission,            -- half away from zero = half-up here
         CASE WHEN rev >= q100 THEN 500.00 ELSE 0.00 END AS bonus
  FROM grid
  ORDER BY rep_id, m
) TO {out} (HEADER, DELIMITER ',')
"""

# The child that runs the query: its whole life (start-up, import, query, writing) is what the
# table reports, like rulebook's; the query alone is printed on stdout for the notes.
DUCK_CHILD = """\
import json, sys, time
t0 = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t1 = time.perf_counter()
con.execute(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"version": duckdb.__version__, "threads": con.execute("SELECT current_setting('threads')").fetchone()[0], "startup_s": t1 - t0, "query_s": t2 - t1}))
"""


def sql_string(path):
    return "'" + str(path).replace("'", "''") + "'"


def plain_sql(sales, roster, out, year=YEAR):
    return SQL.format(
        sales=sql_string(sales),
        roster=sql_string(roster),
        out=sql_string(out),
        year=year,
        next_year=year + 1,
        sales_columns=SALES_COLUMNS,
        roster_columns=ROSTER_COLUMNS,
    )


def commission(revenue, quota):
    """The plain plan's marginal commission on one month's revenue, half-up to the cent."""
    total = ZERO
    for lo, hi, rate in TIERS:
        bottom = lo * quota
        top = revenue if hi is None else min(revenue, hi * quota)
        if top > bottom:
            total += (top - bottom) * rate
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def python_expected(sales_csv, roster_csv, year=YEAR):
    """The cross-check of last resort: the plain plan in plain Python with decimal.Decimal.

    Returns ({(rep, 'YYYY-MM', 'commission'|'bonus'): amount} without zero amounts, notes)."""
    getcontext().prec = 50
    quota = {}
    with open(roster_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            quota[row["rep_id"]] = Decimal(row["monthly_quota"])
    revenue = {}
    prefix = f"{year}-"
    rows = closed = outside = unknown = 0
    with open(sales_csv, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        i_rep, i_date = header.index("rep_id"), header.index("close_date")
        i_amount, i_status = header.index("amount"), header.index("status")
        for row in reader:
            rows += 1
            if row[i_status] != "closed":
                continue
            closed += 1
            day = row[i_date]
            if not day.startswith(prefix):
                outside += 1
                continue
            rep = row[i_rep]
            if rep not in quota:
                unknown += 1
                continue
            key = (rep, int(day[5:7]))
            revenue[key] = revenue.get(key, ZERO) + Decimal(row[i_amount])
    expected = {}
    for rep, q in quota.items():
        for month in range(1, 13):
            r = revenue.get((rep, month), ZERO)
            period = f"{year}-{month:02d}"
            c = commission(r, q)
            if c != 0:
                expected[(rep, period, "commission")] = c
            if r >= q:
                expected[(rep, period, "bonus")] = BONUS
    notes = {"rows": rows, "closed": closed, "closed_outside_year": outside, "closed_unknown_rep": unknown}
    return expected, notes


def read_rulebook_payouts(path):
    """rulebook's payouts.csv as {(rep, period, component): amount}; zero amounts are absent."""
    expected_name = {"commission": "sales_commission", "bonus": "quota_bonus"}
    got, problems = {}, []
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            comp = row["component"]
            if expected_name.get(comp) != row["name"]:
                problems.append(f"payouts.csv line {line}: unexpected component/name {comp}/{row['name']}")
            key = (row["salesperson"], row["period"], comp)
            amount = Decimal(row["amount"])
            if key in got:
                problems.append(f"payouts.csv line {line}: a second line for {key}")
                amount += got[key]
            if amount != 0:
                got[key] = amount
            else:
                got.pop(key, None)
    return got, problems


def read_duckdb_payouts(path):
    got = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for comp in ("commission", "bonus"):
                amount = Decimal(row[comp])
                if amount != 0:
                    got[(row["rep_id"], row["period"], comp)] = amount
    return got


def read_handwritten_payouts(text):
    """The hand-written program's `rep_id,month,commission,bonus` lines, as the others' sets."""
    got = {}
    for line in text.splitlines():
        rep, month, commission, bonus = line.split(",")
        for comp, amount in (("commission", Decimal(commission)), ("bonus", Decimal(bonus))):
            if amount != 0:
                got[(rep, f"{YEAR}-{int(month):02d}", comp)] = amount
    return got


def compare(a, b):
    """Keys where the two differ, sorted: [(key, a_value, b_value)], a missing line being 0."""
    return [(k, a.get(k, ZERO), b.get(k, ZERO)) for k in sorted(a.keys() | b.keys()) if a.get(k, ZERO) != b.get(k, ZERO)]


# ---------------------------------------------------------------------------------------------
# Running and measuring


class Result:
    def __init__(self, wall, cpu, maxrss_kib, rc, stdout, stderr):
        self.wall, self.cpu, self.maxrss_kib, self.rc = wall, cpu, maxrss_kib, rc
        self.stdout, self.stderr = stdout, stderr


def find_gnu_time():
    """GNU time, to measure a child's peak memory (see measure())."""
    for candidate in ("/usr/bin/time", shutil.which("time")):
        if candidate and os.path.exists(candidate):
            try:
                version = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if "GNU" in version.stdout + version.stderr:
                return candidate
    return None


GNU_TIME = find_gnu_time()


def measure(cmd, log_dir, name, memory=False):
    """Runs cmd; returns its wall time, user+sys time and (with memory=True) its peak RSS.

    Wall and CPU time come from os.wait4 on the child itself. Its ru_maxrss is no good for peak
    memory, though: Linux carries the parent's peak RSS over into a child started with vfork
    (as subprocess does) or fork, so a 3 MiB `rulebook check` would show the harness's 15-50 MiB.
    For peak memory the command therefore runs under GNU time, whose own fork is tiny and which
    reports its child's ru_maxrss (%M). That costs a few milliseconds of wall time, so the timed
    runs are made without it."""
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{name}.stdout", log_dir / f"{name}.stderr"
    rss_path = log_dir / f"{name}.maxrss"
    argv = [str(c) for c in cmd]
    if memory and GNU_TIME:
        argv = [GNU_TIME, "--format", "%M", "--output", str(rss_path), *argv]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = None  # KiB
    if memory and GNU_TIME:
        lines = rss_path.read_text().split() if rss_path.exists() else []
        maxrss = int(lines[-1]) if lines and lines[-1].isdigit() else None
    elif memory:
        maxrss = usage.ru_maxrss  # an upper bound: the harness's own peak is in it
    return Result(
        wall,
        usage.ru_utime + usage.ru_stime,
        maxrss,
        proc.returncode,
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
    )


def first_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[0] if lines else ""


class Series:
    """Repeated runs of one command."""

    def __init__(self, label, rows):
        self.label, self.rows = label, rows
        self.walls, self.cpus, self.rss = [], [], []
        self.failure = None
        self.extra = []

    def add(self, r):
        """A timed run."""
        self.walls.append(r.wall)
        self.cpus.append(r.cpu)

    def add_memory(self, r):
        """A run under GNU time, for peak memory."""
        if r.maxrss_kib is not None:
            self.rss.append(r.maxrss_kib)

    @property
    def wall(self):
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self):
        return statistics.median(self.cpus) if self.cpus else None

    @property
    def peak_mib(self):
        return max(self.rss) / 1024 if self.rss else None


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def generate(rulebook, directory, args, regenerate):
    """Runs `rulebook generate` into directory unless the same command already filled it."""
    marker = directory / ".generated.json"
    cmd = [str(rulebook), "generate", "--out", str(directory), *args]
    if not regenerate and marker.exists():
        try:
            if json.loads(marker.read_text()).get("args") == args:
                return False
        except ValueError:
            pass
    if directory.exists():
        shutil.rmtree(directory)
    print(f"generating: rulebook generate --out {directory.relative_to(ROOT)} {' '.join(args)}", flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: rulebook generate failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    marker.write_text(json.dumps({"args": args}) + "\n")
    return True


def fmt_s(seconds):
    if seconds is None:
        return "—"
    if seconds < 0.1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.3f} s"


def fmt_mib(mib):
    return "—" if mib is None else f"{mib:.1f} MiB"


def fmt_rate(rows, seconds):
    if not seconds or not rows:
        return "—"
    rate = rows / seconds
    if rate >= 1e6:
        return f"{rate / 1e6:.2f} M/s"
    return f"{rate / 1e3:.0f} k/s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--pairs", type=int, help="rulebook/DuckDB pairs to take medians over (default 5; small: 1)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs of each before the pairs (default and least 1: the first measures peak memory)")
    ap.add_argument("--check-runs", type=int, default=20, help="timed runs of `rulebook check` (default 20)")
    ap.add_argument("--no-duckdb", action="store_true", help="no DuckDB: check rulebook against pure Python only")
    ap.add_argument("--no-python-check", action="store_true",
                    help="skip the pure-Python checker unless there is a disagreement to settle "
                         "(it takes about 1 s per million rows; never skipped with --no-duckdb)")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed policy")
    ap.add_argument("--no-handwritten", action="store_true",
                    help="skip the hand-written program (bench/handwritten) the plain plan is compared with")
    ap.add_argument("--no-build", action="store_true", help="do not run `cargo build --release` first")
    ap.add_argument("--regenerate", action="store_true", help="regenerate the cached data")
    ap.add_argument("--setup", action="store_true", help="create bench/.venv and install duckdb into it, then stop")
    args = ap.parse_args()

    if args.setup:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "duckdb"], check=True)
        subprocess.run([str(VENV_PY), "-c", "import duckdb; print('duckdb', duckdb.__version__, 'in', __import__('sys').prefix)"], check=True)
        return 0

    size = SIZES[args.size]
    pairs = args.pairs if args.pairs is not None else size["pairs"]
    if pairs < 1:
        ap.error("--pairs must be at least 1")
    python_check = args.no_duckdb or not args.no_python_check

    # The DuckDB child's interpreter: bench/.venv, else whatever python3 runs this script.
    duck_py = None
    if not args.no_duckdb:
        for candidate in (VENV_PY, Path(sys.executable)):
            if candidate.exists() and subprocess.run([str(candidate), "-c", "import duckdb"], capture_output=True).returncode == 0:
                duck_py = candidate
                break
        if duck_py is None:
            print("error: duckdb is not installed: run `python3 bench/bench.py --setup` "
                  "(bench/.venv, from PyPI), or pass --no-duckdb", file=sys.stderr)
            return 2

    rulebook = Path(os.environ.get("RULEBOOK", ROOT / "target" / "release" / "rulebook"))
    if not args.no_build and "RULEBOOK" not in os.environ:
        print("cargo build --release", flush=True)
        if subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT).returncode != 0:
            print("error: cargo build --release failed", file=sys.stderr)
            return 2
    if not rulebook.exists():
        print(f"error: no binary at {rulebook}: run `cargo build --release`", file=sys.stderr)
        return 2
    hand_bin = None
    if not args.no_handwritten:
        if not args.no_build:
            print("cargo build --release (bench/handwritten)", flush=True)
            if subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path",
                               str(HANDWRITTEN / "Cargo.toml")], cwd=ROOT).returncode != 0:
                print("error: building bench/handwritten failed", file=sys.stderr)
                return 2
        if HANDWRITTEN_BIN.exists():
            hand_bin = HANDWRITTEN_BIN

    data = BENCH / f"data-{args.size}"
    # A private copy of the binary: target/release/rulebook may be rebuilt by someone else while
    # the benchmark runs, and every run of one benchmark must be of the same binary.
    data.mkdir(parents=True, exist_ok=True)
    built = datetime.datetime.fromtimestamp(rulebook.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    private = data / "rulebook"
    shutil.copy2(rulebook, private)
    digest = hashlib.sha256()
    with open(private, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    binary_sha = digest.hexdigest()[:12]
    rulebook = private
    plain_dir, seed_dir = data / "plain", data / "seed"
    out_dir, log_dir = data / "out", data / "logs"
    rows, reps = size["rows"], size["reps"]
    common = ["--rows", str(rows), "--reps", str(reps), "--year", str(YEAR), "--seed", str(SEED)]
    generate(rulebook, plain_dir, ["--plain", *common], args.regenerate)
    if not args.no_seed:
        generate(rulebook, seed_dir, common, args.regenerate)
        seed_config = seed_dir / "run.yaml"
        if not seed_config.exists():  # older generators wrote no run configuration
            shutil.copy(SEED_CONFIG_TEMPLATE, seed_config)
    sales, roster = plain_dir / "sales.csv", plain_dir / "roster.csv"
    for stale in (out_dir, log_dir):  # this run's outputs and logs only
        if stale.exists():
            shutil.rmtree(stale)
    out_dir.mkdir(parents=True)

    def plain_cmd():
        # The policy's roster is called `reps`; `--source NAME=PATH` takes the policy's names.
        return [rulebook, "run", PLAIN_POLICY, "--config", PLAIN_CONFIG, "--period", str(YEAR),
                "--source", f"sales={sales}", "--source", f"reps={roster}", "--out", out_dir / "plain"]

    def seed_cmd(period):
        return [rulebook, "run", SEED_POLICY, "--config", seed_dir / "run.yaml", "--period", period,
                "--out", out_dir / f"seed-{period}"]

    def impact_cmd(period):
        return [rulebook, "diff", IMPACT_OLD, IMPACT_NEW, "--config", seed_dir / "run.yaml", "--period", period,
                "--format", "json"]

    duck_out = out_dir / "duckdb.csv"
    duck_cmd = [duck_py, "-c", DUCK_CHILD, plain_sql(sales, roster, duck_out)] if duck_py else None

    plain = Series("rulebook, plain plan", rows)
    plain.short = "plain"
    hand = Series("hand-written Rust, plain plan (`bench/handwritten`)", rows) if hand_bin else None
    if hand:
        hand.short = "hand-written"
    hand_out = []
    duck = Series("DuckDB, plain plan (one SQL query)", rows) if duck_py else None
    seed = None if args.no_seed else Series(f"rulebook, seed policy (`--period {YEAR}`)", rows)
    if duck:
        duck.short = "DuckDB"
    impact = None if args.no_seed else Series(
        f"rulebook diff 2027.1 → 2027.2 with money impact (`--period {YEAR}`)", rows)
    if seed:
        seed.short = "seed"
        impact.short = "impact"
    seed_period = str(YEAR)
    duck_info = []

    counter = {"n": 0}

    def run(cmd, name, output, mode):
        """One process; its output is removed first (outside the timing)."""
        counter["n"] += 1
        if output.is_dir():
            shutil.rmtree(output)
        elif output.exists():
            output.unlink()
        return measure(cmd, log_dir, f"{counter['n']:03d}-{name}-{mode}", memory=(mode == "memory"))

    def record(series, r, mode):
        if mode == "timed":
            series.add(r)
        elif mode == "memory":
            series.add_memory(r)
        # "warm": nothing to record

    # mode: "memory" (the first, untimed run of each, under GNU time), "warm" (further untimed
    # runs) or "timed".
    def do_plain(mode):
        if plain.failure:
            return
        r = run(plain_cmd(), "plain", out_dir / "plain", mode)
        if r.rc != 0:
            plain.failure = f"exit {r.rc}: {first_line(r.stderr) or first_line(r.stdout)}"
        else:
            record(plain, r, mode)

    def do_hand(mode):
        if hand is None or hand.failure:
            return
        r = run([hand_bin, sales, roster], "handwritten", out_dir / "handwritten.csv", mode)
        if r.rc != 0:
            hand.failure = f"exit {r.rc}: {first_line(r.stderr)}"
        else:
            record(hand, r, mode)
            if mode == "timed":
                hand_out[:] = [r.stdout]

    def do_duck(mode):
        if duck is None or duck.failure:
            return
        r = run(duck_cmd, "duckdb", duck_out, mode)
        if r.rc != 0:
            duck.failure = f"exit {r.rc}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''}"
        else:
            record(duck, r, mode)
            if mode == "timed":
                duck_info.append(json.loads(r.stdout.strip().splitlines()[-1]))

    def do_seed(mode):
        nonlocal seed_period
        if seed is None or seed.failure:
            return
        r = run(seed_cmd(seed_period), f"seed-{seed_period}", out_dir / f"seed-{seed_period}", mode)
        if r.rc != 0 and seed_period == str(YEAR):
            # The year cannot be computed: fall back to its first quarter (still one pass over
            # every file, the other rows going to rejects.csv as outside the period), and say so.
            seed.extra.append(f"`rulebook run {SEED_POLICY.relative_to(ROOT)} --period {YEAR}` fails "
                              f"(exit {r.rc}: {first_line(r.stderr)}); measured `--period {YEAR}-Q1` instead: "
                              f"one pass over all the files too, but three months of rules, and every row "
                              f"of the other months written to rejects.csv as outside the period")
            seed_period = f"{YEAR}-Q1"
            seed.label = f"rulebook, seed policy (`--period {YEAR}-Q1`, the year fails)"
            return do_seed(mode)
        if r.rc != 0:
            seed.failure = f"`--period {seed_period}`: exit {r.rc}: {first_line(r.stderr)}"
        else:
            record(seed, r, mode)

    def do_impact(mode):
        # After do_seed, whose period it takes (the year, or its first quarter when the year fails).
        if impact is None or impact.failure or (seed and seed.failure):
            return
        out = out_dir / "impact.json"
        r = run(impact_cmd(seed_period), "impact", out, mode)
        # diff(1)'s statuses: 1 is "the versions differ", the expected answer.
        if r.rc != 1:
            impact.failure = f"exit {r.rc}: {first_line(r.stderr)}"
        else:
            out.write_text(r.stdout)
            record(impact, r, mode)

    load_before = os.getloadavg()[0]
    t_start = time.perf_counter()
    for w in range(max(1, args.warmup)):
        mode = "memory" if w == 0 else "warm"
        do_plain(mode)
        do_hand(mode)
        do_duck(mode)
        do_seed(mode)
        do_impact(mode)
    for i in range(pairs):
        trio = (do_plain, do_hand, do_duck)
        order = trio[i % 3:] + trio[:i % 3]
        for step in order:
            step("timed")
        do_seed("timed")
        do_impact("timed")
        print(f"pair {i + 1}/{pairs}: "
              + ", ".join(f"{s.short} {fmt_s(s.walls[-1])}" for s in (plain, hand, duck, seed, impact) if s and s.walls and len(s.walls) == i + 1),
              flush=True)

    def repeated(label, cmd, runs, tag):
        """One untimed run under GNU time for memory, then `runs` timed ones."""
        series = Series(label, None)
        for n in range(runs + 1):
            mode = "memory" if n == 0 else "timed"
            r = measure(cmd, log_dir, f"{tag}-{n:02d}-{mode}", memory=(mode == "memory"))
            if r.rc != 0:
                series.failure = f"exit {r.rc}: {first_line(r.stderr)}"
                break
            record(series, r, mode)
        return series

    check = repeated(f"rulebook check {SEED_POLICY.relative_to(ROOT)}", [rulebook, "check", SEED_POLICY],
                     args.check_runs, "check")
    # Management's target sheet for every salesperson of the roster.
    sheets = None if args.no_seed else repeated(
        f"rulebook targets {SEED_POLICY.relative_to(ROOT)} (`--period {YEAR}`, every salesperson's sheet)",
        [rulebook, "targets", SEED_POLICY, "--config", seed_dir / "run.yaml", "--period", str(YEAR)], 3, "targets")
    bench_seconds = time.perf_counter() - t_start
    load_after = os.getloadavg()[0]

    # ----- the cross-check ---------------------------------------------------------------------
    verdict, mismatch_lines, notes = [], [], []
    failed = False
    rb = rb_problems = None
    if plain.failure:
        verdict.append(f"**not checked**: the plain-plan run failed ({plain.failure})")
        failed = True
    else:
        rb, rb_problems = read_rulebook_payouts(out_dir / "plain" / "payouts.csv")
        for p in rb_problems[:5]:
            verdict.append(f"**{p}**")
        if rb_problems:
            failed = True
        manifest = out_dir / "plain" / "manifest.json"
        if manifest.exists():
            for inp in json.loads(manifest.read_text()).get("inputs", []):
                if inp.get("rows_rejected"):
                    notes.append(f"rulebook rejected {inp['rows_rejected']:,} of {inp['rows_read']:,} rows of "
                                 f"`{Path(inp['file']).name}` (see `{(out_dir / 'plain' / 'rejects.csv').relative_to(ROOT)}`)")
    dk = None
    if duck and not duck.failure:
        dk = read_duckdb_payouts(duck_out)
    elif duck:
        verdict.append(f"**DuckDB failed**: {duck.failure}")
        failed = True
    py = None
    if python_check:
        t = time.perf_counter()
        py, py_notes = python_expected(sales, roster)
        notes.append(f"pure-Python checker (decimal.Decimal): {time.perf_counter() - t:.2f} s; "
                     f"{py_notes['closed']:,} closed rows, {py_notes['closed_outside_year']} outside {YEAR}, "
                     f"{py_notes['closed_unknown_rep']} for salespeople not on the roster")

    # Every pair of the result sets at hand; at the first disagreement the pure-Python checker is
    # brought in (if it is not already) to tell who is right.
    hw = read_handwritten_payouts(hand_out[0]) if hand_out else None
    sets = [(name, got) for name, got in (("rulebook", rb), ("DuckDB", dk), ("hand-written", hw), ("pure Python", py))
            if got is not None]
    disagree = any(compare(a, b) for i, (_, a) in enumerate(sets) for (_, b) in sets[i + 1:])
    if (disagree or (dk is not None and rb is None)) and py is None:
        print("running the pure-Python checker to see who is right", flush=True)
        py, _ = python_expected(sales, roster)
        sets.append(("pure Python", py))
    bad_keys = set()
    for i, (name_a, a) in enumerate(sets):
        for name_b, b in sets[i + 1:]:
            diffs = compare(a, b)
            if diffs:
                failed = True
                bad_keys.update(k for k, _, _ in diffs)
                verdict.append(f"**{name_a} and {name_b} disagree** on {len(diffs):,} of "
                               f"{len(a.keys() | b.keys()):,} non-zero (salesperson, month, component) amounts")
            else:
                verdict.append(f"{name_a} and {name_b} agree to the cent on all {len(a):,} non-zero "
                               f"(salesperson, month, component) amounts")
    if bad_keys:
        mismatch_lines.append(f"The first of the {len(bad_keys):,} amounts in dispute (a missing line counts as 0):")
        mismatch_lines.append("")
        mismatch_lines.append("| salesperson | period | component | " + " | ".join(n for n, _ in sets) + " |")
        mismatch_lines.append("|---|---|---|" + "---:|" * len(sets))
        for key in sorted(bad_keys)[:10]:
            mismatch_lines.append(f"| {' | '.join(key)} | " + " | ".join(str(got.get(key, ZERO)) for _, got in sets) + " |")

    # ----- the report --------------------------------------------------------------------------
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "grammar")
    commit = head + (" with uncommitted changes in src/" if dirty else "")
    if "RULEBOOK" in os.environ:
        source = f"binary `{os.environ['RULEBOOK']}` (from $RULEBOOK; the checkout is at `{commit}`)"
    else:
        source = f"commit `{commit}`"
    ref = duck.wall if duck and duck.walls else None
    hand_ref = hand.wall if hand and hand.walls else None

    def row(s):
        if s is None:
            return None
        if s.failure and not s.walls:
            return f"| {s.label} | failed: {s.failure} | | | | | | |"
        vs = "—"
        if ref and s in (plain, hand):
            vs = f"{ref / s.wall:.2f}×"
        elif s is duck:
            vs = "1×"
        by_hand = f"{s.wall / hand_ref:.2f}×" if hand_ref and s in (plain, hand, duck) else "—"
        return (f"| {s.label} | {fmt_s(s.wall)} ({fmt_s(min(s.walls))}–{fmt_s(max(s.walls))}) | {fmt_s(s.cpu)} | "
                f"{fmt_mib(s.peak_mib)} | {fmt_rate(s.rows, s.wall)} | {vs} | {by_hand} | {len(s.walls)} |")

    out = [f"# rulebook benchmark, size `{args.size}`", ""]
    out.append(f"{datetime.date.today().isoformat()}, {source} (binary built {built}, sha256 {binary_sha}…), "
               f"{os.cpu_count()} cores ({cpu_model()}), "
               f"{pairs} pair(s) after {max(1, args.warmup)} untimed run(s) of each, the first under GNU time for "
               f"peak memory; medians"
               + (f"; DuckDB {duck_info[0]['version']} with {duck_info[0]['threads']} threads" if duck_info else "")
               + f"; load average {load_before:.2f} before, {load_after:.2f} after.")
    out.append("")
    out.append(f"Data: {rows:,} sales rows, {reps:,} salespeople, generator seed {SEED}, year {YEAR} "
               f"(plain `sales.csv` {(sales.stat().st_size / 2**20):.1f} MiB"
               + (f"; seed-format files {sum(p.stat().st_size for p in seed_dir.glob('*.csv')) / 2**20:.1f} MiB in all"
                  if not args.no_seed else "") + ").")
    out.append("")
    out.append("| run | wall (min–max) | CPU user+sys | peak RSS | sales rows/s | DuckDB wall ÷ this | "
               "this ÷ hand-written | runs |")
    out.append("|---|---|---|---|---|---|---|---|")
    for s in (plain, hand, seed, impact, duck):
        line = row(s)
        if line:
            out.append(line)
    for s in (check, sheets):
        if s and s.walls:
            out.append(f"| {s.label} | {fmt_s(s.wall)} ({fmt_s(min(s.walls))}–{fmt_s(max(s.walls))}) | "
                       f"{fmt_s(s.cpu)} | {fmt_mib(s.peak_mib)} | — | — | — | {len(s.walls)} |")
        elif s and s.failure:
            out.append(f"| {s.label} | failed: {s.failure} | | | | | | |")
    out.append("")
    if duck_info:
        q = statistics.median(d["query_s"] for d in duck_info)
        st = statistics.median(d["startup_s"] for d in duck_info)
        out.append(f"- DuckDB's wall time is the whole child process: Python start-up and `import duckdb` "
                   f"({fmt_s(st)}) plus the query itself ({fmt_s(q)}, median, timed inside the child).")
    for s in (plain, hand, seed, impact, duck):
        if s:
            for e in s.extra:
                out.append(f"- {e}")
            if s.failure and s.walls:
                out.append(f"- {s.label}: a later run failed ({s.failure})")
    if not GNU_TIME:
        out.append("- No GNU time here: peak memory is the child's ru_maxrss, which includes the harness's own "
                   "peak (Linux carries it over into children); read it as an upper bound.")
    for n in notes:
        out.append(f"- {n}")
    out.append("")

    # The targets of bench/README.md, where this run can say something about them.
    targets = []
    if plain.walls:
        if args.size == "10m":
            targets.append(("plain plan, 10M rows, wall ≤ 0.8 s", fmt_s(plain.wall), plain.wall <= 0.8))
        if hand_ref:
            targets.append(("plain plan within 1.5× of the hand-written program, same run",
                            f"{plain.wall / hand_ref:.2f}×", plain.wall <= 1.5 * hand_ref))
        if ref:
            targets.append(("plain plan ≥ 4× faster than DuckDB", f"{ref / plain.wall:.2f}×", ref / plain.wall >= 4))
        if plain.peak_mib is not None:
            targets.append(("plain plan peak memory < 100 MiB", fmt_mib(plain.peak_mib), plain.peak_mib < 100))
        if seed and seed.walls:
            targets.append(("seed policy within 2× of the plain plan", f"{seed.wall / plain.wall:.2f}×", seed.wall <= 2 * plain.wall))
    if seed and seed.walls and seed.peak_mib is not None:
        targets.append(("seed policy peak memory < 100 MiB", fmt_mib(seed.peak_mib), seed.peak_mib < 100))
    if seed and seed.walls and impact and impact.walls:
        targets.append(("money impact of two versions ≤ 1.3× one run of the seed policy",
                        f"{impact.wall / seed.wall:.2f}×", impact.wall <= 1.3 * seed.wall))
    if check.walls:
        targets.append(("`check` of the seed policy < 10 ms", fmt_s(check.wall), check.wall < 0.010))
    if targets:
        out.append("| target | measured | met |")
        out.append("|---|---|---|")
        for name, value, ok in targets:
            out.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")
        out.append("")

    out.append("Cross-check (the plain plan's payouts):")
    out.append("")
    out += [f"- {v}" for v in verdict] or ["- nothing to check"]
    if mismatch_lines:
        out.append("")
        out += mismatch_lines
    out.append("")
    report = "\n".join(out)
    print()
    print(report)
    (BENCH / f"results-{args.size}.md").write_text(report)
    print(f"(written to {(BENCH / f'results-{args.size}.md').relative_to(ROOT)}; benchmark {bench_seconds:.0f} s)")
    failed = (failed or bool(plain.failure) or bool(seed and seed.failure) or bool(impact and impact.failure)
              or bool(check.failure))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

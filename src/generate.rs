//! A deterministic, seeded generator of a realistic data set for the seed policy
//! (`policies/sales-strategy.en.policy` and its Chinese twin `sales-strategy.zh.policy`).
//!
//! One seed gives the same bytes on every machine: the random numbers come from a SplitMix64
//! generator kept in this module, one independent stream per file, and money is integer cents
//! from the first moment (no floating point anywhere). Rows are written as they are made,
//! through buffered writers: memory depends on the number of salespeople, never on the number
//! of rows, so ten million sales rows take no more memory than a thousand.
//!
//! What is written (policy mode, the default), every file with exactly the columns the policy's
//! `source` and `roster` items declare:
//!
//! - `roster.csv`: salespeople with name, team, region, channel, level, hire and leave dates.
//!   Regions, channels and levels are exactly the keys of the policy's `split` and `allocate`
//!   lines, in the proportions of the splits; a few people join or leave during the year.
//! - `sales.csv`: deal rows over the year, by close date, following the policy's monthly phasing
//!   (fewer deals at weekends), sized so the company reaches about its target. About 6% of closed
//!   deals are credited to two people: one row per credited share, `D0001234567-1` and `-2`.
//!   About 2% of rows are returns: a negative amount against an earlier closed deal of the same
//!   person, whose id they carry with `-R` (`D0001234567-R`). Statuses closed / open / cancelled;
//!   satisfaction 1–5 or empty. The launch product `Cloud Suite` sells from April.
//! - `activities.csv`: per person and month, visits, CRM updates, contract submissions (with
//!   days late), complaints (resolved or not), revisits, intelligence reports, training, a sales
//!   plan at the start of the month and a capability evaluation at the end of each quarter.
//! - `payments.csv`: collections against closed deals (some in two instalments, some not yet
//!   collected by the end of the year) and refunds of some returns.
//! - `market.csv`: market size per region and month.
//! - `run.yaml`: the run configuration binding the English policy's sources to these files.
//!
//! With `chinese`, the same rows are also written for the Chinese policy, with its field names
//! and values: `sales-cn.csv` is an export the way Chinese systems make them (GB18030, CRLF,
//! headers of its own, dates like `2027年1月5日`, amounts like `¥1,234.50`); `roster-cn.csv`,
//! `activities-cn.csv` and `market-cn.csv` are UTF-8 with a byte order mark; the payments file
//! has no Chinese values and is shared through `columns:` in `run.zh.yaml`.
//!
//! With `bad_rows`, five deliberate faults are put into the sales files (and only there), at
//! fixed fractions of the file: an amount in European notation, a day that does not exist, a
//! row without a salesperson (these three the reader rejects), a salesperson not on the roster
//! and a row exported twice (these two the reader accepts; the run rejects them).
//!
//! With `plain`, only the benchmark format is written: `sales.csv` with the columns
//! `deal_id,rep_id,region,channel,product,close_date,amount,status,csat` (every row its own
//! `deal_id`) and `roster.csv` with `rep_id,team,region,level,hire_date,monthly_quota`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

// ---------- options ----------

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub seed: u64,
    /// Number of salespeople on the roster.
    pub reps: u32,
    /// Number of sales rows (the deliberate bad rows come on top).
    pub rows: u64,
    /// The fiscal year (the seed policy's year starts in January).
    pub year: i32,
    /// Only the benchmark format: `sales.csv` and `roster.csv`.
    pub plain: bool,
    /// Also the Chinese files for `sales-strategy.zh.policy`.
    pub chinese: bool,
    /// Put the deliberate bad rows into the sales files.
    pub bad_rows: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 2027,
            reps: 30,
            rows: 3000,
            year: 2027,
            plain: false,
            chinese: false,
            bad_rows: false,
        }
    }
}

impl Options {
    /// The command line that generates this data set, but for `--out`.
    pub fn command_line(&self) -> String {
        let mut s = format!(
            "rulebook generate --seed {} --reps {} --rows {} --year {}",
            self.seed, self.reps, self.rows, self.year
        );
        for (on, flag) in [
            (self.plain, " --plain"),
            (self.chinese, " --chinese"),
            (self.bad_rows, " --bad-rows"),
        ] {
            if on {
                s.push_str(flag);
            }
        }
        s
    }

    fn check(&self) -> io::Result<()> {
        let bad = |why: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, why.to_string()));
        if self.reps == 0 {
            return bad("there must be at least one salesperson (`--reps`)");
        }
        if !(1000..=9998).contains(&self.year) {
            return bad("the year must be between 1000 and 9998");
        }
        if self.plain && (self.chinese || self.bad_rows) {
            return bad("the plain benchmark format has no Chinese files and no deliberate bad rows");
        }
        Ok(())
    }
}

/// One file written, with its number of data rows (the header does not count; `None` for the
/// run configurations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub rows: Option<u64>,
}

/// The fault of a deliberate bad row, in the order they appear in the sales files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `1.234,50`: decimal comma and a dot between thousands; the reader rejects it.
    EuropeanAmount,
    /// 30 February; the reader rejects it.
    NoSuchDay,
    /// The salesperson left empty; the reader rejects it.
    NoSalesperson,
    /// A salesperson who is not on the roster (the next id after the last); the reader accepts
    /// the row, the run rejects it.
    UnknownSalesperson,
    /// The row before it, exported twice; the reader accepts it, the run rejects the repeated key.
    Repeated,
}

/// The deliberate bad rows, in order.
pub const FAULTS: [Fault; 5] = [
    Fault::EuropeanAmount,
    Fault::NoSuchDay,
    Fault::NoSalesperson,
    Fault::UnknownSalesperson,
    Fault::Repeated,
];

/// Generates the data set into `out` (created if needed). Returns the files written.
pub fn generate(out: &Path, opts: &Options) -> io::Result<Vec<Written>> {
    opts.check()?;
    std::fs::create_dir_all(out)?;
    let roster = Roster::new(opts);
    let mut written = Vec::new();
    if opts.plain {
        written.push(write_plain_roster(out, &roster)?);
        let mut sink = SalesSink {
            main: CsvOut::create(out.join("sales.csv"), Enc::Utf8, "\n", &PLAIN_SALES_HEADER)?,
            plain_id: Some(0),
            zh: None,
            payments: None,
        };
        sales(opts, &roster, &mut sink)?;
        written.push(sink.main.finish()?);
        return Ok(written);
    }

    written.extend(write_roster(out, opts, &roster)?);
    let mut sink = SalesSink {
        main: CsvOut::create(out.join("sales.csv"), Enc::Utf8, "\n", &SALES_HEADER)?,
        plain_id: None,
        zh: if opts.chinese {
            Some(CsvOut::create(
                out.join("sales-cn.csv"),
                Enc::Gb18030,
                "\r\n",
                &SALES_CN_HEADER,
            )?)
        } else {
            None
        },
        payments: Some(Payments {
            csv: CsvOut::create(out.join("payments.csv"), Enc::Utf8, "\n", &PAYMENTS_HEADER)?,
            rng: Rng::new(opts.seed, STREAM_PAYMENTS),
            next: 1,
        }),
    };
    sales(opts, &roster, &mut sink)?;
    written.push(sink.main.finish()?);
    if let Some(zh) = sink.zh {
        written.push(zh.finish()?);
    }
    if let Some(payments) = sink.payments {
        written.push(payments.csv.finish()?);
    }
    written.extend(activities(out, opts, &roster)?);
    written.extend(market(out, opts)?);
    written.extend(write_run_configs(out, opts)?);
    Ok(written)
}

// ---------- the vocabulary of the seed policy ----------

/// A value in the English policy and its Chinese twin.
#[derive(Clone, Copy)]
struct Term {
    en: &'static str,
    zh: &'static str,
}

const fn t(en: &'static str, zh: &'static str) -> Term {
    Term { en, zh }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Zh,
}

impl Term {
    fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// `split company by region: east 40%, south 35%, west 25%`, in basis points.
const REGIONS: [(Term, &str, u64); 3] = [
    (t("east", "华东"), "East", 4000),
    (t("south", "华南"), "South", 3500),
    (t("west", "西部"), "West", 2500),
];
/// `split region by channel: direct 70%, partner 30%`.
const CHANNELS: [(Term, &str, u64); 2] = [
    (t("direct", "直销"), "Direct", 7000),
    (t("partner", "分销"), "Partner", 3000),
];
/// `allocate channel by level: senior 1.5, mid 1, junior 0.7` (weights in tenths), and how many
/// people are at each level (per cent).
const LEVELS: [(Term, u64, u64); 3] = [
    (t("senior", "高级"), 15, 25),
    (t("mid", "中级"), 10, 45),
    (t("junior", "初级"), 7, 30),
];
/// `phase company by month`, per cent.
const PHASE: [u64; 12] = [6, 5, 8, 8, 8, 9, 8, 8, 9, 9, 10, 12];
/// The company target, in yuan, and the revised one from July.
const TARGET_YUAN: u64 = 120_000_000;
const REVISED_YUAN: u64 = 126_000_000;
const REVISED_FROM_MONTH: u8 = 7;
/// The market share the policy measures against (`share_index = market_share / 15%`), per cent.
const SHARE_GOAL: u64 = 15;

const CLOSED: u8 = 0;
/// Per mille of new deals: closed, open, cancelled.
const STATUSES: [(Term, u64); 3] = [
    (t("closed", "已成交"), 840),
    (t("open", "进行中"), 100),
    (t("cancelled", "已取消"), 60),
];

/// Products: weight, price level (per mille of the mean deal), sold from the launch date only.
const PRODUCTS: [(Term, u64, u64, bool); 5] = [
    (t("Data Platform", "数据平台"), 26, 1400, false),
    (t("Analytics", "数据分析"), 22, 1000, false),
    (t("Edge Gateway", "边缘网关"), 14, 800, false),
    (t("Support Plan", "运维服务"), 18, 350, false),
    (t("Cloud Suite", "云套件"), 20, 1200, true),
];
/// The launch of `Cloud Suite`: the policy's special incentive runs from 1 April.
const LAUNCH_MONTH: u8 = 4;
/// Deal sizes, per mille of the mean: weight, low, high.
const SIZES: [(u64, u64, u64); 4] = [(40, 150, 600), (40, 600, 1400), (16, 1400, 3000), (4, 3000, 8000)];

/// The activity kinds the policy's metrics count.
const VISIT: u8 = 0;
const CRM_UPDATE: u8 = 1;
const CONTRACT: u8 = 2;
const COMPLAINT: u8 = 3;
const REVISIT: u8 = 4;
const INTELLIGENCE: u8 = 5;
const TRAINING: u8 = 6;
const EVALUATION: u8 = 7;
const SALES_PLAN: u8 = 8;
const KINDS: [Term; 9] = [
    t("visit", "拜访"),
    t("crm_update", "系统更新"),
    t("contract", "合同提交"),
    t("complaint", "投诉"),
    t("revisit", "回访"),
    t("intelligence", "竞争情报"),
    t("training", "培训"),
    t("evaluation", "能力评估"),
    t("sales_plan", "销售计划"),
];
const YES: Term = t("yes", "是");
const NO: Term = t("no", "否");

const SURNAMES: [Term; 20] = [
    t("Wang", "王"),
    t("Li", "李"),
    t("Zhang", "张"),
    t("Liu", "刘"),
    t("Chen", "陈"),
    t("Yang", "杨"),
    t("Huang", "黄"),
    t("Zhao", "赵"),
    t("Wu", "吴"),
    t("Zhou", "周"),
    t("Xu", "徐"),
    t("Sun", "孙"),
    t("Ma", "马"),
    t("Zhu", "朱"),
    t("Hu", "胡"),
    t("Guo", "郭"),
    t("He", "何"),
    t("Lin", "林"),
    t("Gao", "高"),
    t("Luo", "罗"),
];
const GIVEN_NAMES: [Term; 30] = [
    t("Wei", "伟"),
    t("Fang", "芳"),
    t("Na", "娜"),
    t("Min", "敏"),
    t("Jing", "静"),
    t("Lei", "磊"),
    t("Qiang", "强"),
    t("Yang", "洋"),
    t("Yan", "艳"),
    t("Yong", "勇"),
    t("Jun", "军"),
    t("Jie", "杰"),
    t("Juan", "娟"),
    t("Tao", "涛"),
    t("Ming", "明"),
    t("Chao", "超"),
    t("Xiuying", "秀英"),
    t("Xia", "霞"),
    t("Ping", "平"),
    t("Gang", "刚"),
    t("Xiaodong", "晓东"),
    t("Haiyan", "海燕"),
    t("Jianhua", "建华"),
    t("Li", "丽"),
    t("Peng", "鹏"),
    t("Ting", "婷"),
    t("Haoran", "浩然"),
    t("Siyuan", "思远"),
    t("Yuxin", "雨欣"),
    t("Zihan", "子涵"),
];
/// Customers are `city brand industry`, the cities by region.
const CITIES: [[Term; 5]; 3] = [
    [
        t("Shanghai", "上海"),
        t("Hangzhou", "杭州"),
        t("Nanjing", "南京"),
        t("Suzhou", "苏州"),
        t("Ningbo", "宁波"),
    ],
    [
        t("Guangzhou", "广州"),
        t("Shenzhen", "深圳"),
        t("Xiamen", "厦门"),
        t("Fuzhou", "福州"),
        t("Dongguan", "东莞"),
    ],
    [
        t("Chengdu", "成都"),
        t("Chongqing", "重庆"),
        t("Xi'an", "西安"),
        t("Kunming", "昆明"),
        t("Lanzhou", "兰州"),
    ],
];
const BRANDS: [Term; 16] = [
    t("Hengda", "恒达"),
    t("Huaxin", "华信"),
    t("Jinhai", "金海"),
    t("Tianyu", "天宇"),
    t("Ruifeng", "瑞丰"),
    t("Zhongcheng", "中诚"),
    t("Xinghe", "星河"),
    t("Boyuan", "博远"),
    t("Kaitai", "凯泰"),
    t("Hongtu", "宏图"),
    t("Mingde", "明德"),
    t("Yongsheng", "永盛"),
    t("Chuangzhi", "创智"),
    t("Longxiang", "隆祥"),
    t("Jiahe", "嘉禾"),
    t("Shengshi", "盛世"),
];
const INDUSTRIES: [Term; 12] = [
    t("Logistics", "物流"),
    t("Pharmaceuticals", "医药"),
    t("Electronics", "电子"),
    t("Retail", "零售"),
    t("Machinery", "机械"),
    t("Foods", "食品"),
    t("Textiles", "纺织"),
    t("Energy", "能源"),
    t("Software", "软件"),
    t("Auto Parts", "汽车配件"),
    t("Building Materials", "建材"),
    t("Chemicals", "化工"),
];
const CUSTOMERS_PER_REGION: u64 = 5 * 16 * 12;

// ---------- headers ----------

const ROSTER_HEADER: [&str; 8] = [
    "rep_id",
    "name",
    "team",
    "region",
    "channel",
    "level",
    "hire_date",
    "leave_date",
];
const ROSTER_CN_HEADER: [&str; 8] = [
    "员工编号",
    "姓名",
    "团队",
    "区域",
    "渠道",
    "职级",
    "入职日期",
    "离职日期",
];
const SALES_HEADER: [&str; 10] = [
    "deal_id",
    "rep",
    "close_date",
    "amount",
    "status",
    "region",
    "channel",
    "product",
    "customer",
    "satisfaction",
];
/// The Chinese export's own headers, in its own order; `run.zh.yaml` maps the policy's fields
/// to them.
const SALES_CN_HEADER: [&str; 10] = [
    "合同号",
    "成交日期",
    "销售代表",
    "客户名称",
    "产品名称",
    "区域",
    "渠道",
    "合同状态",
    "成交金额",
    "客户满意度",
];
const ACTIVITIES_HEADER: [&str; 7] = [
    "activity_id",
    "rep",
    "activity_date",
    "kind",
    "late_days",
    "resolved",
    "eval_score",
];
const ACTIVITIES_CN_HEADER: [&str; 7] = [
    "活动编号",
    "销售员",
    "活动日期",
    "类型",
    "延误天数",
    "是否解决",
    "评估分数",
];
const PAYMENTS_HEADER: [&str; 5] = ["payment_id", "rep", "paid_date", "deal_id", "amount"];
const MARKET_HEADER: [&str; 3] = ["region", "month_start", "size"];
const MARKET_CN_HEADER: [&str; 3] = ["区域", "统计月份", "规模"];
const PLAIN_SALES_HEADER: [&str; 9] = [
    "deal_id",
    "rep_id",
    "region",
    "channel",
    "product",
    "close_date",
    "amount",
    "status",
    "csat",
];
const PLAIN_ROSTER_HEADER: [&str; 6] = ["rep_id", "team", "region", "level", "hire_date", "monthly_quota"];

// ---------- random numbers ----------

const STREAM_ROSTER: u64 = 1;
const STREAM_SALES: u64 = 2;
const STREAM_PAYMENTS: u64 = 3;
const STREAM_ACTIVITIES: u64 = 4;
const STREAM_MARKET: u64 = 5;

/// SplitMix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    /// An independent stream for each file, so changing one file's generation leaves the
    /// others as they were.
    fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// An index drawn in proportion to `weights`.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut r = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// Divides `total` in proportion to `weights` by largest remainder: the parts add up to `total`.
fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|w| *w as u128).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut parts: Vec<u64> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let x = total as u128 * *w as u128;
        parts.push((x / sum) as u64);
        rems.push((x % sum, i));
    }
    let left = total - parts.iter().sum::<u64>();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems.iter().take(left as usize) {
        parts[*i] += 1;
    }
    parts
}

// ---------- the calendar ----------

/// A civil date; fields in this order so that the derived order is the calendar's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Day {
    y: i32,
    m: u8,
    d: u8,
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_in_year(y: i32) -> u32 {
    if is_leap(y) { 366 } else { 365 }
}

impl Day {
    fn new(y: i32, m: u8, d: u8) -> Day {
        Day { y, m, d }
    }

    /// The day `ordinal` (0-based) of year `y`.
    fn from_ordinal(y: i32, ordinal: u32) -> Day {
        let mut left = ordinal;
        for m in 1..=12 {
            let n = days_in_month(y, m);
            if left < n {
                return Day::new(y, m, left as u8 + 1);
            }
            left -= n;
        }
        Day::new(y, 12, 31)
    }

    /// 0-based day of its year.
    fn ordinal(self) -> u32 {
        (1..self.m).map(|m| days_in_month(self.y, m)).sum::<u32>() + self.d as u32 - 1
    }

    /// 0 = Monday … 6 = Sunday.
    fn weekday(self) -> u32 {
        const T: [i64; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let m = self.m as i64;
        let y = self.y as i64 - i64::from(m < 3);
        let sunday_first = (y + y / 4 - y / 100 + y / 400 + T[m as usize - 1] + self.d as i64) % 7;
        ((sunday_first + 6) % 7) as u32
    }

    fn push_iso(self, s: &mut String) {
        let _ = write!(s, "{:04}-{:02}-{:02}", self.y, self.m, self.d);
    }

    /// `2027年1月5日`.
    fn push_zh(self, s: &mut String) {
        let _ = write!(s, "{}年{}月{}日", self.y, self.m, self.d);
    }
}

/// The days of one year, with the weekday of each.
struct Year {
    y: i32,
    days: u32,
    jan1: u32,
}

impl Year {
    fn new(y: i32) -> Year {
        Year {
            y,
            days: days_in_year(y),
            jan1: Day::new(y, 1, 1).weekday(),
        }
    }

    fn day(&self, ordinal: u32) -> Day {
        Day::from_ordinal(self.y, ordinal)
    }

    fn weekend(&self, ordinal: u32) -> bool {
        (self.jan1 + ordinal) % 7 >= 5
    }

    /// The ordinals of the first and last day of month `m`.
    fn month(&self, m: u8) -> (u32, u32) {
        let first = Day::new(self.y, m, 1).ordinal();
        (first, first + days_in_month(self.y, m) - 1)
    }

    /// A day in `from..=to`, mostly a working day.
    fn workday(&self, rng: &mut Rng, from: u32, to: u32) -> u32 {
        let mut o = rng.range(from as u64, to as u64) as u32;
        for _ in 0..2 {
            if !self.weekend(o) || !rng.chance(850) {
                break;
            }
            o = rng.range(from as u64, to as u64) as u32;
        }
        o
    }
}

// ---------- money ----------

/// `-1234.50`.
fn push_amount(s: &mut String, cents: i64) {
    if cents < 0 {
        s.push('-');
    }
    let a = cents.unsigned_abs();
    let _ = write!(s, "{}.{:02}", a / 100, a % 100);
}

fn push_grouped(s: &mut String, whole: u64, separator: char) {
    let digits = whole.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(separator);
        }
        s.push(c);
    }
}

/// `¥1,234.50`, `-¥1,234.50`; quoted for CSV when it has a comma.
fn push_yuan(s: &mut String, cents: i64) {
    let a = cents.unsigned_abs();
    let quote = a >= 100_000;
    if quote {
        s.push('"');
    }
    if cents < 0 {
        s.push('-');
    }
    s.push('¥');
    push_grouped(s, a / 100, ',');
    let _ = write!(s, ".{:02}", a % 100);
    if quote {
        s.push('"');
    }
}

/// `"1.234,50"`: the European notation of a deliberate bad row, quoted for its comma.
fn push_european(s: &mut String, cents: i64, yuan: bool) {
    let a = cents.unsigned_abs();
    s.push('"');
    if cents < 0 {
        s.push('-');
    }
    if yuan {
        s.push('¥');
    }
    push_grouped(s, a / 100, '.');
    let _ = write!(s, ",{:02}", a % 100);
    s.push('"');
}

// ---------- output ----------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Utf8,
    Utf8Bom,
    Gb18030,
}

/// A CSV file written one line at a time through a reused line buffer (and, for GB18030, a
/// reused encoding buffer). Cells are written by the callers, which never write a comma, quote
/// or line break inside a cell except in a quoted amount.
struct CsvOut {
    path: PathBuf,
    out: BufWriter<File>,
    eol: &'static str,
    line: String,
    gb: Option<(encoding_rs::Encoder, Vec<u8>)>,
    rows: u64,
}

impl CsvOut {
    fn create(path: PathBuf, enc: Enc, eol: &'static str, header: &[&str]) -> io::Result<CsvOut> {
        let mut out = BufWriter::with_capacity(256 * 1024, File::create(&path)?);
        if enc == Enc::Utf8Bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut csv = CsvOut {
            path,
            out,
            eol,
            line: String::with_capacity(256),
            gb: (enc == Enc::Gb18030).then(|| (encoding_rs::GB18030.new_encoder(), Vec::with_capacity(512))),
            rows: 0,
        };
        csv.line.push_str(&header.join(","));
        csv.write_line()?;
        Ok(csv)
    }

    /// The cleared line buffer, to write the next row's cells into.
    fn start(&mut self) -> &mut String {
        self.line.clear();
        &mut self.line
    }

    /// Writes the row in the line buffer.
    fn end(&mut self) -> io::Result<()> {
        self.write_line()?;
        self.rows += 1;
        Ok(())
    }

    fn write_line(&mut self) -> io::Result<()> {
        self.line.push_str(self.eol);
        match &mut self.gb {
            None => self.out.write_all(self.line.as_bytes()),
            Some((encoder, buf)) => {
                buf.clear();
                let need = encoder
                    .max_buffer_length_from_utf8_without_replacement(self.line.len())
                    .ok_or_else(|| io::Error::other("a line too long to encode"))?;
                buf.reserve(need);
                let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(&self.line, buf, false);
                if result != encoding_rs::EncoderResult::InputEmpty || read != self.line.len() {
                    return Err(io::Error::other(format!(
                        "cannot encode `{}` in GB18030",
                        self.line.trim_end()
                    )));
                }
                self.out.write_all(buf)
            }
        }
    }

    fn finish(mut self) -> io::Result<Written> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(Written {
            path: self.path,
            rows: Some(self.rows),
        })
    }
}

// ---------- the roster ----------

struct Rep {
    /// `R00001` is 1.
    number: u32,
    surname: usize,
    given: usize,
    region: usize,
    channel: usize,
    level: usize,
    team: u32,
    hire: Day,
    leave: Option<Day>,
    /// How many deals they close, relative to the others.
    weight: u64,
    /// How diligent they are with visits and the system, per cent.
    diligence: u64,
    /// The first and last ordinal of the year they are employed; `first > last` if never.
    first: i64,
    last: i64,
}

impl Rep {
    fn employed(&self, ordinal: u32) -> bool {
        self.first <= ordinal as i64 && ordinal as i64 <= self.last
    }

    fn push_id(&self, s: &mut String) {
        push_rep_id(s, self.number);
    }

    fn push_team(&self, s: &mut String, lang: Lang) {
        match lang {
            Lang::En => {
                let _ = write!(
                    s,
                    "{} {} {}",
                    REGIONS[self.region].1, CHANNELS[self.channel].1, self.team
                );
            }
            Lang::Zh => {
                let _ = write!(
                    s,
                    "{}{}{}组",
                    REGIONS[self.region].0.zh, CHANNELS[self.channel].0.zh, self.team
                );
            }
        }
    }
}

fn push_rep_id(s: &mut String, number: u32) {
    let _ = write!(s, "R{number:05}");
}

struct Roster {
    year: Year,
    reps: Vec<Rep>,
    /// Rep indices by region and channel.
    cells: [[Vec<u32>; 2]; 3],
}

/// People per team.
const TEAM_SIZE: u32 = 8;

impl Roster {
    fn new(opts: &Options) -> Roster {
        let mut rng = Rng::new(opts.seed, STREAM_ROSTER);
        let year = Year::new(opts.year);
        let n = opts.reps;

        // People by region and channel in the proportions of the splits, every cell staffed
        // when there are enough people.
        let cell_weights: Vec<u64> = REGIONS
            .iter()
            .flat_map(|r| CHANNELS.iter().map(move |c| r.2 * c.2))
            .collect();
        let mut counts = apportion(n as u64, &cell_weights);
        if n as usize >= counts.len() {
            while let Some(empty) = counts.iter().position(|c| *c == 0) {
                let most = (0..counts.len())
                    .max_by_key(|i| (counts[*i], usize::MAX - i))
                    .unwrap_or(0);
                counts[most] -= 1;
                counts[empty] += 1;
            }
        }
        let mut slots: Vec<u8> = Vec::with_capacity(n as usize);
        for (cell, count) in counts.iter().enumerate() {
            slots.extend(std::iter::repeat_n(cell as u8, *count as usize));
        }
        for i in (1..slots.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            slots.swap(i, j);
        }

        let level_odds: Vec<u64> = LEVELS.iter().map(|l| l.2).collect();
        let mut in_cell = [0u32; 6];
        let mut cells: [[Vec<u32>; 2]; 3] = Default::default();
        let mut reps = Vec::with_capacity(n as usize);
        for (i, cell) in slots.iter().enumerate() {
            let cell = *cell as usize;
            let (region, channel) = (cell / 2, cell % 2);
            // Teams of at most TEAM_SIZE, as even as they can be.
            let teams = (counts[cell] as u32).div_ceil(TEAM_SIZE).max(1);
            let team = in_cell[cell] % teams + 1;
            in_cell[cell] += 1;
            cells[region][channel].push(i as u32);
            let level = rng.weighted(&level_odds);
            let hire_year = opts.year - rng.range(1, 9) as i32;
            let hire_ordinal = rng.below(days_in_year(hire_year) as u64) as u32;
            reps.push(Rep {
                number: i as u32 + 1,
                surname: rng.below(SURNAMES.len() as u64) as usize,
                given: rng.below(GIVEN_NAMES.len() as u64) as usize,
                region,
                channel,
                level,
                team,
                hire: Day::from_ordinal(hire_year, hire_ordinal),
                leave: None,
                weight: LEVELS[level].1 * rng.range(70, 130),
                diligence: rng.range(60, 125),
                first: 0,
                last: year.days as i64 - 1,
            });
        }

        // A few join during the year (about 8%) and a few leave (about 5%).
        if n >= 4 {
            let mut taken = vec![false; n as usize];
            let mut pick = |rng: &mut Rng| loop {
                let i = rng.below(n as u64) as usize;
                if !taken[i] {
                    taken[i] = true;
                    break i;
                }
            };
            let joiners = (n as usize * 8).div_ceil(100);
            let leavers = (n as usize * 5).div_ceil(100);
            let (feb1, oct31) = (
                Day::new(opts.year, 2, 1).ordinal(),
                Day::new(opts.year, 10, 31).ordinal(),
            );
            let (mar1, nov30) = (
                Day::new(opts.year, 3, 1).ordinal(),
                Day::new(opts.year, 11, 30).ordinal(),
            );
            for _ in 0..joiners {
                let i = pick(&mut rng);
                let o = rng.range(feb1 as u64, oct31 as u64) as u32;
                reps[i].hire = year.day(o);
                reps[i].first = o as i64;
            }
            for _ in 0..leavers {
                let i = pick(&mut rng);
                let o = rng.range(mar1 as u64, nov30 as u64) as u32;
                reps[i].leave = Some(year.day(o));
                reps[i].last = o as i64;
            }
        }
        Roster { year, reps, cells }
    }
}

fn write_roster(out: &Path, opts: &Options, roster: &Roster) -> io::Result<Vec<Written>> {
    let mut files = vec![CsvOut::create(out.join("roster.csv"), Enc::Utf8, "\n", &ROSTER_HEADER)?];
    if opts.chinese {
        files.push(CsvOut::create(
            out.join("roster-cn.csv"),
            Enc::Utf8Bom,
            "\n",
            &ROSTER_CN_HEADER,
        )?);
    }
    for (csv, lang) in files.iter_mut().zip([Lang::En, Lang::Zh]) {
        for rep in &roster.reps {
            let s = csv.start();
            rep.push_id(s);
            s.push(',');
            let (surname, given) = (SURNAMES[rep.surname].get(lang), GIVEN_NAMES[rep.given].get(lang));
            match lang {
                Lang::En => {
                    let _ = write!(s, "{surname} {given},");
                }
                Lang::Zh => {
                    let _ = write!(s, "{surname}{given},");
                }
            }
            rep.push_team(s, lang);
            let _ = write!(
                s,
                ",{},{},{},",
                REGIONS[rep.region].0.get(lang),
                CHANNELS[rep.channel].0.get(lang),
                LEVELS[rep.level].0.get(lang)
            );
            rep.hire.push_iso(s);
            s.push(',');
            if let Some(leave) = rep.leave {
                leave.push_iso(s);
            }
            csv.end()?;
        }
    }
    files.into_iter().map(CsvOut::finish).collect()
}

/// The benchmark roster: each person's monthly quota is their share of the company target by
/// region, channel and level, over twelve months.
fn write_plain_roster(out: &Path, roster: &Roster) -> io::Result<Written> {
    let mut level_weights = [[0u64; 2]; 3];
    for rep in &roster.reps {
        level_weights[rep.region][rep.channel] += LEVELS[rep.level].1;
    }
    let mut csv = CsvOut::create(out.join("roster.csv"), Enc::Utf8, "\n", &PLAIN_ROSTER_HEADER)?;
    for rep in &roster.reps {
        let cell_weight = level_weights[rep.region][rep.channel].max(1) as u128;
        let quota = TARGET_YUAN as u128
            * 100
            * REGIONS[rep.region].2 as u128
            * CHANNELS[rep.channel].2 as u128
            * LEVELS[rep.level].1 as u128
            / (10_000 * 10_000 * 12 * cell_weight);
        let s = csv.start();
        rep.push_id(s);
        s.push(',');
        rep.push_team(s, Lang::En);
        let _ = write!(s, ",{},{},", REGIONS[rep.region].0.en, LEVELS[rep.level].0.en);
        rep.hire.push_iso(s);
        s.push(',');
        push_amount(s, quota as i64);
        csv.end()?;
    }
    csv.finish()
}

// ---------- sales and payments ----------

/// One sales row.
#[derive(Clone, Copy)]
struct Sale {
    id: u64,
    /// 1 or 2 for a credited share of a deal; 0 for a whole deal.
    share: u8,
    /// A return against the deal `id` (and share).
    ret: bool,
    rep: u32,
    day: u32,
    cents: i64,
    status: u8,
    product: u8,
    customer: u32,
    /// 1–5, or 0 for none.
    csat: u8,
}

impl Sale {
    fn push_id(&self, s: &mut String) {
        let _ = write!(s, "D{:010}", self.id);
        if self.share > 0 {
            let _ = write!(s, "-{}", self.share);
        }
        if self.ret {
            s.push_str("-R");
        }
    }
}

fn push_customer(s: &mut String, region: usize, customer: u32, lang: Lang) {
    let c = customer as usize;
    // A scramble of 0..960 (337 is prime to 960), so that a few customers still mix industries.
    let c = c * 337 % CUSTOMERS_PER_REGION as usize;
    let (city, brand, industry) = (
        CITIES[region][c % 5].get(lang),
        BRANDS[(c / 5) % 16].get(lang),
        INDUSTRIES[(c / 80) % 12].get(lang),
    );
    match lang {
        Lang::En => {
            let _ = write!(s, "{city} {brand} {industry}");
        }
        Lang::Zh => {
            let _ = write!(s, "{city}{brand}{industry}");
        }
    }
}

/// Where the sales rows go: the benchmark file, or the policy's files with the payments.
struct SalesSink {
    main: CsvOut,
    /// In the benchmark format, the next row's own deal id (0 until the first row).
    plain_id: Option<u64>,
    zh: Option<CsvOut>,
    payments: Option<Payments>,
}

struct Payments {
    csv: CsvOut,
    rng: Rng,
    next: u64,
}

impl SalesSink {
    /// Writes one sales row (with its payments, unless it is a deliberate bad row).
    fn write(&mut self, sale: &Sale, fault: Option<Fault>, roster: &Roster) -> io::Result<()> {
        if let Some(next_id) = &mut self.plain_id {
            let rep = &roster.reps[sale.rep as usize];
            if *next_id == 0 {
                *next_id = sale.id;
            }
            let s = self.main.start();
            let _ = write!(
                s,
                "D{:010},R{:05},{},{},{},",
                *next_id,
                rep.number,
                REGIONS[rep.region].0.en,
                CHANNELS[rep.channel].0.en,
                PRODUCTS[sale.product as usize].0.en
            );
            *next_id += 1;
            roster.year.day(sale.day).push_iso(s);
            s.push(',');
            push_amount(s, sale.cents);
            let _ = write!(s, ",{},", STATUSES[sale.status as usize].0.en);
            if sale.csat > 0 {
                let _ = write!(s, "{}", sale.csat);
            }
            return self.main.end();
        }
        write_sale_en(&mut self.main, sale, fault, roster)?;
        if let Some(zh) = &mut self.zh {
            write_sale_zh(zh, sale, fault, roster)?;
        }
        if let (Some(p), None) = (&mut self.payments, fault) {
            write_payments(&mut p.csv, &mut p.rng, &mut p.next, sale, roster)?;
        }
        Ok(())
    }
}

fn push_sale_rep(s: &mut String, sale: &Sale, fault: Option<Fault>, roster: &Roster) {
    match fault {
        Some(Fault::NoSalesperson) => {}
        Some(Fault::UnknownSalesperson) => push_rep_id(s, roster.reps.len() as u32 + 1),
        _ => roster.reps[sale.rep as usize].push_id(s),
    }
}

fn write_sale_en(csv: &mut CsvOut, sale: &Sale, fault: Option<Fault>, roster: &Roster) -> io::Result<()> {
    let rep = &roster.reps[sale.rep as usize];
    let s = csv.start();
    sale.push_id(s);
    s.push(',');
    push_sale_rep(s, sale, fault, roster);
    s.push(',');
    if fault == Some(Fault::NoSuchDay) {
        let _ = write!(s, "{:04}-02-30", roster.year.y);
    } else {
        roster.year.day(sale.day).push_iso(s);
    }
    s.push(',');
    if fault == Some(Fault::EuropeanAmount) {
        push_european(s, sale.cents, false);
    } else {
        push_amount(s, sale.cents);
    }
    let _ = write!(
        s,
        ",{},{},{},{},",
        STATUSES[sale.status as usize].0.en,
        REGIONS[rep.region].0.en,
        CHANNELS[rep.channel].0.en,
        PRODUCTS[sale.product as usize].0.en
    );
    push_customer(s, rep.region, sale.customer, Lang::En);
    s.push(',');
    if sale.csat > 0 {
        let _ = write!(s, "{}", sale.csat);
    }
    csv.end()
}

/// `合同号,成交日期,销售代表,客户名称,产品名称,区域,渠道,合同状态,成交金额,客户满意度`.
fn write_sale_zh(csv: &mut CsvOut, sale: &Sale, fault: Option<Fault>, roster: &Roster) -> io::Result<()> {
    let rep = &roster.reps[sale.rep as usize];
    let s = csv.start();
    sale.push_id(s);
    s.push(',');
    if fault == Some(Fault::NoSuchDay) {
        let _ = write!(s, "{}年2月30日", roster.year.y);
    } else {
        roster.year.day(sale.day).push_zh(s);
    }
    s.push(',');
    push_sale_rep(s, sale, fault, roster);
    s.push(',');
    push_customer(s, rep.region, sale.customer, Lang::Zh);
    let _ = write!(
        s,
        ",{},{},{},{},",
        PRODUCTS[sale.product as usize].0.zh,
        REGIONS[rep.region].0.zh,
        CHANNELS[rep.channel].0.zh,
        STATUSES[sale.status as usize].0.zh
    );
    if fault == Some(Fault::EuropeanAmount) {
        push_european(s, sale.cents, true);
    } else {
        push_yuan(s, sale.cents);
    }
    s.push(',');
    if sale.csat > 0 {
        let _ = write!(s, "{}", sale.csat);
    }
    csv.end()
}

/// Collections against a closed deal: most are collected, some in two instalments, some not by
/// the end of the year; half of the returns are refunded.
fn write_payments(csv: &mut CsvOut, rng: &mut Rng, next: &mut u64, sale: &Sale, roster: &Roster) -> io::Result<()> {
    if sale.status != CLOSED {
        return Ok(());
    }
    let rep = &roster.reps[sale.rep as usize];
    let last = rep.last.min(roster.year.days as i64 - 1);
    let mut pay = |csv: &mut CsvOut, day: i64, cents: i64| -> io::Result<bool> {
        if day > last {
            return Ok(false);
        }
        let s = csv.start();
        let _ = write!(s, "P{:08},", *next);
        *next += 1;
        rep.push_id(s);
        s.push(',');
        roster.year.day(day as u32).push_iso(s);
        s.push(',');
        sale.push_id(s);
        s.push(',');
        push_amount(s, cents);
        csv.end()?;
        Ok(true)
    };
    if sale.cents < 0 {
        if rng.chance(500) {
            let day = sale.day as i64 + rng.range(0, 15) as i64;
            pay(csv, day, sale.cents)?;
        }
        return Ok(());
    }
    if !rng.chance(880) {
        return Ok(());
    }
    let delay = if rep.channel == 0 {
        rng.range(3, 45)
    } else {
        rng.range(10, 60)
    };
    let day = sale.day as i64 + delay as i64;
    if rng.chance(250) && sale.cents >= 200_000 {
        let first = sale.cents * rng.range(30, 70) as i64 / 100 / 100 * 100;
        if pay(csv, day, first)? {
            pay(csv, day + rng.range(20, 60) as i64, sale.cents - first)?;
        }
    } else {
        pay(csv, day, sale.cents)?;
    }
    Ok(())
}

/// How many closed rows a later return may be against: a bounded sample of the recent ones.
const RETURNABLE: usize = 2048;

/// Generates the sales rows day by day, so they come in order of close date.
fn sales(opts: &Options, roster: &Roster, sink: &mut SalesSink) -> io::Result<()> {
    let mut rng = Rng::new(opts.seed, STREAM_SALES);
    let year = &roster.year;
    let reps = &roster.reps;

    // Rows per day: the policy's phasing times the target in force, fewer at weekends.
    let target_of = |m: u8| {
        if m >= REVISED_FROM_MONTH {
            REVISED_YUAN
        } else {
            TARGET_YUAN
        }
    };
    let day_weights: Vec<u64> = (0..year.days)
        .map(|o| {
            let day = year.day(o);
            let w =
                PHASE[day.m as usize - 1] * (target_of(day.m) / 1_000_000) * 1000 / days_in_month(year.y, day.m) as u64;
            if year.weekend(o) { w / 5 } else { w }
        })
        .collect();
    let per_day = apportion(opts.rows, &day_weights);

    // The mean deal, so that the closed deals add up to about 106% of the year's target.
    let year_target: u64 = (1..=12u8).map(|m| target_of(m) * PHASE[m as usize - 1] / 100).sum();
    let product_mean = {
        let w: u64 = PRODUCTS.iter().map(|p| p.1).sum();
        PRODUCTS.iter().map(|p| p.1 * p.2).sum::<u64>() / w
    };
    let size_mean = {
        let w: u64 = SIZES.iter().map(|s| s.0).sum();
        SIZES.iter().map(|s| s.0 * (s.1 + s.2) / 2).sum::<u64>() / w
    };
    let closed_rows = (opts.rows as u128 * STATUSES[CLOSED as usize].1 as u128 / 1000).max(1);
    let mean_cents = (year_target as u128 * 100 * 106 / 100 * 1_000_000
        / (closed_rows * product_mean as u128 * size_mean as u128))
        .max(100_000) as u64;

    let launch = Day::new(year.y, LAUNCH_MONTH, 1).ordinal();
    let status_odds: Vec<u64> = STATUSES.iter().map(|s| s.1).collect();
    let size_odds: Vec<u64> = SIZES.iter().map(|s| s.0).collect();
    let mut product_odds: Vec<u64> = PRODUCTS.iter().map(|p| if p.3 { 0 } else { p.1 }).collect();
    let customers: Vec<u64> = (0..3)
        .map(|r| {
            let people = roster.cells[r][0].len() + roster.cells[r][1].len();
            (people as u64 * 6).clamp(10, CUSTOMERS_PER_REGION)
        })
        .collect();

    // Who can close a deal on a day: the people employed, by their weight. Rebuilt on the days
    // someone joins or leaves.
    let mut changes = vec![false; year.days as usize + 1];
    for rep in reps {
        for o in [rep.first, rep.last + 1] {
            if (0..=year.days as i64).contains(&o) {
                changes[o as usize] = true;
            }
        }
    }
    let mut cumulative = vec![0u64; reps.len()];
    let mut total = 0;

    let bad_at: Vec<u64> = if opts.bad_rows {
        (1..=FAULTS.len() as u64)
            .map(|k| opts.rows * k / (FAULTS.len() as u64 + 1))
            .collect()
    } else {
        Vec::new()
    };
    let mut next_bad = 0;
    let mut written = 0u64;
    let mut last: Option<Sale> = None;
    let mut returnable: Vec<Sale> = Vec::with_capacity(RETURNABLE);
    // Once full, a new closed row takes a place now and then, so that what can be returned
    // spans about a month however many rows a day has.
    let keep = (RETURNABLE as u64 * 1000 / (opts.rows * 30 / year.days as u64).max(1)).clamp(1, 1000);
    let mut next_id = 1_000_000 + rng.below(1_000_000);

    for o in 0..year.days {
        if o == 0 || changes[o as usize] {
            total = 0;
            for (i, rep) in reps.iter().enumerate() {
                if rep.employed(o) {
                    total += rep.weight;
                }
                cumulative[i] = total;
            }
        }
        if o == launch {
            product_odds = PRODUCTS.iter().map(|p| p.1).collect();
        }
        if total == 0 {
            continue;
        }
        let mut left = per_day[o as usize];
        while left > 0 {
            let mut rows: [Option<Sale>; 2] = [None, None];

            // About 2%: a return against an earlier closed row of someone still employed.
            if rng.chance(20) {
                for _ in 0..4 {
                    if returnable.is_empty() {
                        break;
                    }
                    let i = rng.below(returnable.len() as u64) as usize;
                    let original = returnable[i];
                    if original.day >= o || !reps[original.rep as usize].employed(o) {
                        continue;
                    }
                    returnable.swap_remove(i);
                    let cents = if rng.chance(600) {
                        original.cents
                    } else {
                        (original.cents * rng.range(20, 80) as i64 / 100 / 100 * 100).max(100)
                    };
                    rows[0] = Some(Sale {
                        ret: true,
                        day: o,
                        cents: -cents,
                        status: CLOSED,
                        csat: 0,
                        ..original
                    });
                    break;
                }
            }

            if rows[0].is_none() {
                let r = rng.below(total);
                let rep = cumulative.partition_point(|c| *c <= r) as u32;
                let status = rng.weighted(&status_odds) as u8;
                let product = rng.weighted(&product_odds) as u8;
                let size = SIZES[rng.weighted(&size_odds)];
                let per_mille = rng.range(size.1, size.2) * PRODUCTS[product as usize].2 / 1000;
                let mut cents = (mean_cents as u128 * per_mille as u128 / 1000) as i64;
                cents = match rng.below(10) {
                    0..=4 => (cents + 5_000) / 10_000 * 10_000,
                    5..=7 => (cents + 50) / 100 * 100,
                    _ => cents,
                }
                .max(10_000);
                let region = reps[rep as usize].region;
                // Big customers come back: the lower of two draws.
                let customer = rng.below(customers[region]).min(rng.below(customers[region])) as u32;
                let csat = match status {
                    CLOSED if rng.chance(800) => 1 + rng.weighted(&[30, 70, 150, 400, 350]) as u8,
                    2 if rng.chance(300) => 1 + rng.weighted(&[50, 30, 20, 0, 0]) as u8,
                    _ => 0,
                };
                let sale = Sale {
                    id: next_id,
                    share: 0,
                    ret: false,
                    rep,
                    day: o,
                    cents,
                    status,
                    product,
                    customer,
                    csat,
                };
                next_id += rng.range(1, 3);

                // About 6% of closed deals are credited to two people of the same team's kind.
                let partner = if status == CLOSED && left >= 2 && rng.chance(60) {
                    let rep_ = &reps[rep as usize];
                    let cell = &roster.cells[rep_.region][rep_.channel];
                    (0..4)
                        .map(|_| cell[rng.below(cell.len() as u64) as usize])
                        .find(|p| *p != rep && reps[*p as usize].employed(o))
                } else {
                    None
                };
                match partner {
                    Some(p) => {
                        let first = cents * [50, 60, 70][rng.below(3) as usize] / 100;
                        rows[0] = Some(Sale {
                            share: 1,
                            cents: first,
                            ..sale
                        });
                        rows[1] = Some(Sale {
                            share: 2,
                            rep: p,
                            cents: cents - first,
                            ..sale
                        });
                    }
                    None => rows[0] = Some(sale),
                }
            }

            for sale in rows.iter().flatten() {
                sink.write(sale, None, roster)?;
                left -= 1;
                written += 1;
                last = Some(*sale);
                if sale.status == CLOSED && sale.cents > 0 {
                    if returnable.len() == RETURNABLE {
                        if rng.chance(keep) {
                            let i = rng.below(RETURNABLE as u64) as usize;
                            returnable[i] = *sale;
                        }
                    } else {
                        returnable.push(*sale);
                    }
                }
                while next_bad < bad_at.len() && written >= bad_at[next_bad] {
                    write_bad_row(sink, FAULTS[next_bad], sale, &mut next_id, roster)?;
                    next_bad += 1;
                }
            }
        }
    }
    if let Some(sale) = last {
        while next_bad < bad_at.len() {
            write_bad_row(sink, FAULTS[next_bad], &sale, &mut next_id, roster)?;
            next_bad += 1;
        }
    }
    Ok(())
}

/// A deliberate bad row after `after`: the same deal again for a repeated row, else a new deal
/// id with the fault.
fn write_bad_row(
    sink: &mut SalesSink,
    fault: Fault,
    after: &Sale,
    next_id: &mut u64,
    roster: &Roster,
) -> io::Result<()> {
    let sale = if fault == Fault::Repeated {
        *after
    } else {
        let sale = Sale {
            id: *next_id,
            share: 0,
            ret: false,
            cents: after.cents.abs().max(123_450),
            ..*after
        };
        *next_id += 1;
        sale
    };
    sink.write(&sale, Some(fault), roster)
}

// ---------- activities ----------

struct Activity {
    day: u32,
    kind: u8,
    late: u8,
    /// 0 none, 1 yes, 2 no.
    resolved: u8,
    score: u8,
}

fn activities(out: &Path, opts: &Options, roster: &Roster) -> io::Result<Vec<Written>> {
    let mut rng = Rng::new(opts.seed, STREAM_ACTIVITIES);
    let year = &roster.year;
    let mut en = CsvOut::create(out.join("activities.csv"), Enc::Utf8, "\n", &ACTIVITIES_HEADER)?;
    let mut zh = if opts.chinese {
        Some(CsvOut::create(
            out.join("activities-cn.csv"),
            Enc::Utf8Bom,
            "\n",
            &ACTIVITIES_CN_HEADER,
        )?)
    } else {
        None
    };
    let mut month: Vec<Activity> = Vec::with_capacity(128);
    let mut next_id = 1u64;
    for m in 1..=12u8 {
        let (start, end) = year.month(m);
        for rep in &roster.reps {
            let from = (start as i64).max(rep.first);
            let to = (end as i64).min(rep.last);
            if from > to {
                continue;
            }
            let (from, to) = (from as u32, to as u32);
            month.clear();
            let d = rep.diligence;
            // Counts for a whole month, scaled to the days employed.
            let scale = |n: u64| (n * (to - from + 1) as u64 + (end - start + 1) as u64 / 2) / (end - start + 1) as u64;
            let around =
                |rng: &mut Rng, mean: u64, spread: u64| (mean + rng.range(0, 2 * spread)).saturating_sub(spread);

            let visits = scale(around(&mut rng, 15 * d / 100, 3));
            let updates = if rng.chance(50) {
                rng.range(1, 3)
            } else {
                scale(around(&mut rng, 12 * d / 100, 4))
            };
            let contracts = scale(rng.range(2, 7));
            let complaints = rng.weighted(&[600, 300, 80, 20]) as u64;
            let revisits = scale(around(&mut rng, 5 * d / 100, 2));
            let intelligence = scale(rng.weighted(&[250, 400, 250, 100]) as u64);
            let training = u64::from(rng.chance(400));
            let mut add = |rng: &mut Rng, kind: u8, n: u64| {
                for _ in 0..n {
                    let (late, resolved) = match kind {
                        CONTRACT => {
                            let late = match rng.below(100) {
                                0..=64 => 0,
                                65..=86 => rng.range(1, 3),
                                _ => rng.range(4, 12),
                            };
                            (late as u8, 0)
                        }
                        COMPLAINT => (0, if rng.chance(850) { 1 } else { 2 }),
                        _ => (0, 0),
                    };
                    month.push(Activity {
                        day: year.workday(rng, from, to),
                        kind,
                        late,
                        resolved,
                        score: 0,
                    });
                }
            };
            add(&mut rng, VISIT, visits);
            add(&mut rng, CRM_UPDATE, updates);
            add(&mut rng, CONTRACT, contracts);
            add(&mut rng, COMPLAINT, complaints);
            add(&mut rng, REVISIT, revisits);
            add(&mut rng, INTELLIGENCE, intelligence);
            add(&mut rng, TRAINING, training);
            // The month's sales plan on the first working day employed, now and then forgotten.
            if rng.chance(960) {
                let day = (from..=to.min(from + 6)).find(|o| !year.weekend(*o)).unwrap_or(from);
                month.push(Activity {
                    day,
                    kind: SALES_PLAN,
                    late: 0,
                    resolved: 0,
                    score: 0,
                });
            }
            // The capability evaluation on the last working day of a quarter.
            if m % 3 == 0 && to == end {
                let day = (from.max(end.saturating_sub(6))..=end)
                    .rev()
                    .find(|o| !year.weekend(*o))
                    .unwrap_or(end);
                let base = 55 + (d - 60) * 30 / 65;
                let score = around(&mut rng, base, 8).clamp(40, 99) as u8;
                month.push(Activity {
                    day,
                    kind: EVALUATION,
                    late: 0,
                    resolved: 0,
                    score,
                });
            }
            month.sort_by_key(|a| (a.day, a.kind));

            for a in &month {
                for (csv, lang) in std::iter::once((&mut en, Lang::En)).chain(zh.as_mut().map(|z| (z, Lang::Zh))) {
                    let s = csv.start();
                    let _ = write!(s, "A{next_id:08},");
                    rep.push_id(s);
                    s.push(',');
                    year.day(a.day).push_iso(s);
                    let _ = write!(s, ",{},", KINDS[a.kind as usize].get(lang));
                    if a.kind == CONTRACT {
                        let _ = write!(s, "{}", a.late);
                    }
                    s.push(',');
                    match a.resolved {
                        1 => s.push_str(YES.get(lang)),
                        2 => s.push_str(NO.get(lang)),
                        _ => {}
                    }
                    s.push(',');
                    if a.kind == EVALUATION {
                        let _ = write!(s, "{}", a.score);
                    }
                    csv.end()?;
                }
                next_id += 1;
            }
        }
    }
    let mut files = vec![en.finish()?];
    if let Some(zh) = zh {
        files.push(zh.finish()?);
    }
    Ok(files)
}

// ---------- market ----------

/// The market per region and month: the region's share of the month's target over the share
/// the policy aims for, give or take ten per cent, to the nearest 10,000 yuan.
fn market(out: &Path, opts: &Options) -> io::Result<Vec<Written>> {
    let mut rng = Rng::new(opts.seed, STREAM_MARKET);
    let mut en = CsvOut::create(out.join("market.csv"), Enc::Utf8, "\n", &MARKET_HEADER)?;
    let mut zh = if opts.chinese {
        Some(CsvOut::create(
            out.join("market-cn.csv"),
            Enc::Utf8Bom,
            "\n",
            &MARKET_CN_HEADER,
        )?)
    } else {
        None
    };
    for m in 1..=12u8 {
        let target = if m >= REVISED_FROM_MONTH {
            REVISED_YUAN
        } else {
            TARGET_YUAN
        };
        for region in &REGIONS {
            let noise = rng.range(900, 1120);
            let yuan = target as u128 * PHASE[m as usize - 1] as u128 * region.2 as u128 * noise as u128
                / (100 * 10_000 * 1000 * SHARE_GOAL as u128)
                * 100;
            let cents = (yuan + 5_000) / 10_000 * 10_000 * 100;
            for (csv, lang) in std::iter::once((&mut en, Lang::En)).chain(zh.as_mut().map(|z| (z, Lang::Zh))) {
                let s = csv.start();
                let _ = write!(s, "{},", region.0.get(lang));
                Day::new(opts.year, m, 1).push_iso(s);
                s.push(',');
                push_amount(s, cents as i64);
                csv.end()?;
            }
        }
    }
    let mut files = vec![en.finish()?];
    if let Some(zh) = zh {
        files.push(zh.finish()?);
    }
    Ok(files)
}

// ---------- run configurations ----------

fn write_run_configs(out: &Path, opts: &Options) -> io::Result<Vec<Written>> {
    let command = opts.command_line();
    let en = format!(
        "\
# The run configuration of policies/sales-strategy.en.policy over the generated data set:
# every source of the policy bound to its file in this directory (UTF-8, ISO dates, plain
# amounts). Generated by
#   {command} --out DIR
sources:
  sales:
    path: sales.csv
    encoding: utf-8
  activities:
    path: activities.csv
    encoding: utf-8
  payments:
    path: payments.csv
    encoding: utf-8
  market:
    path: market.csv
    encoding: utf-8
  reps:
    path: roster.csv
    encoding: utf-8
"
    );
    let mut files = vec![write_text(out.join("run.yaml"), &en)?];
    if opts.chinese {
        let zh = format!(
            "\
# The run configuration of policies/sales-strategy.zh.policy over the generated data set.
# Generated by
#   {command} --out DIR
sources:
  # The export of the sales system: GB18030, headers of its own, dates like 2027年1月5日,
  # amounts like ¥1,234.50.
  销售:
    path: sales-cn.csv
    encoding: gb18030
    columns:
      合同编号: 合同号
      销售员: 销售代表
      金额: 成交金额
      状态: 合同状态
      产品: 产品名称
      客户: 客户名称
      满意度: 客户满意度
    dates: [\"%Y年%m月%d日\"]
    numbers: {{ thousands: true, currency: true }}
  # UTF-8 with a byte order mark; headers are the policy's field names.
  活动:
    path: activities-cn.csv
    encoding: utf-8
  # The collections have no Chinese values: the English file, its columns named.
  回款:
    path: payments.csv
    encoding: utf-8
    columns:
      回款编号: payment_id
      销售员: rep
      回款日期: paid_date
      合同编号: deal_id
      金额: amount
  市场:
    path: market-cn.csv
    encoding: utf-8
  销售人员:
    path: roster-cn.csv
    encoding: utf-8
"
        );
        files.push(write_text(out.join("run.zh.yaml"), &zh)?);
    }
    Ok(files)
}

fn write_text(path: PathBuf, text: &str) -> io::Result<Written> {
    std::fs::write(&path, text)?;
    Ok(Written { path, rows: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert_eq!(Day::new(2027, 1, 1).weekday(), 4); // a Friday
        assert_eq!(Day::new(2027, 4, 22).weekday(), 3); // a Thursday
        assert_eq!(Day::new(2028, 2, 29).ordinal(), 59);
        assert_eq!(Day::from_ordinal(2028, 365), Day::new(2028, 12, 31));
        assert_eq!(Day::from_ordinal(2027, 31), Day::new(2027, 2, 1));
        let mut s = String::new();
        Day::new(2027, 1, 5).push_zh(&mut s);
        assert_eq!(s, "2027年1月5日");
    }

    #[test]
    fn money_notations() {
        let text = |f: fn(&mut String, i64), cents: i64| {
            let mut s = String::new();
            f(&mut s, cents);
            s
        };
        assert_eq!(text(push_amount, 123_450), "1234.50");
        assert_eq!(text(push_amount, -5), "-0.05");
        assert_eq!(text(push_yuan, 123_450), "\"¥1,234.50\"");
        assert_eq!(text(push_yuan, -99_999), "-¥999.99");
        assert_eq!(text(push_yuan, -123_456_789), "\"-¥1,234,567.89\"");
        let mut s = String::new();
        push_european(&mut s, 123_450, false);
        assert_eq!(s, "\"1.234,50\"");
    }

    #[test]
    fn apportion_adds_up() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0, 0]), vec![0, 0]);
        let parts = apportion(1_000_003, &[5, 7, 11, 13]);
        assert_eq!(parts.iter().sum::<u64>(), 1_000_003);
    }
}

//! The keyword table: every keyword of the language with its English and Chinese spelling.
//!
//! This table is the single source of truth. `grammar/keywords.pest` is generated from it
//! (`cargo test keywords_grammar_is_current` fails when the two disagree, and rewrites the
//! file when run with `UPDATE_GRAMMAR=1`), and the formatter prints keywords from it.

use serde::Serialize;

/// The keyword language of a policy file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Zh,
}

macro_rules! keywords {
    ($($id:ident => $en:literal, $zh:literal;)*) => {
        /// A keyword of the language, independent of its spelling.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kw { $($id,)* }

        impl Kw {
            /// Every keyword, in table order.
            pub const ALL: &'static [Kw] = &[$(Kw::$id,)*];

            /// The spelling of this keyword in `lang`.
            pub fn spelling(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Kw::$id, Lang::En) => $en, (Kw::$id, Lang::Zh) => $zh,)*
                }
            }

            /// The name of the grammar rule that matches this keyword.
            pub fn rule_name(self) -> String {
                let name = match self { $(Kw::$id => stringify!($id),)* };
                let mut out = String::from("K_");
                for (i, c) in name.chars().enumerate() {
                    if c.is_ascii_uppercase() && i > 0 {
                        out.push('_');
                    }
                    out.push(c.to_ascii_uppercase());
                }
                out
            }
        }
    };
}

keywords! {
    Policy => "policy", "政策";
    Version => "version", "版本";
    Effective => "effective", "生效";
    Currency => "currency", "币种";
    Rounding => "rounding", "舍入";
    HalfUp => "half-up", "四舍五入";
    HalfEven => "half-even", "银行家舍入";
    Down => "down", "舍去";
    To => "to", "至";
    ApprovedBy => "approved by", "批准";
    OnDate => "on", "于";
    MidPeriodChange => "mid-period change", "期中变更";
    FromNextPeriod => "from next period", "自下期起";
    ProratedByDays => "prorated by days", "按天折算";
    Calendar => "calendar", "日历";
    FiscalYearStarts => "fiscal year starts", "财年起始";
    Assess => "assess", "考核";
    Review => "review", "复核";
    Monthly => "monthly", "每月";
    Quarterly => "quarterly", "每季";
    Yearly => "yearly", "每年";
    Jan => "jan", "1月";
    Feb => "feb", "2月";
    Mar => "mar", "3月";
    Apr => "apr", "4月";
    May => "may", "5月";
    Jun => "jun", "6月";
    Jul => "jul", "7月";
    Aug => "aug", "8月";
    Sep => "sep", "9月";
    Oct => "oct", "10月";
    Nov => "nov", "11月";
    Dec => "dec", "12月";
    Month => "month", "月份";
    Quarter => "quarter", "季度";
    Q1 => "q1", "第一季度";
    Q2 => "q2", "第二季度";
    Q3 => "q3", "第三季度";
    Q4 => "q4", "第四季度";
    Source => "source", "数据源";
    Roster => "roster", "花名册";
    Text => "text", "文本型";
    Money => "money", "金额型";
    Number => "number", "数值型";
    Percent => "percent", "百分比型";
    Date => "date", "日期型";
    Key => "key", "主键";
    Salesperson => "salesperson", "归属人";
    Dated => "dated", "计期日期";
    Optional => "optional", "可选";
    Id => "id", "工号";
    Hired => "hired", "入职日";
    Left => "left", "离职日";
    Target => "target", "目标";
    Revised => "revised", "修订";
    Because => "because", "原因";
    Split => "split", "拆分";
    By => "by", "按";
    Allocate => "allocate", "分配";
    Phase => "phase", "分期";
    Prorate => "prorate", "折算";
    DaysEmployed => "days employed", "在职天数";
    NoProration => "none", "无";
    Metric => "metric", "指标";
    SumOf => "sum of", "合计";
    CountDistinctOf => "count distinct of", "去重计数";
    CountOf => "count of", "计数";
    AverageOf => "average of", "平均";
    MinimumOf => "minimum of", "最小";
    MaximumOf => "maximum of", "最大";
    Where => "where", "其中";
    And => "and", "且";
    Or => "or", "或";
    Not => "not", "非";
    Across => "across", "汇总按";
    Projected => "projected", "预测";
    AtLeast => "at least", "至少";
    Months => "months", "个月";
    Quarters => "quarters", "个季度";
    With => "with", "满足";
    Is => "is", "为";
    Score => "score", "评分";
    Weight => "weight", "权重";
    Cap => "cap", "上限";
    Floor => "floor", "下限";
    Gate => "gate", "门槛";
    Grade => "grade", "等级";
    If => "if", "如果";
    Otherwise => "otherwise", "否则";
    Commission => "commission", "提成";
    OnBase => "on", "基于";
    Marginal => "marginal", "累进";
    Retroactive => "retroactive", "全额";
    Interpolated => "interpolated", "插值";
    Below => "below", "低于";
    Above => "above", "高于";
    Minimum => "minimum", "保底";
    YearToDate => "year to date", "年累计";
    PerRecord => "per record", "逐单";
    ClawBackReturns => "claw back returns", "追回退货";
    Draw => "draw", "预支";
    Against => "against", "抵扣";
    Recoverable => "recoverable", "可追回";
    NonRecoverable => "non-recoverable", "不可追回";
    Bonus => "bonus", "奖金";
    Spif => "spif", "专项激励";
    Promotion => "promotion", "晋升";
    Discipline => "discipline", "纪律";
    Deduct => "deduct", "扣款";
    InAMonth => "in a month", "月内";
    InAQuarter => "in a quarter", "季度内";
    InAYear => "in a year", "年度内";
    For => "for", "连续";
    MonthsInARow => "months in a row", "个月";
    QuartersInARow => "quarters in a row", "个季度";
    Times => "times", "次";
    Test => "test", "测试";
    Given => "given", "假设";
    Expect => "expect", "预期";
    Original => "original", "原单日期";
    ClawBackAtOriginalRate => "claw back returns at the original rate", "按原费率追回退货";
}

/// The month keywords, January first.
pub const MONTHS: [Kw; 12] = [
    Kw::Jan,
    Kw::Feb,
    Kw::Mar,
    Kw::Apr,
    Kw::May,
    Kw::Jun,
    Kw::Jul,
    Kw::Aug,
    Kw::Sep,
    Kw::Oct,
    Kw::Nov,
    Kw::Dec,
];

/// The fiscal quarter keywords, the first quarter first.
pub const QUARTERS: [Kw; 4] = [Kw::Q1, Kw::Q2, Kw::Q3, Kw::Q4];

/// The text of `grammar/keywords.pest`, generated from the table above.
pub fn keywords_grammar() -> String {
    let mut out = String::from(
        "// Generated from src/syntax/keywords.rs by `UPDATE_GRAMMAR=1 cargo test keywords_grammar_is_current`.\n\
         // Do not edit by hand: edit the table and regenerate.\n\n",
    );
    let mut names = Vec::new();
    for kw in Kw::ALL {
        let en = kw
            .spelling(Lang::En)
            .split(' ')
            .map(|w| format!("^\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ~ sp ~ ");
        let zh = kw.spelling(Lang::Zh);
        let name = kw.rule_name();
        out.push_str(&format!("{name} = @{{ ({en} | \"{zh}\") ~ !ident_char }}\n"));
        names.push(name);
    }
    out.push_str("\nkeyword = _{\n    ");
    out.push_str(&names.join("\n  | "));
    out.push_str("\n}\n");
    out
}

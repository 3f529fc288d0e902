//! Writing a run's outputs: `scores.csv`, `payouts.csv`, `measures.csv`, `rejects.csv` and
//! `manifest.json`, each through a temporary file renamed into place, and only once the whole
//! run has succeeded. The same inputs give byte-identical files.

use std::io::Write;
use std::path::Path;

use rust_decimal::Decimal;
use serde_json::json;

use super::RunOutput;
use crate::eval::calendar::FiscalCalendar;
use crate::eval::rules::Value;

/// What the manifest records besides the outputs.
pub struct ManifestInfo<'a> {
    pub policy_file: &'a str,
    pub policy_sha256: String,
    pub version: &'a str,
    pub period: String,
    pub rounding_unit: Decimal,
}

pub fn write_outputs(dir: &Path, out: &RunOutput, cal: &FiscalCalendar, info: &ManifestInfo) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let dp = info.rounding_unit.normalize().scale() as usize;
    let money = |d: Decimal| format!("{d:.dp$}");
    let value = |v: &Option<Value>| match v {
        Some(Value::Num(d)) => d.round_dp(6).normalize().to_string(),
        Some(Value::Text(t)) => t.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Date(d)) => d.to_string(),
        None => String::new(),
    };

    let mut scores = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["salesperson".to_string(), "period".into()];
    header.extend(out.metric_names.iter().cloned());
    header.extend(["score".to_string(), "grade".into(), "policy_version".into()]);
    scores.write_record(&header)?;
    for s in &out.scores {
        let mut row = vec![s.rep.clone(), cal.label(s.period)];
        row.extend(s.metrics.iter().map(value));
        row.push(
            s.score
                .map(|d| d.round_dp(6).normalize().to_string())
                .unwrap_or_default(),
        );
        row.push(s.grade.clone().unwrap_or_default());
        row.push(info.version.to_string());
        scores.write_record(&row)?;
    }

    let mut payouts = csv::Writer::from_writer(Vec::new());
    payouts.write_record([
        "salesperson",
        "period",
        "component",
        "name",
        "base",
        "rate",
        "amount",
        "policy_version",
    ])?;
    for p in &out.payouts {
        payouts.write_record([
            p.rep.as_str(),
            &cal.label(p.period),
            p.component,
            &p.name,
            &p.base.map(money).unwrap_or_default(),
            &p.rate,
            &money(p.amount),
            info.version,
        ])?;
    }

    let mut measures = csv::Writer::from_writer(Vec::new());
    measures.write_record(["salesperson", "period", "measure", "evidence", "policy_version"])?;
    for m in &out.measures {
        measures.write_record([
            m.rep.as_str(),
            &cal.label(m.period),
            &m.measure,
            &m.evidence,
            info.version,
        ])?;
    }

    let mut rejects = csv::Writer::from_writer(Vec::new());
    rejects.write_record(["file", "line", "column", "field", "value", "reason"])?;
    for r in &out.rejects {
        rejects.write_record([
            r.file.display().to_string(),
            r.line.to_string(),
            r.column.map(|c| c.to_string()).unwrap_or_default(),
            r.field.clone().unwrap_or_default(),
            r.value.clone(),
            r.reason.clone(),
        ])?;
    }

    let inputs: Vec<serde_json::Value> = out
        .sources
        .iter()
        .map(|s| {
            json!({
                "source": s.summary.source,
                "file": s.summary.file.display().to_string(),
                "sha256": s.summary.sha256,
                "encoding": s.summary.encoding.name(),
                "rows_read": s.summary.rows_read,
                "rows_used": s.rows_used,
                "rows_rejected": s.summary.rows_read - s.rows_used,
                "amount_read": money(s.amount_read),
                "amount_credited": money(s.amount_credited),
                "amount_rejected": money(s.amount_rejected),
            })
        })
        .collect();
    let total: Decimal = out.payouts.iter().map(|p| p.amount).sum();
    let manifest = json!({
        "policy": { "file": info.policy_file, "sha256": info.policy_sha256, "version": info.version },
        "period": info.period,
        "inputs": inputs,
        "outputs": {
            "scores": out.scores.len(),
            "payouts": out.payouts.len(),
            "payout_total": money(total),
            "measures": out.measures.len(),
            "rejects": out.rejects.len(),
        },
    });

    let files: [(&str, Vec<u8>); 5] = [
        ("scores.csv", scores.into_inner().map_err(|e| e.into_error())?),
        ("payouts.csv", payouts.into_inner().map_err(|e| e.into_error())?),
        ("measures.csv", measures.into_inner().map_err(|e| e.into_error())?),
        ("rejects.csv", rejects.into_inner().map_err(|e| e.into_error())?),
        (
            "manifest.json",
            format!("{}\n", serde_json::to_string_pretty(&manifest).unwrap_or_default()).into_bytes(),
        ),
    ];
    for (name, bytes) in files {
        let tmp = dir.join(format!(".{name}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, dir.join(name))?;
    }
    Ok(())
}

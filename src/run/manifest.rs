//! A run's `manifest.json` read back: what `rulebook verify` re-performs and what `--paid`
//! takes as paid. The manifest is written by `write.rs`; these types follow it field for field.
//!
//! Fields that every manifest a reader could use has always carried are required; those written
//! only sometimes (the roster's entry has no amounts; `--paid` and `--format` only when given) or
//! added later (`rows_after_period`) may be missing. Fields not named here are ignored.
//! Amounts are kept as the exact text written (`"1500.00"`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::paid::PaidFile;

/// The manifest's name in a run's directory.
pub const FILE_NAME: &str = "manifest.json";

/// A run's manifest.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// The version of rulebook that made the run.
    pub rulebook: String,
    /// The command line's arguments, as given.
    pub arguments: Arguments,
    pub policy: PolicyRecord,
    /// The run configuration file.
    pub config: FileRecord,
    /// The period's label, as the outputs spell it (`2027-Q1`).
    pub period: String,
    /// Every file read: the sources, in the run's order, then the roster.
    pub inputs: Vec<InputRecord>,
    pub outputs: Outputs,
    /// With `--paid`: the payouts file read from each paid run.
    #[serde(default)]
    pub paid: Vec<PaidFile>,
}

/// The command line's arguments, as given.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Arguments {
    /// `--period`.
    pub period: String,
    /// Every `--source NAME=PATH`, in order.
    pub sources: Vec<String>,
    /// Every `--paid DIR`, in order.
    #[serde(default)]
    pub paid: Vec<String>,
    /// `--format`, when not CSV.
    #[serde(default)]
    pub format: Option<String>,
}

/// The policy file (or history directory) the run applied.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct PolicyRecord {
    pub file: String,
    /// With a policy history, a hash of nothing: each version applied has its own in `versions`.
    pub sha256: String,
    /// The policy's own `version`.
    pub version: String,
    /// With a policy history: each version applied, oldest first. Empty for a single file.
    #[serde(default)]
    pub versions: Vec<VersionRecord>,
}

/// One version of a policy history, as applied by the run.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct VersionRecord {
    pub version: String,
    /// The date it takes effect (`2027-01-01`).
    pub effective: String,
    pub file: String,
    pub sha256: String,
}

/// A file read, as given, and its SHA-256.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct FileRecord {
    pub file: String,
    pub sha256: String,
}

/// A source's (or the roster's) file and its control totals.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct InputRecord {
    pub source: String,
    /// The roster's entry.
    #[serde(default)]
    pub roster: bool,
    pub file: String,
    pub sha256: String,
    pub encoding: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    /// Not for the roster, nor in manifests written before rows after the period were counted.
    pub rows_after_period: Option<u64>,
    /// The amounts: not for the roster.
    pub amount_read: Option<String>,
    pub amount_credited: Option<String>,
    pub amount_rejected: Option<String>,
    pub amount_after_period: Option<String>,
}

/// The outputs written: lines per table, the payouts' total and each file's hash.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Outputs {
    pub scores: u64,
    pub payouts: u64,
    pub payout_total: String,
    pub measures: u64,
    pub rejects: u64,
    /// Each output file but the manifest, by name (`payouts.csv`).
    pub files: BTreeMap<String, OutputFile>,
}

/// An output file's SHA-256 and length.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct OutputFile {
    pub sha256: String,
    pub bytes: u64,
}

/// Why a run's manifest could not be read. Each names the file, as `dir` was given joined with
/// `manifest.json`; callers add the help their command can give.
#[derive(Debug)]
pub enum ManifestError {
    /// The file cannot be read (`ErrorKind::NotFound`: the directory has no manifest).
    Read { file: String, error: std::io::Error },
    /// The file is not JSON, or not of the manifest's shape.
    Parse { file: String, error: serde_json::Error },
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestError::Read { file, error } => write!(f, "cannot read `{file}`: {error}"),
            ManifestError::Parse { file, error } => write!(f, "`{file}` is not the manifest of a run: {error}"),
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Read { error, .. } => Some(error),
            ManifestError::Parse { error, .. } => Some(error),
        }
    }
}

impl From<ManifestError> for String {
    fn from(e: ManifestError) -> String {
        e.to_string()
    }
}

impl Manifest {
    /// Reads the manifest of the run that wrote to `dir`.
    pub fn read(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = dir.join(FILE_NAME);
        let file = || path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|error| ManifestError::Read { file: file(), error })?;
        serde_json::from_slice(&bytes).map_err(|error| ManifestError::Parse { file: file(), error })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own under the system's temporary directory, removed when dropped.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn with_manifest(name: &str, text: &str) -> Dir {
            let dir = std::env::temp_dir().join(format!("rulebook-manifest-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(FILE_NAME), text).unwrap();
            Dir(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// As `write.rs` writes it (pretty-printed, keys in order): a run over a policy history, with
    /// a source and the roster, JSON tables and one paid run.
    const WRITTEN: &str = r#"{
  "arguments": {
    "format": "json",
    "paid": [
      "q1"
    ],
    "period": "2027-04",
    "sources": [
      "sales=data/april.csv"
    ]
  },
  "config": {
    "file": "run.yaml",
    "sha256": "c0"
  },
  "inputs": [
    {
      "amount_after_period": "0.00",
      "amount_credited": "90000.00",
      "amount_read": "100000.00",
      "amount_rejected": "10000.00",
      "encoding": "UTF-8",
      "file": "data/april.csv",
      "rows_after_period": 0,
      "rows_read": 12,
      "rows_rejected": 1,
      "rows_used": 11,
      "sha256": "a1",
      "source": "sales"
    },
    {
      "encoding": "UTF-8",
      "file": "reps.yaml",
      "roster": true,
      "rows_read": 3,
      "rows_rejected": 0,
      "rows_used": 3,
      "sha256": "b2",
      "source": "reps"
    }
  ],
  "outputs": {
    "files": {
      "measures.json": {
        "bytes": 3,
        "sha256": "m3"
      },
      "payouts.json": {
        "bytes": 420,
        "sha256": "p4"
      },
      "rejects.json": {
        "bytes": 120,
        "sha256": "r5"
      },
      "scores.json": {
        "bytes": 200,
        "sha256": "s6"
      }
    },
    "measures": 0,
    "payout_total": "4500.00",
    "payouts": 3,
    "rejects": 1,
    "scores": 3
  },
  "paid": [
    {
      "file": "q1/payouts.json",
      "period": "2027-Q1",
      "sha256": "d7"
    }
  ],
  "period": "2027-04",
  "policy": {
    "file": "policies",
    "sha256": "e8",
    "version": "2027.2",
    "versions": [
      {
        "effective": "2027-01-01",
        "file": "policies/2027.1.policy",
        "sha256": "f9",
        "version": "2027.1"
      },
      {
        "effective": "2027-04-01",
        "file": "policies/2027.2.policy",
        "sha256": "fa",
        "version": "2027.2"
      }
    ]
  },
  "rulebook": "0.1.0"
}
"#;

    #[test]
    fn reads_every_field_write_rs_writes() {
        let dir = Dir::with_manifest("written", WRITTEN);
        let m = Manifest::read(&dir.0).unwrap();
        assert_eq!(m.rulebook, "0.1.0");
        assert_eq!(
            m.arguments,
            Arguments {
                period: "2027-04".into(),
                sources: vec!["sales=data/april.csv".into()],
                paid: vec!["q1".into()],
                format: Some("json".into()),
            }
        );
        assert_eq!((m.policy.file.as_str(), m.policy.sha256.as_str()), ("policies", "e8"));
        assert_eq!(m.policy.version, "2027.2");
        assert_eq!(
            m.policy.versions[1],
            VersionRecord {
                version: "2027.2".into(),
                effective: "2027-04-01".into(),
                file: "policies/2027.2.policy".into(),
                sha256: "fa".into(),
            }
        );
        assert_eq!(m.policy.versions.len(), 2);
        assert_eq!(
            m.config,
            FileRecord {
                file: "run.yaml".into(),
                sha256: "c0".into()
            }
        );
        assert_eq!(m.period, "2027-04");
        let [sales, reps] = &m.inputs[..] else {
            panic!("two inputs: {:?}", m.inputs)
        };
        assert_eq!((sales.source.as_str(), sales.roster), ("sales", false));
        assert_eq!((sales.file.as_str(), sales.sha256.as_str()), ("data/april.csv", "a1"));
        assert_eq!((sales.rows_read, sales.rows_used, sales.rows_rejected), (12, 11, 1));
        assert_eq!(sales.rows_after_period, Some(0));
        assert_eq!(sales.amount_credited.as_deref(), Some("90000.00"));
        assert_eq!(
            (reps.source.as_str(), reps.roster, reps.encoding.as_str()),
            ("reps", true, "UTF-8")
        );
        assert_eq!((reps.rows_after_period, reps.amount_read.as_deref()), (None, None));
        assert_eq!(
            (
                m.outputs.scores,
                m.outputs.payouts,
                m.outputs.measures,
                m.outputs.rejects
            ),
            (3, 3, 0, 1)
        );
        assert_eq!(m.outputs.payout_total, "4500.00");
        assert_eq!(
            m.outputs.files.keys().collect::<Vec<_>>(),
            ["measures.json", "payouts.json", "rejects.json", "scores.json"]
        );
        assert_eq!(
            m.outputs.files["payouts.json"],
            OutputFile {
                sha256: "p4".into(),
                bytes: 420
            }
        );
        assert_eq!(
            m.paid,
            [PaidFile {
                file: "q1/payouts.json".into(),
                sha256: "d7".into(),
                period: "2027-Q1".into(),
            }]
        );
    }

    #[test]
    fn what_a_plain_run_leaves_out_is_empty() {
        // One policy file, CSV tables, nothing paid: write.rs leaves those keys out.
        let mut plain: serde_json::Value = serde_json::from_str(WRITTEN).unwrap();
        for (at, key) in [
            ("/arguments", "format"),
            ("/arguments", "paid"),
            ("/policy", "versions"),
            ("", "paid"),
        ] {
            plain
                .pointer_mut(at)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(key)
                .unwrap();
        }
        let dir = Dir::with_manifest("plain", &serde_json::to_string_pretty(&plain).unwrap());
        let m = Manifest::read(&dir.0).unwrap();
        assert_eq!((m.arguments.paid.len(), m.arguments.format), (0, None));
        assert!(m.policy.versions.is_empty() && m.paid.is_empty());
    }

    #[test]
    fn a_malformed_or_missing_manifest_names_the_file() {
        let dir = Dir::with_manifest("malformed", "{\"policy\": ");
        let file = dir.0.join(FILE_NAME).display().to_string();
        let e = Manifest::read(&dir.0).unwrap_err();
        assert!(matches!(e, ManifestError::Parse { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("`{file}` is not the manifest of a run: ")),
            "{e}"
        );
        // JSON, but not a manifest: the field missing is named.
        std::fs::write(dir.0.join(FILE_NAME), "{\"period\": \"2027-04\"}").unwrap();
        let e = String::from(Manifest::read(&dir.0).unwrap_err());
        assert!(e.contains(&file) && e.contains("missing field"), "{e}");
        std::fs::remove_file(dir.0.join(FILE_NAME)).unwrap();
        match Manifest::read(&dir.0) {
            Err(ManifestError::Read { file: named, error }) => {
                assert_eq!(named, file);
                assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
    }
}

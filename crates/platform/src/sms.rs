//! Text messages to the public (办件 notices). Deployments connect their carrier's or the
//! province's SMS gateway here; until one is configured, messages go to `sms.log` in the data
//! directory, one line each, with the number masked (the log is not a place for personal data).

use std::io::Write;
use std::path::PathBuf;

#[derive(Clone)]
pub struct Sms {
    log: PathBuf,
}

impl Sms {
    pub fn new(data_dir: &std::path::Path) -> Sms {
        Sms { log: data_dir.join("sms.log") }
    }

    /// 13812345678 → 138****5678.
    pub fn mask(phone: &str) -> String {
        let c: Vec<char> = phone.trim().chars().collect();
        if c.len() >= 7 {
            format!("{}****{}", c[..3].iter().collect::<String>(), c[c.len() - 4..].iter().collect::<String>())
        } else {
            "****".to_owned()
        }
    }

    /// Queues a message (written to the log file by the default gateway). Never fails the caller.
    pub fn send(&self, phone: &str, text: &str) {
        if phone.trim().is_empty() {
            return;
        }
        let line = format!(
            "{}\t{}\t{}\n",
            crate::fmt_time(crate::db::now()),
            Self::mask(phone),
            text.replace(['\n', '\r', '\t'], " ")
        );
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            tracing::error!(error = %e, "SMS log write failed");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_masked() {
        assert_eq!(super::Sms::mask("13812345678"), "138****5678");
        assert_eq!(super::Sms::mask("0451-86661234"), "045****1234");
        assert_eq!(super::Sms::mask("123"), "****");
    }
}

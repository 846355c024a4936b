//! Security policy (set by `secadmin`), password rules and hashing, lockout arithmetic.
//!
//! The policy values are the 等保 level-3 defaults from the issue: passwords of at least 10
//! characters with 3 of 4 character classes and not containing the username, lockout after 5
//! failures for 15 minutes (per account and per address), a 30-minute idle timeout, audit retention
//! of 184 days (six calendar months at their longest). The rule functions here are pure.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct SecurityPolicy {
    /// 密码最小长度
    #[schemars(range(min = 8, max = 64))]
    pub password_min_length: u32,
    /// 密码至少包含的字符类别数（大写、小写、数字、符号）
    #[schemars(range(min = 1, max = 4))]
    pub password_min_classes: u32,
    /// 连续登录失败几次后锁定
    #[schemars(range(min = 1, max = 20))]
    pub lockout_threshold: u32,
    /// 锁定时长（分钟）
    #[schemars(range(min = 1, max = 1440))]
    pub lockout_minutes: u32,
    /// 空闲超时（分钟）
    #[schemars(range(min = 5, max = 480))]
    pub idle_timeout_minutes: u32,
    /// When set, the three administrators must pass a Totp second factor.
    pub mfa_required_for_admins: bool,
    /// 审计日志保存期（天，不少于六个月）
    #[schemars(range(min = 184, max = 3650))]
    pub audit_retention_days: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            password_min_length: 10,
            password_min_classes: 3,
            lockout_threshold: 5,
            lockout_minutes: 15,
            idle_timeout_minutes: 30,
            mfa_required_for_admins: false,
            audit_retention_days: 184,
        }
    }
}

impl SecurityPolicy {
    /// Validates values a `secadmin` typed; returns (field, message) pairs.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut errs = Vec::new();
        if !(8..=64).contains(&self.password_min_length) {
            errs.push(("password_min_length", "密码最小长度应在 8 到 64 之间".to_owned()));
        }
        if !(1..=4).contains(&self.password_min_classes) {
            errs.push(("password_min_classes", "字符类别数应在 1 到 4 之间".to_owned()));
        }
        if !(1..=20).contains(&self.lockout_threshold) {
            errs.push(("lockout_threshold", "锁定阈值应在 1 到 20 次之间".to_owned()));
        }
        if !(1..=1440).contains(&self.lockout_minutes) {
            errs.push(("lockout_minutes", "锁定时长应在 1 到 1440 分钟之间".to_owned()));
        }
        if !(5..=480).contains(&self.idle_timeout_minutes) {
            errs.push(("idle_timeout_minutes", "空闲超时应在 5 到 480 分钟之间".to_owned()));
        }
        // 网络安全法: logs are kept for at least six months.
        if !(184..=3650).contains(&self.audit_retention_days) {
            errs.push(("audit_retention_days", "审计日志保存期不得少于 184 天（六个月），且不超过 3650 天".to_owned()));
        }
        errs
    }
}

/// Checks a new password against the policy. Returns the first problem in plain Chinese.
pub fn check_password(policy: &SecurityPolicy, username: &str, password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < policy.password_min_length as usize {
        return Err(format!("密码至少需要 {} 个字符，当前只有 {len} 个", policy.password_min_length));
    }
    if len > 128 {
        return Err("密码不能超过 128 个字符".to_owned());
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < policy.password_min_classes as usize {
        return Err(format!(
            "密码需包含小写字母、大写字母、数字、符号中的至少 {} 类，当前只有 {classes} 类",
            policy.password_min_classes
        ));
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("密码不能包含用户名".to_owned());
    }
    Ok(())
}

/// Hashes with argon2id (the crate's default parameters: m=19456 KiB, t=2, p=1). CPU-heavy: call it
/// through `spawn_blocking` on request paths.
pub fn hash_password(password: &str) -> String {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).unwrap_or_default()
}

/// Verifies against a stored PHC string; a malformed hash never verifies.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Given the failure times inside the window (oldest first), returns until when the key is locked.
pub fn locked_until(policy: &SecurityPolicy, recent_failures: &[i64], now: i64) -> Option<i64> {
    let window = i64::from(policy.lockout_minutes) * 60;
    let recent: Vec<i64> = recent_failures.iter().copied().filter(|t| now - t < window).collect();
    if recent.len() >= policy.lockout_threshold as usize { recent.iter().max().map(|last| last + window) } else { None }
}

/// Random URL-safe secret of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `n` random decimal digits: a code read off a phone's screen and typed back.
pub fn random_digits(n: usize) -> String {
    use rand::Rng;
    let mut r = rand::rng();
    (0..n).map(|_| char::from(b'0' + r.random_range(0..10u8))).collect()
}

/// SHA-256 hex digest: stored session ids and API tokens, file digests.
pub fn sha256_hex(input: impl AsRef<[u8]>) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(input.as_ref()))
}

/// SM3 (GB/T 32905) hex digest of a file's bytes, beside SHA-256 where national rules ask for it.
pub fn sm3_hex(input: impl AsRef<[u8]>) -> String {
    use sm3::Digest;
    hex::encode(sm3::Sm3::digest(input.as_ref()))
}

/// Constant-time string comparison for tokens.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Totp (RFC 6238, SHA-1, 6 digits, 30 s) as every authenticator app implements it.
pub mod totp {
    use totp_rs::{Builder, Secret, Totp};

    pub fn new_secret() -> String {
        Secret::generate().to_base32()
    }

    fn build(secret_b32: &str) -> Option<Totp> {
        let secret = Secret::try_from_base32(secret_b32).ok()?;
        Builder::new().with_secret(secret).build().ok()
    }

    /// Checks a code, allowing one step of clock drift either way.
    pub fn verify(secret_b32: &str, code: &str, unix_time: u64) -> bool {
        let code = code.trim();
        build(secret_b32).is_some_and(|t| t.check(code, unix_time).is_some())
    }

    pub fn code_at(secret_b32: &str, unix_time: u64) -> String {
        build(secret_b32).map(|t| t.generate(unix_time).to_string()).unwrap_or_default()
    }

    /// The `otpauth://` URI an authenticator app imports.
    pub fn uri(secret_b32: &str, account: &str) -> String {
        format!(
            "otpauth://totp/Zhengwu:{}?secret={}&issuer=Zhengwu&algorithm=SHA1&digits=6&period=30",
            url::form_urlencoded::byte_serialize(account.as_bytes()).collect::<String>(),
            secret_b32
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules_name_the_problem() {
        let p = SecurityPolicy::default();
        assert!(check_password(&p, "zhangsan", "Short1!").unwrap_err().contains("至少需要 10"));
        assert!(check_password(&p, "zhangsan", "alllowercaseletters").unwrap_err().contains("至少 3 类"));
        assert!(check_password(&p, "zhangsan", "Zhangsan2026!").unwrap_err().contains("用户名"));
        assert!(check_password(&p, "zhangsan", "Hrb-Kjj-2026").is_ok());
        // Chinese characters count as symbols and as characters, not bytes.
        assert!(check_password(&p, "u", "政务门户平台abc12").is_ok());
        let lax = SecurityPolicy { password_min_classes: 1, password_min_length: 8, ..p };
        assert!(check_password(&lax, "u", "abcdefgh").is_ok());
    }

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("Hrb-Kjj-2026");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Hrb-Kjj-2026", &h));
        assert!(!verify_password("hrb-kjj-2026", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn lockout_counts_only_failures_inside_the_window() {
        let p = SecurityPolicy::default();
        let now = 10_000;
        assert_eq!(locked_until(&p, &[now - 10, now - 9, now - 8, now - 7], now), None);
        assert_eq!(locked_until(&p, &[now - 10, now - 9, now - 8, now - 7, now - 6], now), Some(now - 6 + 900));
        // Old failures have expired.
        assert_eq!(locked_until(&p, &[now - 2000, now - 1999, now - 9, now - 8, now - 7], now), None);
    }

    #[test]
    fn policy_validation() {
        assert!(SecurityPolicy::default().validate().is_empty());
        let bad = SecurityPolicy { audit_retention_days: 180, ..SecurityPolicy::default() };
        assert_eq!(bad.validate()[0].0, "audit_retention_days");
    }

    #[test]
    fn totp_accepts_current_and_adjacent_codes_only() {
        let s = totp::new_secret();
        let t = 1_800_000_000;
        assert!(totp::verify(&s, &totp::code_at(&s, t), t));
        assert!(totp::verify(&s, &totp::code_at(&s, t - 30), t));
        assert!(!totp::verify(&s, &totp::code_at(&s, t - 300), t));
        assert!(!totp::verify(&s, "abc", t));
    }
}

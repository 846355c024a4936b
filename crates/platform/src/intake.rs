//! Public intake: what every form a citizen fills in without an account shares — query codes and
//! their hashes, the arithmetic captcha (each answer accepted once, on every node), and the check
//! of uploaded files by type, leading bytes, size and count, and the one-time submission that makes
//! a reload or a double click show the first result instead of filing twice. Letters and online
//! applications use it; disclosure requests, consultations and ratings will.

use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Db, DbResult, sql};

/// A placeholder case number, unique until [`assign_number`] replaces it in the same transaction
/// (the number is made from the row's id, known only after the insert).
pub fn temporary_number() -> String {
    format!("T{}", crate::security::random_token(12))
}

/// Gives the case `id` in `table` its receipt number — `prefix` (a letter `BJ`, a day
/// `YYYYMMDD`) followed by the id zero-padded to `width` — and returns it. Numbers are unique
/// and tell the day of receipt; they are what a citizen quotes on the phone.
pub async fn assign_number(
    tx: &mut crate::db::Tx,
    table: &str,
    id: i64,
    prefix: &str,
    width: usize,
) -> DbResult<String> {
    let no = format!("{prefix}{id:0width$}");
    crate::db::Exec::execute(tx, sql(format!("UPDATE {table} SET no = $1 WHERE id = $2")).bind(&no).bind(id)).await?;
    Ok(no)
}

/// 10 characters without look-alikes (0/O, 1/I/L): what a citizen keeps to look a case up.
pub fn query_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..10).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// What is stored of a query code (never the code itself); case and spaces do not matter.
pub fn hash_code(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_ascii_uppercase().as_bytes()))
}

/// Whether readers' reports hide what they report (a comment, a listing): once they reach the
/// threshold the moderators set; a threshold of 0 never hides.
pub fn flags_hide(flags: i64, threshold: i64) -> bool {
    threshold > 0 && flags >= threshold
}

// ---- captcha ------------------------------------------------------------------------------------

/// How long a challenge may be answered.
pub const CAPTCHA_TTL_SECONDS: i64 = 1800;

/// A challenge: the question (plain text, read out by screen readers as well as seen — so it is its
/// own non-visual alternative) and the token the form carries back.
#[derive(Debug, Clone, Serialize)]
pub struct Captcha {
    pub question: String,
    pub token: String,
}

/// Issues and checks arithmetic challenges. The key comes from the deployment's secret, so every
/// node accepts the challenges any node issued; the database remembers which were used.
pub struct CaptchaIssuer {
    key: Vec<u8>,
}

/// Why an answer was not accepted (shown next to the captcha field).
pub const CAPTCHA_STALE: &str = "验证问题已失效，请回答新的问题";
pub const CAPTCHA_EXPIRED: &str = "验证问题已过期（30 分钟），请回答新的问题";
pub const CAPTCHA_WRONG: &str = "验证问题的答案不正确，请重新计算";
pub const CAPTCHA_USED: &str = "这道验证问题已经用过，请回答新的问题";

impl CaptchaIssuer {
    pub fn new(secret: &[u8]) -> CaptchaIssuer {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("hmac takes any key length");
        mac.update(b"zhengwu captcha v1");
        CaptchaIssuer { key: mac.finalize().into_bytes().to_vec() }
    }

    fn mac(&self, answer: &str, expires: i64, nonce: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("hmac key");
        mac.update(format!("{answer}|{expires}|{nonce}").as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn issue(&self) -> Captcha {
        let mut rng = rand::rng();
        let (a, b) = (rng.random_range(2..=9), rng.random_range(2..=9));
        let (question, answer) = if rng.random_bool(0.5) {
            (format!("{a} 加 {b} 等于多少？"), a + b)
        } else {
            (format!("{a} 乘 {b} 等于多少？"), a * b)
        };
        let expires = crate::db::now() + CAPTCHA_TTL_SECONDS;
        let nonce = crate::security::random_token(9);
        let mac = self.mac(&answer.to_string(), expires, &nonce);
        Captcha { question, token: format!("{expires}.{nonce}.{mac}") }
    }

    /// Checks the answer without using the challenge up: the nonce and its expiry when right.
    pub fn verify(&self, token: &str, answer: &str, now: i64) -> Result<(String, i64), &'static str> {
        let answer: String = answer.trim().chars().filter(char::is_ascii_digit).collect();
        let mut parts = token.splitn(3, '.');
        let (Some(exp), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CAPTCHA_STALE);
        };
        let Ok(expires) = exp.parse::<i64>() else { return Err(CAPTCHA_STALE) };
        if expires < now {
            return Err(CAPTCHA_EXPIRED);
        }
        if answer.is_empty() || !crate::security::ct_eq(&self.mac(&answer, expires, nonce), mac) {
            return Err(CAPTCHA_WRONG);
        }
        Ok((nonce.to_owned(), expires))
    }

    /// Checks the answer and uses the challenge up: a second form carrying the same solved
    /// challenge, on this node or another, is refused.
    pub async fn redeem(
        &self,
        db: &Db,
        token: &str,
        answer: &str,
    ) -> Result<Result<(), &'static str>, crate::db::DbError> {
        let now = crate::db::now();
        let (nonce, expires) = match self.verify(token, answer, now) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        Ok(if use_once(db, &format!("captcha:{nonce}"), expires).await? { Ok(()) } else { Err(CAPTCHA_USED) })
    }
}

/// Records that a one-time value (a captcha nonce, a form's submission token) was used; false when
/// it already was. Records are kept until they expire, and expired ones are pruned as we go.
pub async fn use_once(db: &Db, key: &str, expires_at: i64) -> DbResult<bool> {
    let now = crate::db::now();
    if rand::rng().random_ratio(1, 50) {
        db.execute(sql("DELETE FROM used_once WHERE expires_at < $1").bind(now)).await?;
    }
    let inserted = db
        .execute(
            sql("INSERT INTO used_once (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(key)
                .bind(expires_at),
        )
        .await?;
    Ok(inserted == 1)
}

// ---- one-time submission ------------------------------------------------------------------------

/// The hidden field a public form carries its submission token in.
pub const SUBMISSION_FIELD: &str = "_once";
/// The cookie that tells the receipt page which submission's result to show (never the URL: the
/// receipt holds the query code, and URLs end up in logs and browser history).
pub const RECEIPT_COOKIE: &str = "zw_receipt";
/// How long a receipt can be shown again.
pub const RECEIPT_TTL_SECONDS: i64 = 7200;

/// A fresh token for a form about to be shown.
pub fn submission_token() -> String {
    crate::security::random_token(18)
}

/// A claimed submission token of one kind of form.
#[derive(Debug, PartialEq)]
pub struct Submission {
    kind: &'static str,
    pub token: String,
}

/// What a POST carrying a submission token should do.
#[derive(Debug, PartialEq)]
pub enum Claim {
    /// The first time this token arrives: do the work, then [`Submission::settle`] (or
    /// [`Submission::release`] on a validation error, so that the corrected form can be sent with
    /// the same token).
    First(Submission),
    /// The token was used before (a double click, a reload of the POST): show the first result,
    /// do nothing again.
    Repeat(Submission),
}

/// What is stored of a token: its hash, per kind (one page may carry the same token in two forms).
fn token_key(kind: &str, token: &str) -> String {
    hex::encode(Sha256::digest(format!("submission|{kind}|{token}").as_bytes()))
}

/// Claims a form's submission token for `kind` (e.g. `letter`). A form without a token (an old
/// page, a script) gets one of its own and is treated as a first submission. When the token was
/// claimed before, waits a few seconds for the first request to finish (a double click arrives
/// while the first one still stores files and sends mail).
pub async fn claim(db: &Db, kind: &'static str, token: Option<&str>) -> DbResult<Claim> {
    let token =
        token.map(str::trim).filter(|t| (16..=64).contains(&t.len())).map_or_else(submission_token, str::to_owned);
    let now = crate::db::now();
    if rand::rng().random_ratio(1, 50) {
        db.execute(sql("DELETE FROM intake_receipt WHERE created_at < $1").bind(now - RECEIPT_TTL_SECONDS)).await?;
    }
    let inserted = db
        .execute(
            sql("INSERT INTO intake_receipt (token_hash, kind, created_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING")
                .bind(token_key(kind, &token))
                .bind(kind)
                .bind(now),
        )
        .await?;
    let sub = Submission { kind, token };
    if inserted == 1 {
        return Ok(Claim::First(sub));
    }
    for _ in 0..20 {
        if receipt(db, kind, &sub.token).await?.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    Ok(Claim::Repeat(sub))
}

impl Submission {
    /// Stores what the first submission produced (sealed), for the result page and for repeats.
    pub async fn settle(&self, db: &Db, receipt: &serde_json::Value) -> DbResult<()> {
        db.execute(
            sql("UPDATE intake_receipt SET receipt = $1 WHERE token_hash = $2")
                .bind(crate::sealed::seal(&receipt.to_string()))
                .bind(token_key(self.kind, &self.token)),
        )
        .await?;
        Ok(())
    }

    /// Gives the token back after the submission failed (a wrong captcha, a missing field), so the
    /// corrected form may be sent again with it.
    pub async fn release(&self, db: &Db) -> DbResult<()> {
        db.execute(
            sql("DELETE FROM intake_receipt WHERE token_hash = $1 AND receipt IS NULL")
                .bind(token_key(self.kind, &self.token)),
        )
        .await?;
        Ok(())
    }

    /// The 303 to the page that shows the result, with the cookie naming this submission.
    pub fn redirect(&self, state: &crate::web::AppState, to: &str) -> axum::response::Response {
        let mut res = crate::web::see_other(to);
        res.headers_mut().append(
            axum::http::header::SET_COOKIE,
            crate::web::set_cookie(state, RECEIPT_COOKIE, &self.token, Some(RECEIPT_TTL_SECONDS)),
        );
        res
    }
}

/// The stored result of a settled submission of `kind`, while it is fresh.
pub async fn receipt(db: &Db, kind: &str, token: &str) -> DbResult<Option<serde_json::Value>> {
    let stored: Option<crate::db::Scalar<Option<String>>> = db
        .fetch_optional(
            sql("SELECT receipt FROM intake_receipt WHERE token_hash = $1 AND kind = $2 AND created_at >= $3")
                .bind(token_key(kind, token))
                .bind(kind)
                .bind(crate::db::now() - RECEIPT_TTL_SECONDS),
        )
        .await?;
    Ok(stored.and_then(|s| s.0).and_then(|s| crate::sealed::open(&s)).and_then(|s| serde_json::from_str(&s).ok()))
}

/// The stored result of `kind` that a result page was sent for (named by the request's
/// submission cookie), while it is fresh.
pub async fn receipt_of_request(
    db: &Db,
    kind: &str,
    headers: &axum::http::HeaderMap,
) -> DbResult<Option<serde_json::Value>> {
    match crate::web::cookie(headers, RECEIPT_COOKIE) {
        Some(token) => receipt(db, kind, token).await,
        None => Ok(None),
    }
}

/// What a citizen's action on their own case (a rating, a reopening, a resubmission) leaves for
/// the page the action redirects to: which case (number and query code, so the page can open it
/// again) and what to tell them.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CaseAction {
    pub no: String,
    pub code: String,
    pub notice: String,
}

impl Submission {
    /// Settles an action on a case with what the result page shows.
    pub async fn settle_case(&self, db: &Db, no: &str, code: &str, notice: &str) -> DbResult<()> {
        let done = CaseAction { no: no.trim().to_owned(), code: code.trim().to_owned(), notice: notice.to_owned() };
        self.settle(db, &serde_json::to_value(&done).unwrap_or_default()).await
    }
}

/// The case action of `kind` this browser settled last, while it is fresh.
pub async fn case_action_of_request(
    db: &Db,
    kind: &str,
    headers: &axum::http::HeaderMap,
) -> DbResult<Option<CaseAction>> {
    Ok(receipt_of_request(db, kind, headers).await?.and_then(|v| serde_json::from_value(v).ok()))
}

// ---- uploads ------------------------------------------------------------------------------------

/// The browser's participation token as a keyed hash (one survey response, one flag, one rating
/// of a staff member a month per browser), and the cookie that sets it when it is new. Nothing in
/// it names a person: it is a random token the browser keeps for a year.
pub fn browser_voter(
    state: &crate::web::AppState,
    headers: &axum::http::HeaderMap,
) -> (String, Option<axum::http::HeaderValue>) {
    match crate::web::cookie(headers, "zw_voter").filter(|v| v.len() >= 16) {
        Some(v) => (hash_code(v), None),
        None => {
            let token = crate::security::random_token(18);
            (hash_code(&token), Some(crate::web::set_cookie(state, "zw_voter", &token, Some(365 * 86_400))))
        }
    }
}

/// Who sends a once-per-browser action (a reader's flag, a rating): the browser's token, which
/// the page carrying the form set; without it (cookies off) the client address, so that clearing
/// cookies does not vote twice from one place. Also the cookie to set when the browser had none.
pub fn voter_or_address(
    state: &crate::web::AppState,
    headers: &axum::http::HeaderMap,
    ip: &str,
) -> (String, Option<axum::http::HeaderValue>) {
    let (who, cookie) = browser_voter(state, headers);
    if cookie.is_some() { (hash_code(&format!("ip:{ip}")), cookie) } else { (who, None) }
}

/// A kind of file citizens may upload: extension, MIME type, and how its first bytes look.
#[derive(Debug, Clone, Copy)]
pub struct FileType {
    pub ext: &'static str,
    pub mime: &'static str,
    magic: &'static [&'static [u8]],
}

const ZIP: &[&[u8]] = &[b"PK\x03\x04"];
const OLE: &[&[u8]] = &[&[0xD0, 0xCF, 0x11, 0xE0]];

pub const JPG: FileType = FileType { ext: "jpg", mime: "image/jpeg", magic: &[&[0xFF, 0xD8, 0xFF]] };
pub const JPEG: FileType = FileType { ext: "jpeg", mime: "image/jpeg", magic: &[&[0xFF, 0xD8, 0xFF]] };
pub const PNG: FileType = FileType { ext: "png", mime: "image/png", magic: &[b"\x89PNG\r\n\x1a\n"] };
pub const PDF: FileType = FileType { ext: "pdf", mime: "application/pdf", magic: &[b"%PDF-"] };
pub const DOC: FileType = FileType { ext: "doc", mime: "application/msword", magic: OLE };
pub const DOCX: FileType = FileType {
    ext: "docx",
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    magic: ZIP,
};
pub const XLS: FileType = FileType { ext: "xls", mime: "application/vnd.ms-excel", magic: OLE };
pub const XLSX: FileType =
    FileType { ext: "xlsx", mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", magic: ZIP };
/// OFD (GB/T 33190) is a zip container.
pub const OFD: FileType = FileType { ext: "ofd", mime: "application/ofd", magic: ZIP };

/// Photos (JPEG, PNG).
pub const PHOTOS: &[FileType] = &[JPG, JPEG, PNG];
/// Photos and documents (letters).
pub const PHOTOS_AND_DOCUMENTS: &[FileType] = &[JPG, JPEG, PNG, PDF, DOC, DOCX];
/// Application materials: documents, scans, spreadsheets and OFD.
pub const MATERIALS: &[FileType] = &[PDF, JPG, JPEG, PNG, DOC, DOCX, XLS, XLSX, OFD];

/// What a form accepts: types, the size of one file, how many files and how much in all.
#[derive(Debug, Clone, Copy)]
pub struct UploadRules {
    pub types: &'static [FileType],
    pub max_bytes: usize,
    pub max_count: usize,
    pub max_total_bytes: usize,
}

fn mb(bytes: usize) -> usize {
    bytes >> 20
}

impl UploadRules {
    fn type_list(&self) -> String {
        let mut names: Vec<&str> = self.types.iter().map(|t| t.ext).filter(|e| *e != "jpeg").collect();
        names.dedup();
        names.join("、")
    }

    /// Checks one file by extension, leading bytes and size; returns its MIME type.
    pub fn check(&self, name: &str, bytes: &[u8]) -> Result<&'static str, String> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        let Some(t) = self.types.iter().find(|t| t.ext == ext) else {
            return Err(format!("附件「{name}」类型不允许，只能上传 {} 文件", self.type_list()));
        };
        if bytes.len() > self.max_bytes {
            return Err(format!("附件「{name}」超过 {} MB", mb(self.max_bytes)));
        }
        if bytes.is_empty() {
            return Err(format!("附件「{name}」是空文件"));
        }
        if !t.magic.iter().any(|m| bytes.starts_with(m)) {
            return Err(format!("附件「{name}」的内容与扩展名不符（不是真正的 {} 文件）", t.ext));
        }
        Ok(t.mime)
    }

    /// Checks the count and total size of a form's files (each file is checked by [`Self::check`]).
    pub fn check_all<'a>(&self, sizes: impl IntoIterator<Item = &'a [u8]>) -> Result<(), String> {
        let (count, total) = sizes.into_iter().fold((0usize, 0usize), |(c, t), b| (c + 1, t + b.len()));
        if count > self.max_count {
            return Err(format!("最多上传 {} 个附件", self.max_count));
        }
        if total > self.max_total_bytes {
            return Err(format!("附件合计不能超过 {} MB", mb(self.max_total_bytes)));
        }
        Ok(())
    }
}

/// The type a stored upload is served with: the type its check found, or a download.
pub fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    MATERIALS.iter().find(|t| t.ext == ext).map_or("application/octet-stream", |t| t.mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: UploadRules =
        UploadRules { types: PHOTOS_AND_DOCUMENTS, max_bytes: 5 << 20, max_count: 3, max_total_bytes: 12 << 20 };

    #[test]
    fn uploads_are_checked_by_their_bytes() {
        assert_eq!(RULES.check("照片.JPG", &[0xFF, 0xD8, 0xFF, 0xE0]), Ok("image/jpeg"));
        assert!(RULES.check("a.pdf", b"%PDF-1.7").is_ok());
        assert!(RULES.check("a.docx", b"PK\x03\x04rest").is_ok());
        assert!(RULES.check("a.exe", b"MZ").unwrap_err().contains("类型不允许"));
        assert!(RULES.check("report.pdf", b"<html><script>").unwrap_err().contains("不符"));
        assert!(RULES.check("a.pdf", b"").unwrap_err().contains("空文件"));
        assert!(RULES.check("a.png", b"\x89PNG-not-really").unwrap_err().contains("不符"));
        let big = vec![b'%'; (5 << 20) + 1];
        assert!(RULES.check("a.pdf", &big).unwrap_err().contains("5 MB"));
        let small = [0u8; 10];
        assert!(RULES.check_all([&small[..], &small[..], &small[..]]).is_ok());
        assert!(RULES.check_all([&small[..]; 4]).unwrap_err().contains("3 个"));
        let over = vec![0u8; (4 << 20) + 1];
        assert!(RULES.check_all([&over[..]; 2]).is_ok());
        assert!(RULES.check_all([&over[..]; 3]).unwrap_err().contains("12 MB"));
        assert_eq!(mime_for("章程.OFD"), "application/ofd");
        assert_eq!(mime_for("x.html"), "application/octet-stream");
    }

    #[test]
    fn captcha_answers() {
        let c = CaptchaIssuer::new(b"secret");
        let ch = c.issue();
        let now = crate::db::now();
        let nums: Vec<i64> = ch.question.split(' ').filter_map(|w| w.parse().ok()).collect();
        let answer = if ch.question.contains('加') { nums[0] + nums[1] } else { nums[0] * nums[1] };
        assert!(c.verify(&ch.token, &answer.to_string(), now).is_ok());
        assert!(c.verify(&ch.token, &format!(" {answer} "), now).is_ok(), "spaces around the answer");
        assert_eq!(c.verify(&ch.token, &(answer + 1).to_string(), now), Err(CAPTCHA_WRONG));
        assert_eq!(c.verify(&ch.token, &answer.to_string(), now + CAPTCHA_TTL_SECONDS + 1), Err(CAPTCHA_EXPIRED));
        assert_eq!(c.verify("garbage", "1", now), Err(CAPTCHA_STALE));
        assert_eq!(CaptchaIssuer::new(b"other").verify(&ch.token, &answer.to_string(), now), Err(CAPTCHA_WRONG));
        assert_eq!(hash_code(" ab3 "), hash_code("AB3"));
        assert_eq!(query_code().len(), 10);
    }
}

//! The rules of document exchange (公文交换), pure:
//!
//! - an outgoing document's GB/T 9704-2012 elements and what must hold before it is sent (only
//!   非涉密 documents travel on this system; 发文字号 in 〔〕 form with its year; a body part);
//! - the document's states (草稿 → 待签发 → 已发出, 撤回) and each recipient's delivery
//!   (待签收 → 已签收 | 已退文, or 已撤回 with the document);
//! - the receipt a recipient signs: the digests (SHA-256 and SM3) of the metadata and of every part
//!   received, its own digest, and the check that what is stored still matches it;
//! - when a sign-for is overdue (working days by urgency) and the figures of the statistics.

use serde::{Deserialize, Serialize};

/// Where an outgoing document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    Draft,
    /// 待签发: sent up to the unit's leader.
    Pending,
    /// 已发出
    Sent,
    /// 已撤回 (before anyone signed for it)
    Recalled,
}

impl DocState {
    pub const ALL: [DocState; 4] = [DocState::Draft, DocState::Pending, DocState::Sent, DocState::Recalled];

    pub fn code(self) -> &'static str {
        match self {
            DocState::Draft => "draft",
            DocState::Pending => "pending",
            DocState::Sent => "sent",
            DocState::Recalled => "recalled",
        }
    }

    pub fn parse(s: &str) -> Option<DocState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DocState::Draft => "草稿",
            DocState::Pending => "待签发",
            DocState::Sent => "已发出",
            DocState::Recalled => "已撤回",
        }
    }
}

/// What is done to an outgoing document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocAction {
    /// 送签发 (the clerk)
    Submit,
    /// 签发 (the unit's leader): sends it to every recipient at once
    SignOff,
    /// 退回修改 (the leader)
    Reject,
    /// 撤回 (the clerk, while no recipient has signed)
    Recall,
}

impl DocAction {
    pub const ALL: [DocAction; 4] = [DocAction::Submit, DocAction::SignOff, DocAction::Reject, DocAction::Recall];

    pub fn code(self) -> &'static str {
        match self {
            DocAction::Submit => "submit",
            DocAction::SignOff => "sign_off",
            DocAction::Reject => "reject",
            DocAction::Recall => "recall",
        }
    }

    pub fn parse(s: &str) -> Option<DocAction> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DocAction::Submit => "送签发",
            DocAction::SignOff => "签发并发送",
            DocAction::Reject => "退回修改",
            DocAction::Recall => "撤回",
        }
    }

    /// 签发 and 退回 are the leader's.
    pub fn is_leaders(self) -> bool {
        matches!(self, DocAction::SignOff | DocAction::Reject)
    }
}

/// The state an action leads to; `signed_any`: whether some recipient has signed already (then
/// the document can no longer be recalled).
pub fn doc_transition(from: DocState, a: DocAction, signed_any: bool) -> Option<DocState> {
    use DocAction as A;
    use DocState as S;
    match (from, a) {
        (S::Draft, A::Submit) => Some(S::Pending),
        (S::Pending, A::SignOff) => Some(S::Sent),
        (S::Pending, A::Reject) => Some(S::Draft),
        (S::Sent, A::Recall) if !signed_any => Some(S::Recalled),
        _ => None,
    }
}

/// A recipient unit's copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// 待签收
    Pending,
    /// 已签收
    Signed,
    /// 已退文
    Returned,
    /// 已撤回 (by the sender)
    Recalled,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] =
        [DeliveryState::Pending, DeliveryState::Signed, DeliveryState::Returned, DeliveryState::Recalled];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Signed => "signed",
            DeliveryState::Returned => "returned",
            DeliveryState::Recalled => "recalled",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Pending => "待签收",
            DeliveryState::Signed => "已签收",
            DeliveryState::Returned => "已退文",
            DeliveryState::Recalled => "已撤回",
        }
    }
}

/// The degrees of urgency (紧急程度) and how many working days a sign-for may take.
pub const URGENCY: [(&str, u32); 3] = [("", 2), ("加急", 1), ("特急", 0)];

/// Working days allowed to sign for a document of this urgency (0: the same working day).
pub fn sign_for_days(urgency: &str) -> u32 {
    URGENCY.iter().find(|(u, _)| *u == urgency).map_or(2, |(_, d)| *d)
}

/// The first day whose deliveries allowed `days` working days are not yet overdue on `today`:
/// those sent on an earlier day are (`today > add_workdays(sent, days)`). `add_workdays` never
/// goes back when its start moves later, so stepping back from today finds it; a year at most.
pub fn first_day_not_overdue(
    today: time::Date,
    days: u32,
    add_workdays: impl Fn(time::Date, u32) -> time::Date,
) -> time::Date {
    let mut d = today;
    for _ in 0..400 {
        let Some(prev) = d.previous_day() else { break };
        if today > add_workdays(prev, days) {
            break;
        }
        d = prev;
    }
    d
}

/// The only 密级 this system carries.
pub const UNCLASSIFIED: &str = "非涉密";

/// Why a document may not be sent: the field and the reason.
pub fn check_for_sending(d: &Elements, has_body: bool, recipients: usize) -> Vec<(&'static str, String)> {
    let mut errs = Vec::new();
    if !d.secrecy.is_empty() && d.secrecy != UNCLASSIFIED {
        errs.push(("secrecy", "本系统只能传输非涉密公文；涉密公文须通过涉密渠道传递".to_owned()));
    }
    if !URGENCY.iter().any(|(u, _)| *u == d.urgency) {
        errs.push(("urgency", "紧急程度只能是空、加急或特急".to_owned()));
    }
    if d.issuer_mark.trim().is_empty() {
        errs.push(("issuer_mark", "请填写发文机关标志".to_owned()));
    }
    if d.title.trim().is_empty() {
        errs.push(("title", "请填写标题".to_owned()));
    }
    if !d.doc_no.is_empty() && !doc_no_has_year(&d.doc_no) {
        errs.push(("doc_no", "发文字号应写作“机关代字〔年份〕序号”，如 哈政办发〔2026〕12号".to_owned()));
    }
    if !has_body {
        errs.push(("body_file", "请上传已签章的正式文件（PDF 或 OFD）".to_owned()));
    }
    if recipients == 0 {
        errs.push(("recipients", "请至少选择一个主送或抄送单位".to_owned()));
    }
    errs
}

/// Whether a stored 发文字号 carries a four-digit year in 〔〕.
pub fn doc_no_has_year(doc_no: &str) -> bool {
    let Some((_, rest)) = doc_no.split_once('〔') else { return false };
    let Some((year, after)) = rest.split_once('〕') else { return false };
    year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) && !after.is_empty()
}

/// The GB/T 9704-2012 elements of a document (版头, 主体, 版记), as stored and as the receipt
/// covers them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Elements {
    /// 份号
    #[serde(default)]
    pub copy_no: String,
    /// 密级（本系统只传输“非涉密”）
    #[serde(default)]
    pub secrecy: String,
    /// 保密期限
    #[serde(default)]
    pub secrecy_term: String,
    /// 紧急程度：空、加急、特急
    #[serde(default)]
    pub urgency: String,
    /// 发文机关标志
    #[serde(default)]
    pub issuer_mark: String,
    /// 发文字号（任何括号均存为〔〕）
    #[serde(default)]
    pub doc_no: String,
    /// 签发人
    #[serde(default)]
    pub signer: String,
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title: String,
    /// 主送机关
    #[serde(default)]
    pub main_to: String,
    /// 正文（文字稿；正式文件以上传的版式文件为准）
    #[serde(default)]
    pub body: String,
    /// 附件说明
    #[serde(default)]
    pub attachment_note: String,
    /// 发文机关署名
    #[serde(default)]
    pub sign_org: String,
    /// 成文日期 YYYY-MM-DD
    #[serde(default)]
    pub written_on: String,
    /// 附注
    #[serde(default)]
    pub note: String,
    /// 抄送机关
    #[serde(default)]
    pub cc: String,
    /// 印发机关
    #[serde(default)]
    pub printer: String,
    /// 印发日期 YYYY-MM-DD
    #[serde(default)]
    pub printed_on: String,
}

/// One received part as the receipt names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartDigest {
    pub kind: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub sm3: String,
}

/// What a recipient unit signs for: the document, the unit, who and when, and the digests of the
/// metadata and every part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub document_id: i64,
    pub delivery_id: i64,
    pub unit: String,
    pub signed_by: String,
    pub signed_at: i64,
    pub elements_sha256: String,
    pub parts: Vec<PartDigest>,
}

pub use platform::security::{sha256_hex, sm3_hex};

/// The digest of the elements: SHA-256 of their canonical JSON (fields in declaration order).
pub fn elements_digest(e: &Elements) -> String {
    sha256_hex(serde_json::to_string(e).unwrap_or_default().as_bytes())
}

impl Receipt {
    /// The receipt's own digest (SHA-256 of its canonical JSON), kept in the audit chain.
    pub fn digest(&self) -> String {
        sha256_hex(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }
}

/// What differs between a receipt and what is stored now (empty: it matches).
pub fn verify(receipt: &Receipt, elements: &Elements, parts_now: &[PartDigest]) -> Vec<String> {
    let mut out = Vec::new();
    if elements_digest(elements) != receipt.elements_sha256 {
        out.push("公文的版头、主体或版记与签收时不一致".to_owned());
    }
    for p in &receipt.parts {
        match parts_now.iter().find(|q| q.name == p.name && q.kind == p.kind) {
            None => out.push(format!("签收时的“{}”已不存在", p.name)),
            Some(q) if q.sha256 != p.sha256 || q.sm3 != p.sm3 || q.size != p.size => {
                out.push(format!("“{}”与签收时的摘要不一致", p.name));
            }
            Some(_) => {}
        }
    }
    for q in parts_now {
        if !receipt.parts.iter().any(|p| p.name == q.name && p.kind == q.kind) {
            out.push(format!("“{}”是签收后才出现的", q.name));
        }
    }
    out
}

/// The Beijing day a moment falls on, as the Unix time of that day's midnight (UTC+8, no daylight
/// saving): the key of the per-day delivery counters.
pub fn beijing_day(t: i64) -> i64 {
    t - (t + 8 * 3600).rem_euclid(86_400)
}

/// Sign-for time statistics: how many were signed and the mean hours from sending to signing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SignForTimes {
    pub signed: i64,
    pub total_seconds: i64,
}

impl SignForTimes {
    pub fn add(&mut self, sent_at: i64, signed_at: i64) {
        self.signed += 1;
        self.total_seconds += (signed_at - sent_at).max(0);
    }

    pub fn mean_hours(&self) -> Option<f64> {
        (self.signed > 0).then(|| (self.total_seconds as f64 / self.signed as f64 / 3600.0 * 10.0).round() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_move_as_the_flow_says() {
        use DocAction as A;
        use DocState as S;
        for s in S::ALL {
            assert_eq!(S::parse(s.code()), Some(s));
            for a in A::ALL {
                assert_eq!(A::parse(a.code()), Some(a));
                let want = match (s, a) {
                    (S::Draft, A::Submit) => Some(S::Pending),
                    (S::Pending, A::SignOff) => Some(S::Sent),
                    (S::Pending, A::Reject) => Some(S::Draft),
                    (S::Sent, A::Recall) => Some(S::Recalled),
                    _ => None,
                };
                assert_eq!(doc_transition(s, a, false), want, "{s:?} {a:?}");
            }
        }
        assert_eq!(doc_transition(S::Sent, A::Recall, true), None, "no recall once someone signed");
        assert!(A::SignOff.is_leaders() && A::Reject.is_leaders() && !A::Submit.is_leaders());
        for d in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(d.code()), Some(d));
        }
    }

    fn elements() -> Elements {
        Elements {
            secrecy: UNCLASSIFIED.into(),
            issuer_mark: "哈尔滨市人民政府办公厅文件".into(),
            doc_no: "哈政办发〔2026〕12号".into(),
            title: "关于做好 2027 年元旦春节期间值班工作的通知".into(),
            ..Elements::default()
        }
    }

    #[test]
    fn only_unclassified_documents_with_a_body_and_recipients_are_sent() {
        assert!(check_for_sending(&elements(), true, 3).is_empty());
        let mut secret = elements();
        secret.secrecy = "秘密".into();
        let fields: Vec<&str> = check_for_sending(&secret, false, 0).iter().map(|e| e.0).collect();
        assert_eq!(fields, ["secrecy", "body_file", "recipients"]);
        let mut bad = elements();
        bad.doc_no = "哈政办发12号".into();
        bad.urgency = "很急".into();
        let fields: Vec<&str> = check_for_sending(&bad, true, 1).iter().map(|e| e.0).collect();
        assert_eq!(fields, ["urgency", "doc_no"]);
        assert!(doc_no_has_year("哈政办发〔2026〕12号"));
        assert!(!doc_no_has_year("哈政办发〔26〕12号"));
        assert!(!doc_no_has_year("哈政办发〔2026〕"));
        assert_eq!(sign_for_days("特急"), 0);
        assert_eq!(sign_for_days(""), 2);
    }

    #[test]
    fn a_receipt_detects_any_change_to_what_was_received() {
        let e = elements();
        let part = |name: &str, bytes: &[u8]| PartDigest {
            kind: "attachment".into(),
            name: name.into(),
            size: bytes.len() as i64,
            sha256: sha256_hex(bytes),
            sm3: sm3_hex(bytes),
        };
        let parts = vec![part("正文.pdf", b"%PDF-1.7 body"), part("附件1.xlsx", b"PK table")];
        let r = Receipt {
            document_id: 1,
            delivery_id: 2,
            unit: "市科技局".into(),
            signed_by: "刘洋".into(),
            signed_at: 100,
            elements_sha256: elements_digest(&e),
            parts: parts.clone(),
        };
        assert!(verify(&r, &e, &parts).is_empty());
        let mut changed = e.clone();
        changed.title.push('！');
        assert_eq!(verify(&r, &changed, &parts).len(), 1);
        let mut swapped = parts.clone();
        swapped[1] = part("附件1.xlsx", b"PK other table");
        assert_eq!(verify(&r, &e, &swapped), ["“附件1.xlsx”与签收时的摘要不一致"]);
        let mut added = parts.clone();
        added.push(part("附件2.pdf", b"x"));
        assert_eq!(verify(&r, &e, &added).len(), 1);
        assert_eq!(verify(&r, &e, &parts[..1]).len(), 1);
        // The SM3 of "abc" (GB/T 32905-2016 example 1).
        assert_eq!(sm3_hex(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_ne!(r.digest(), Receipt { signed_at: 101, ..r.clone() }.digest());
    }

    #[test]
    fn mean_sign_for_time() {
        let mut t = SignForTimes::default();
        assert_eq!(t.mean_hours(), None);
        t.add(0, 3600);
        t.add(0, 7200);
        assert_eq!(t.mean_hours(), Some(1.5));
    }

    #[test]
    fn a_moment_falls_on_its_beijing_day() {
        let midnight = platform::parse_date("2026-12-07").unwrap();
        assert_eq!(beijing_day(midnight), midnight);
        assert_eq!(beijing_day(midnight + 86_399), midnight);
        assert_eq!(beijing_day(midnight - 1), midnight - 86_400);
        // 2026-12-07 07:59 in Beijing is still 2026-12-06 in UTC.
        assert_eq!(beijing_day(midnight + 7 * 3600 + 59 * 60), midnight);
    }

    #[test]
    fn overdue_sign_fors_start_where_the_working_days_run_out() {
        use time::Date;
        // Weekends off: Monday 2026-12-07.
        let workdays = |start: Date, n: u32| {
            let mut d = start;
            let mut left = n;
            while left > 0 {
                d = d.next_day().unwrap();
                if !matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
                    left -= 1;
                }
            }
            d
        };
        let day = |s: &str| platform::calendar::date(s).unwrap();
        let monday = day("2026-12-07");
        // 特急 (0 days): anything sent before today is late.
        assert_eq!(first_day_not_overdue(monday, 0, workdays), monday);
        // 加急 (1 day): Friday's is due Monday, still in time; Thursday's was due Friday.
        assert_eq!(first_day_not_overdue(monday, 1, workdays), day("2026-12-04"));
        // Ordinary (2 days): Thursday's is due Monday; Wednesday's was due Friday.
        assert_eq!(first_day_not_overdue(monday, 2, workdays), day("2026-12-03"));
        // The rule agrees with judging each day one by one.
        for k in 0..3 {
            let first = first_day_not_overdue(monday, k, workdays);
            for back in 0..20 {
                let sent = monday - time::Duration::days(back);
                assert_eq!(monday > workdays(sent, k), sent < first, "{sent} with {k} days");
            }
        }
    }
}

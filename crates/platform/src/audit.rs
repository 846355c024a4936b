//! The audit log: append-only and tamper-evident.
//!
//! Each entry's `hash` is an HMAC (SHA-256 by default, SM3 where a 密评 deployment asks for it) over
//! its own fields and the previous entry's hash, keyed with a secret kept outside the database (the
//! `audit.key` file in the data directory, or `ZHENGWU_AUDIT_KEY`). Someone who can write to the
//! database but not read the key cannot edit, delete or insert a row without [`verify`] reporting
//! the first broken link. Retention pruning deletes whole prefixes of the chain and leaves an anchor
//! (the last pruned hash) in `audit_head`; the prune itself is an audit entry.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;

use crate::db::{Db, DbResult, Exec, now, sql};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlg {
    HmacSha256,
    HmacSm3,
}

impl MacAlg {
    pub fn code(self) -> &'static str {
        match self {
            MacAlg::HmacSha256 => "hmac-sha256",
            MacAlg::HmacSm3 => "hmac-sm3",
        }
    }
    pub fn parse(s: &str) -> Option<MacAlg> {
        match s {
            "hmac-sha256" | "sha256" => Some(MacAlg::HmacSha256),
            "hmac-sm3" | "sm3" => Some(MacAlg::HmacSm3),
            _ => None,
        }
    }
}

/// The secret and algorithm used for new entries. Verification uses each row's own algorithm.
#[derive(Clone)]
pub struct AuditKey {
    pub key: Vec<u8>,
    pub alg: MacAlg,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKey").field("key", &"<redacted>").field("alg", &self.alg).finish()
    }
}

/// What happened; filled by the web layer from the request and the handler.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Event {
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub summary: String,
    pub request_id: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub summary: String,
    pub request_id: String,
    pub alg: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The canonical byte string an entry's MAC covers. Fields are length-prefixed so no two different
/// entries serialise alike.
fn canonical(e: &Entry) -> Vec<u8> {
    let mut out = Vec::new();
    let fields: [&str; 10] =
        [&e.username, &e.ip, &e.action, &e.target, &e.outcome, &e.summary, &e.request_id, &e.alg, &e.prev_hash, ""];
    for n in [e.seq, e.at, e.user_id.unwrap_or(-1)] {
        out.extend_from_slice(&n.to_be_bytes());
    }
    for f in fields {
        out.extend_from_slice(&(f.len() as u64).to_be_bytes());
        out.extend_from_slice(f.as_bytes());
    }
    out
}

/// Computes the entry hash with the algorithm named in the entry.
pub fn entry_mac(key: &[u8], e: &Entry) -> String {
    let data = canonical(e);
    match MacAlg::parse(&e.alg) {
        Some(MacAlg::HmacSm3) => {
            let Ok(mut m) = <Hmac<sm3::Sm3> as KeyInit>::new_from_slice(key) else {
                return String::new();
            };
            m.update(&data);
            hex::encode(m.finalize().into_bytes())
        }
        _ => {
            let Ok(mut m) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key) else {
                return String::new();
            };
            m.update(&data);
            hex::encode(m.finalize().into_bytes())
        }
    }
}

#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    last_hash: String,
}

/// Appends one entry. The head row is updated first inside the transaction, which serialises
/// concurrent writers on both backends (row lock on PostgreSQL, write lock on SQLite).
pub async fn record(db: &Db, key: &AuditKey, ev: Event) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let head: Head =
        tx.fetch_one(sql("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, last_hash")).await?;
    let mut entry = Entry {
        seq: head.seq,
        at: now(),
        user_id: ev.user_id,
        username: ev.username,
        ip: ev.ip,
        action: ev.action,
        target: ev.target,
        outcome: ev.outcome,
        summary: truncate(&ev.summary, 2000),
        request_id: ev.request_id,
        alg: key.alg.code().to_owned(),
        prev_hash: head.last_hash,
        hash: String::new(),
    };
    entry.hash = entry_mac(&key.key, &entry);
    tx.execute(
        sql("INSERT INTO audit_log (seq, at, user_id, username, ip, action, target, outcome, summary, request_id, alg, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(entry.seq).bind(entry.at).bind(entry.user_id).bind(&entry.username).bind(&entry.ip)
        .bind(&entry.action).bind(&entry.target).bind(&entry.outcome).bind(&entry.summary)
        .bind(&entry.request_id).bind(&entry.alg).bind(&entry.prev_hash).bind(&entry.hash),
    )
    .await?;
    tx.execute(sql("UPDATE audit_head SET last_hash = $1 WHERE id = 1").bind(&entry.hash)).await?;
    tx.commit().await?;
    Ok(entry.seq)
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars { s.to_owned() } else { s.chars().take(max_chars).collect::<String>() + "…" }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub checked: i64,
    /// The first entry whose hash or link does not match, and why.
    pub first_broken: Option<(i64, String)>,
}

#[derive(sqlx::FromRow)]
struct Anchor {
    seq: i64,
    last_hash: String,
    anchor_seq: i64,
    anchor_hash: String,
}

/// Walks the whole chain in order, in pages, and reports the first broken link.
pub async fn verify(db: &Db, key: &[u8], mut progress: impl FnMut(i64, i64)) -> DbResult<VerifyReport> {
    let head: Anchor =
        db.fetch_one(sql("SELECT seq, last_hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1")).await?;
    let total = db.count(sql("SELECT COUNT(*) FROM audit_log")).await?;
    let mut expected_prev = head.anchor_hash.clone();
    let mut expected_seq = head.anchor_seq + 1;
    let mut checked = 0i64;
    let mut after = head.anchor_seq;
    loop {
        let page: Vec<Entry> =
            db.fetch_all(sql("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1000").bind(after)).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let broken = if e.seq != expected_seq {
                Some(format!("序号不连续：应为 {expected_seq}，实为 {}（有记录被删除或插入）", e.seq))
            } else if e.prev_hash != expected_prev {
                Some("与前一条记录的链接不符（前序记录被改动或删除）".to_owned())
            } else if !crate::security::ct_eq(&entry_mac(key, e), &e.hash) {
                Some("记录内容与其校验值不符（记录被篡改）".to_owned())
            } else {
                None
            };
            if let Some(why) = broken {
                return Ok(VerifyReport { checked, first_broken: Some((e.seq, why)) });
            }
            checked += 1;
            expected_prev = e.hash.clone();
            expected_seq += 1;
            after = e.seq;
        }
        progress(checked, total);
    }
    if head.seq != after || head.last_hash != expected_prev {
        return Ok(VerifyReport {
            checked,
            first_broken: Some((after + 1, "日志末尾的记录缺失（与链头不符）".to_owned())),
        });
    }
    Ok(VerifyReport { checked, first_broken: None })
}

/// Filters the auditor can combine.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub username: Option<String>,
    pub action: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    pub outcome: Option<String>,
}

// ---- labels ---------------------------------------------------------------------------------------

/// What an action code's first part names, in Chinese.
const OBJECTS: &[(&str, &str)] = &[
    ("auth", "登录认证"),
    ("user", "账号"),
    ("org", "机构"),
    ("grant", "授权"),
    ("policy", "安全策略"),
    ("settings", "系统设置"),
    ("calendar", "工作日历"),
    ("token", "API 令牌"),
    ("audit", "审计日志"),
    ("site", "站点"),
    ("channel", "栏目"),
    ("template", "模板"),
    ("article", "信息"),
    ("attachment", "附件"),
    ("search", "站内搜索"),
    ("quota", "发布指标"),
    ("stats", "统计"),
    ("mailbox", "信箱"),
    ("letter", "来信"),
    ("open311", "Open311 接口"),
    ("application", "办件"),
    ("service_item", "办事事项"),
    ("project_call", "项目申报"),
    ("expert", "评审专家"),
    ("rating_followup", "差评回访"),
    ("staff", "效能评价工作人员"),
    ("staff_rating", "效能评价"),
    ("assessment_rule", "部门考核规则"),
    ("site_evaluation", "网站评估"),
    ("proposal", "建议提案"),
    ("report", "信息报送"),
    ("meeting", "会议通知"),
    ("duty", "政务值班"),
    ("listing", "供求信息"),
    ("listing_board", "供求信息栏目"),
    ("fee_notice", "缴款通知书"),
    ("course", "远程教育课件"),
    ("course_category", "课件分类"),
    ("camera_point", "视频点位"),
    ("library", "文库"),
    ("demo", "演示数据"),
    ("population", "人口信息"),
];

/// What an action code's second part does, in Chinese.
const VERBS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("logout", "退出"),
    ("mfa", "动态口令验证"),
    ("lockout", "锁定"),
    ("timeout", "超时退出"),
    ("token", "令牌认证"),
    ("key", "密钥"),
    ("create", "新建"),
    ("score", "打分"),
    ("update", "修改"),
    ("save", "保存"),
    ("delete", "删除"),
    ("view", "查看"),
    ("export", "导出"),
    ("stats_export", "导出统计"),
    ("verify", "校验完整性"),
    ("restore", "恢复版本"),
    ("check", "检查"),
    ("upload", "上传"),
    ("preview", "预览"),
    ("place", "推送到栏目"),
    ("unplace", "取消推送"),
    ("submit", "提交审核"),
    ("approve", "审核通过"),
    ("reject", "退回或不予受理"),
    ("withdraw", "撤稿"),
    ("archive", "归档"),
    ("publish_scheduled", "定时发布"),
    ("unpublish_scheduled", "定时下线"),
    ("html", "编辑页面内容"),
    ("add", "授予"),
    ("remove", "收回"),
    ("disable", "停用"),
    ("enable", "启用"),
    ("change_password", "修改密码"),
    ("reset_password", "重置密码"),
    ("revoke", "吊销"),
    ("key_create", "新建接口密钥"),
    ("key_revoke", "吊销接口密钥"),
    ("settings", "设置"),
    ("rebuild", "重建索引"),
    ("bestbet.delete", "删除推荐结果"),
    ("set", "设定"),
    ("stage", "推进阶段"),
    ("appeal", "申诉"),
    ("close", "关闭"),
    ("reply_draft", "保存答复草稿"),
    ("load", "载入"),
    ("accept", "受理"),
    ("assign", "交办"),
    ("reassign", "改派"),
    ("send_back", "退回办公室"),
    ("request_extension", "申请延期"),
    ("approve_extension", "同意延期"),
    ("deny_extension", "不同意延期"),
    ("submit_reply", "提交答复"),
    ("approve_reply", "答复审核通过"),
    ("return_reply", "退回答复"),
    ("publish", "公开"),
    ("unpublish", "撤销公开"),
    ("supervise", "督办"),
    ("instruct", "领导批示"),
    ("rate", "评价"),
    ("reopen", "重新办理"),
    ("request_correction", "要求补正"),
    ("resubmit", "补正后重新提交"),
    ("deny", "不予办理"),
    ("complete", "办结"),
    ("return", "退回"),
    ("opinion", "会办意见"),
    ("reply", "答复"),
    ("urge", "督办"),
    ("send", "报送"),
    ("quota", "设定报送指标"),
    ("adopt", "采用"),
    ("decline", "不采用"),
    ("issue", "印发"),
    ("rules", "修改计分规则"),
    ("notify", "发出通知"),
    ("cancel", "取消"),
    ("remind", "催报"),
    ("checkin", "签到"),
    ("minutes", "上传纪要"),
    ("rotate", "排班"),
    ("shift", "调班"),
    ("zero", "零报告"),
    ("log", "值班记录"),
    ("incident", "登记事件"),
    ("initial", "初报"),
    ("followup", "续报"),
    ("final", "终报"),
    ("hide", "下架待查"),
    ("fees", "修改收费标准"),
    ("pay", "登记收款"),
    ("refund", "退费"),
    ("import", "导入"),
    ("download", "下载"),
    ("swap_request", "申请调班"),
    ("swap_approve", "批准调班"),
    ("swap_reject", "不同意调班"),
    ("query", "查询"),
    ("reveal", "显示完整信息"),
    ("statistics", "统计查询"),
    ("resolve", "裁决冲突"),
];

/// The Chinese label of an action code (`article.submit` → 信息·提交审核). The audit safety net
/// records unlabelled writes as `METHOD /route`, shown as 访问/提交 and the route.
pub fn action_label(code: &str) -> String {
    if let Some((method, route)) = code.split_once(' ') {
        return format!("{} {route}", if method == "GET" { "访问" } else { "提交" });
    }
    let (object, verb) = code.split_once('.').unwrap_or((code, ""));
    let object = OBJECTS.iter().find(|(c, _)| *c == object).map(|x| x.1);
    let verb = VERBS.iter().find(|(c, _)| *c == verb).map(|x| x.1);
    match (object, verb) {
        (Some(o), Some(v)) => format!("{o}·{v}"),
        _ => code.to_owned(),
    }
}

/// The Chinese label of an outcome.
pub fn outcome_label(code: &str) -> &'static str {
    match code {
        "success" => "成功",
        "failure" => "失败",
        "denied" => "拒绝",
        _ => "其他",
    }
}

/// What the 操作 filter matches (SQL LIKE patterns): a code prefix as typed (`user.`), or, for a
/// label, every action whose object or verb label contains it (登录 → `auth.login`, `%.login`).
pub fn action_patterns(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    if text.is_ascii() {
        return vec![format!("{}%", text.replace('%', ""))];
    }
    let mut out: Vec<String> =
        OBJECTS.iter().filter(|(_, l)| l.contains(text)).map(|(c, _)| format!("{c}.%")).collect();
    out.extend(VERBS.iter().filter(|(_, l)| l.contains(text)).map(|(c, _)| format!("%.{c}")));
    if let Some((o, v)) = text.split_once('·') {
        for (oc, _) in OBJECTS.iter().filter(|(_, l)| *l == o) {
            out.extend(VERBS.iter().filter(|(_, l)| *l == v).map(|(vc, _)| format!("{oc}.{vc}")));
        }
    }
    out
}

fn filtered(base: &str, f: &Filter) -> crate::db::Q {
    let mut q = sql(base.to_owned()).push(" WHERE 1=1");
    if let Some(u) = f.username.as_deref().filter(|s| !s.is_empty()) {
        q = q.push(" AND username = ").push_bind(u);
    }
    if let Some(a) = f.action.as_deref().filter(|s| !s.trim().is_empty()) {
        let patterns = action_patterns(a);
        if patterns.is_empty() {
            q = q.push(" AND 1=0");
        } else {
            q = q.push(" AND (");
            for (i, p) in patterns.into_iter().enumerate() {
                q = q.push(if i == 0 { "action LIKE " } else { " OR action LIKE " }).push_bind(p);
            }
            q = q.push(")");
        }
    }
    if let Some(o) = f.outcome.as_deref().filter(|s| !s.is_empty()) {
        q = q.push(" AND outcome = ").push_bind(o);
    }
    if let Some(from) = f.from {
        q = q.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q = q.push(" AND at < ").push_bind(to);
    }
    q
}

pub async fn search(db: &Db, f: &Filter, limit: i64, offset: i64) -> DbResult<(Vec<Entry>, i64)> {
    let total = db.count(filtered("SELECT COUNT(*) FROM audit_log", f)).await?;
    let rows = db
        .fetch_all(
            filtered("SELECT * FROM audit_log", f)
                .push(" ORDER BY seq DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset),
        )
        .await?;
    Ok((rows, total))
}

/// Deletes entries older than the retention period and records the prune as a new entry.
pub async fn prune(db: &Db, key: &AuditKey, retention_days: u32, actor: &str) -> DbResult<u64> {
    let cutoff = now() - i64::from(retention_days) * 86_400;
    #[derive(sqlx::FromRow)]
    struct Last {
        seq: i64,
        hash: String,
    }
    let last: Option<Last> = db
        .fetch_optional(sql("SELECT seq, hash FROM audit_log WHERE at < $1 ORDER BY seq DESC LIMIT 1").bind(cutoff))
        .await?;
    let Some(last) = last else { return Ok(0) };
    let mut tx = db.begin().await?;
    let n = tx.execute(sql("DELETE FROM audit_log WHERE seq <= $1").bind(last.seq)).await?;
    tx.execute(
        sql("UPDATE audit_head SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1").bind(last.seq).bind(&last.hash),
    )
    .await?;
    tx.commit().await?;
    record(
        db,
        key,
        Event {
            username: actor.to_owned(),
            ip: "-".into(),
            action: "audit.prune".into(),
            target: format!("audit_log <= {}", last.seq),
            outcome: "success".into(),
            summary: format!("按保存期 {retention_days} 天清理 {n} 条审计记录（截至序号 {}）", last.seq),
            ..Event::default()
        },
    )
    .await?;
    Ok(n)
}

/// Renders entries as CSV with a UTF-8 BOM so Excel on Chinese Windows opens it correctly.
/// The export's columns: 操作 and 结果 in Chinese, with the 操作代码 kept so a chain check can
/// recompute each entry's 校验值.
const EXPORT_HEADERS: [&str; 11] =
    ["序号", "时间", "用户", "IP", "操作", "操作代码", "对象", "结果", "摘要", "请求ID", "校验值"];

pub fn to_csv(entries: &[Entry]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let _ = w.write_record(EXPORT_HEADERS);
        for e in entries {
            let _ = w.write_record([
                e.seq.to_string(),
                crate::fmt_time(e.at),
                e.username.clone(),
                e.ip.clone(),
                action_label(&e.action),
                e.action.clone(),
                e.target.clone(),
                outcome_label(&e.outcome).to_owned(),
                e.summary.clone(),
                e.request_id.clone(),
                e.hash.clone(),
            ]);
        }
        let _ = w.flush();
    }
    out
}

/// Renders entries as an xlsx workbook.
pub fn to_xlsx(entries: &[Entry]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("审计日志")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in EXPORT_HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, e) in entries.iter().enumerate() {
        let r = (i + 1) as u32;
        ws.write_number(r, 0, e.seq as f64)?;
        ws.write_string(r, 1, crate::fmt_time(e.at))?;
        ws.write_string(r, 2, &e.username)?;
        ws.write_string(r, 3, &e.ip)?;
        ws.write_string(r, 4, action_label(&e.action))?;
        ws.write_string(r, 5, &e.action)?;
        ws.write_string(r, 6, &e.target)?;
        ws.write_string(r, 7, outcome_label(&e.outcome))?;
        ws.write_string(r, 8, &e.summary)?;
        ws.write_string(r, 9, &e.request_id)?;
        ws.write_string(r, 10, &e.hash)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_column_width(1, 20)?;
    ws.set_column_width(4, 20)?;
    ws.set_column_width(8, 60)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn codes_read_in_chinese_and_labels_find_their_codes() {
        assert_eq!(action_label("auth.login"), "登录认证·登录");
        assert_eq!(action_label("article.submit"), "信息·提交审核");
        assert_eq!(action_label("search.bestbet.delete"), "站内搜索·删除推荐结果");
        assert_eq!(action_label("POST /admin/cms/articles/{id}/act"), "提交 /admin/cms/articles/{id}/act");
        assert_eq!(action_label("unknown.thing"), "unknown.thing", "an unknown code shows as it is");
        assert_eq!(outcome_label("denied"), "拒绝");
        assert_eq!(action_patterns("user."), vec!["user.%".to_owned()]);
        let login = action_patterns("登录");
        assert!(login.contains(&"auth.%".to_owned()) && login.contains(&"%.login".to_owned()), "{login:?}");
        assert!(action_patterns("信息·提交审核").contains(&"article.submit".to_owned()));
        assert!(action_patterns("不存在的操作").is_empty());
        // Every label is unique, so a label typed back finds its own code.
        for (c, l) in OBJECTS {
            assert_eq!(OBJECTS.iter().filter(|(_, x)| x == l).count(), 1, "{c}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str, alg: MacAlg) -> Entry {
        Entry {
            seq,
            at: 1_800_000_000 + seq,
            user_id: Some(1),
            username: "zhangsan".into(),
            ip: "10.0.0.1".into(),
            action: "user.create".into(),
            target: "user:lisi".into(),
            outcome: "success".into(),
            summary: "创建账号 lisi".into(),
            request_id: "r1".into(),
            alg: alg.code().into(),
            prev_hash: prev.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn mac_depends_on_key_content_link_and_algorithm() {
        let e = entry(1, "", MacAlg::HmacSha256);
        let h = entry_mac(b"k1", &e);
        assert_eq!(h.len(), 64);
        assert_ne!(h, entry_mac(b"k2", &e));
        let mut changed = e.clone();
        changed.summary = "创建账号 wangwu".into();
        assert_ne!(h, entry_mac(b"k1", &changed));
        assert_ne!(h, entry_mac(b"k1", &entry(1, "x", MacAlg::HmacSha256)));
        assert_ne!(h, entry_mac(b"k1", &entry(1, "", MacAlg::HmacSm3)));
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let mut a = entry(1, "", MacAlg::HmacSha256);
        let mut b = a.clone();
        a.action = "ab".into();
        a.target = "c".into();
        b.action = "a".into();
        b.target = "bc".into();
        assert_ne!(entry_mac(b"k", &a), entry_mac(b"k", &b));
    }

    #[test]
    fn csv_export_has_bom_and_chinese_headers() {
        let csv = to_csv(&[entry(1, "", MacAlg::HmacSha256)]);
        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(csv).unwrap_or_default();
        assert!(text.contains("序号") && text.contains("创建账号 lisi"));
    }
}

crate::template_value!(Entry);

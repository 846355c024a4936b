//! 公文交换: outgoing documents drafted by a unit's clerk, 签发 by its leader and sent to every
//! recipient unit in one transaction (one delivery row and one outbox notice per unit); recipients
//! sign for them with a receipt bound to the digests of everything received (kept in the audit
//! chain), or return them; the sender reminds and recalls; recipients distribute and note their
//! handling; statistics per unit.

use std::path::{Path, PathBuf};

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::Perm;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Effect, Flow, Tally, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::{self, DeliveryState, DocAction, DocState, Elements, PartDigest, Receipt};

pub static FLOW: Flow = Flow { name: "office_document", table: "office_document", versioned: true };
pub static DELIVERY_FLOW: Flow = Flow { name: "office_delivery", table: "office_delivery", versioned: true };

/// Each unit's deliveries per Beijing day they were sent: received (counted when sent), signed and
/// the seconds signing took (counted when signed) — what the sign-for statistics read.
pub static DELIVERY_DAYS: Tally = Tally {
    table: "office_delivery_day",
    keys: &["unit_id", "day"],
    fields: &["received", "signed", "signed_seconds"],
};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Document {
    pub id: i64,
    pub org_id: i64,
    pub state: String,
    pub copy_no: String,
    pub secrecy: String,
    pub secrecy_term: String,
    pub urgency: String,
    pub issuer_mark: String,
    pub doc_no: String,
    pub signer: String,
    pub title: String,
    pub main_to: String,
    pub body: String,
    pub attachment_note: String,
    pub sign_org: String,
    pub written_on: String,
    pub note: String,
    pub cc: String,
    pub printer: String,
    pub printed_on: String,
    pub recipients: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
    pub signed_off_by: String,
}

platform::template_value!(Document);

impl Document {
    pub fn state(&self) -> DocState {
        DocState::parse(&self.state).unwrap_or(DocState::Draft)
    }

    pub fn elements(&self) -> Elements {
        Elements {
            copy_no: self.copy_no.clone(),
            secrecy: self.secrecy.clone(),
            secrecy_term: self.secrecy_term.clone(),
            urgency: self.urgency.clone(),
            issuer_mark: self.issuer_mark.clone(),
            doc_no: self.doc_no.clone(),
            signer: self.signer.clone(),
            title: self.title.clone(),
            main_to: self.main_to.clone(),
            body: self.body.clone(),
            attachment_note: self.attachment_note.clone(),
            sign_org: self.sign_org.clone(),
            written_on: self.written_on.clone(),
            note: self.note.clone(),
            cc: self.cc.clone(),
            printer: self.printer.clone(),
            printed_on: self.printed_on.clone(),
        }
    }

    pub fn recipient_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.recipients).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Part {
    pub id: i64,
    pub document_id: i64,
    pub kind: String,
    pub name: String,
    #[serde(skip)]
    pub stored: String,
    pub size: i64,
    pub sha256: String,
    pub sm3: String,
}

platform::template_value!(Part);

impl Part {
    pub fn digest(&self) -> PartDigest {
        PartDigest {
            kind: self.kind.clone(),
            name: self.name.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            sm3: self.sm3.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub document_id: i64,
    pub unit_id: i64,
    pub state: String,
    pub sent_at: i64,
    pub signed_by: String,
    pub signed_by_id: Option<i64>,
    pub signed_at: Option<i64>,
    pub return_reason: String,
    pub receipt: String,
    pub receipt_digest: String,
    pub reminders: i64,
    pub reminded_at: Option<i64>,
    pub updated_at: i64,
}

platform::template_value!(Delivery);

impl Delivery {
    pub fn state(&self) -> DeliveryState {
        DeliveryState::parse(&self.state).unwrap_or(DeliveryState::Pending)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Note {
    pub id: i64,
    pub delivery_id: i64,
    pub kind: String,
    pub text: String,
    pub author: String,
    pub at: i64,
}

platform::template_value!(Note);

/// Where the parts are kept.
pub fn files_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("files").join("office")
}

pub async fn get(db: &Db, id: i64) -> Result<Document, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_document WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn parts(db: &Db, id: i64) -> Result<Vec<Part>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_part WHERE document_id = $1 ORDER BY kind DESC, id").bind(id)).await?)
}

pub async fn deliveries(db: &Db, id: i64) -> Result<Vec<Delivery>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_delivery WHERE document_id = $1 ORDER BY id").bind(id)).await?)
}

pub async fn delivery(db: &Db, id: i64) -> Result<Delivery, AppError> {
    db.fetch_optional(sql("SELECT * FROM office_delivery WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

pub async fn notes(db: &Db, delivery_id: i64) -> Result<Vec<Note>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_note WHERE delivery_id = $1 ORDER BY id").bind(delivery_id)).await?)
}

/// A unit group (e.g. 各区县人民政府, 市政府各部门): its name and member units.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub members: String,
}

impl Group {
    pub fn member_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.members).unwrap_or_default()
    }
}

pub async fn groups(db: &Db) -> Result<Vec<Group>, AppError> {
    Ok(db.fetch_all(sql("SELECT * FROM office_unit_group ORDER BY id")).await?)
}

/// The draft as the clerk writes it: the sending unit, the elements and the recipients (unit
/// codes, and groups whose members are added).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "title", "issuer_mark"]))]
pub struct DocumentInput {
    /// 发文单位（机构代码）
    #[serde(default)]
    pub org: String,
    #[serde(flatten)]
    pub elements: Elements,
    /// 收文单位（机构代码）
    #[serde(default)]
    pub recipients: Vec<String>,
    /// 收文单位组（编号），其成员单位一并加入
    #[serde(default)]
    pub groups: Vec<i64>,
}

/// Checks who writes for which unit and resolves the recipients (never the sender itself).
async fn resolve(state: &AppState, auth: &Auth, input: &DocumentInput) -> Result<(i64, Vec<i64>, Elements), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let org = orgs.iter().find(|o| o.code == input.org.trim());
    if org.is_none() {
        errs.push(FieldError::new("org", "请选择发文单位"));
    }
    let mut e = input.elements.clone();
    e.doc_no = platform::codes::normalise_doc_no(&e.doc_no);
    if e.secrecy.trim().is_empty() {
        e.secrecy = domain::UNCLASSIFIED.to_owned();
    }
    if e.title.trim().is_empty() || e.title.chars().count() > 200 {
        errs.push(FieldError::new("title", "请填写标题（200 字以内）"));
    }
    if e.issuer_mark.trim().is_empty() {
        errs.push(FieldError::new("issuer_mark", "请填写发文机关标志，如“哈尔滨市人民政府办公厅文件”"));
    }
    for (field, v) in [("written_on", &e.written_on), ("printed_on", &e.printed_on)] {
        if !v.is_empty() && platform::parse_date(v).is_none() {
            errs.push(FieldError::new(field, "日期应写作 2026-12-06"));
        }
    }
    let mut recipients: Vec<i64> = Vec::new();
    for code in &input.recipients {
        match orgs.iter().find(|o| o.code == code.trim()) {
            Some(o) => recipients.push(o.id),
            None => errs.push(FieldError::new("recipients", format!("收文单位 {code} 不存在"))),
        }
    }
    let all_groups = groups(&state.db).await?;
    for g in &input.groups {
        match all_groups.iter().find(|x| x.id == *g) {
            Some(x) => recipients.extend(x.member_ids()),
            None => errs.push(FieldError::new("groups", "所选单位组不存在")),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let Some(org) = org else { return Err(AppError::BadRequest("表单不完整".into())) };
    auth.require(Perm::OfficeExchange, &accounts::org_scope(&orgs, org.id))?;
    recipients.sort_unstable();
    recipients.dedup();
    recipients.retain(|r| *r != org.id);
    Ok((org.id, recipients, e))
}

fn t<'a>(auth: &'a Auth, action: &'a str, from: &'a str, to: &'a str, comment: &'a str) -> Transition<'a> {
    Transition { action, from, to, step: 0, actor: &auth.user.display_name, actor_id: Some(auth.user.id), comment }
}

pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &DocumentInput) -> Result<i64, AppError> {
    let (org, recipients, e) = resolve(state, auth, input).await?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_document (org_id, state, copy_no, secrecy, secrecy_term, urgency, issuer_mark, doc_no, signer, title, main_to, body, \
                 attachment_note, sign_org, written_on, note, cc, printer, printed_on, recipients, created_by, created_at, updated_at) \
                 VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) RETURNING id")
            .bind(org)
            .bind(e.copy_no.trim())
            .bind(e.secrecy.trim())
            .bind(e.secrecy_term.trim())
            .bind(e.urgency.trim())
            .bind(e.issuer_mark.trim())
            .bind(e.doc_no.trim())
            .bind(e.signer.trim())
            .bind(e.title.trim())
            .bind(e.main_to.trim())
            .bind(e.body.trim())
            .bind(e.attachment_note.trim())
            .bind(e.sign_org.trim())
            .bind(e.written_on.trim())
            .bind(e.note.trim())
            .bind(e.cc.trim())
            .bind(e.printer.trim())
            .bind(e.printed_on.trim())
            .bind(serde_json::to_string(&recipients).unwrap_or_default())
            .bind(&auth.user.display_name)
            .bind(now),
        )
        .await?
        .0;
    workflow::record(&mut tx, &FLOW, id, &t(auth, "create", "", "draft", ""), now).await?;
    tx.commit().await?;
    state.audit(ctx, "office.document.create", &format!("office_document:{id}"), "success", e.title.trim()).await;
    Ok(id)
}

/// Saves a draft (only a draft changes; what was sent stays as it was received).
pub async fn update(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &DocumentInput) -> Result<(), AppError> {
    let d = get(&state.db, id).await?;
    require(state, auth, d.org_id).await?;
    if d.state() != DocState::Draft {
        return Err(AppError::Conflict(format!("“{}”的公文不能修改", d.state().label())));
    }
    let (org, recipients, e) = resolve(state, auth, input).await?;
    let change = Change::new(&FLOW, id, d.updated_at, t(auth, "edit", "draft", "draft", ""))
        .set("org_id", org)
        .set("copy_no", e.copy_no.trim())
        .set("secrecy", e.secrecy.trim())
        .set("secrecy_term", e.secrecy_term.trim())
        .set("urgency", e.urgency.trim())
        .set("issuer_mark", e.issuer_mark.trim())
        .set("doc_no", e.doc_no.trim())
        .set("signer", e.signer.trim())
        .set("title", e.title.trim())
        .set("main_to", e.main_to.trim())
        .set("body", e.body.trim())
        .set("attachment_note", e.attachment_note.trim())
        .set("sign_org", e.sign_org.trim())
        .set("written_on", e.written_on.trim())
        .set("note", e.note.trim())
        .set("cc", e.cc.trim())
        .set("printer", e.printer.trim())
        .set("printed_on", e.printed_on.trim())
        .set("recipients", serde_json::to_string(&recipients).unwrap_or_default());
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这份公文已被他人修改，请刷新后重试".into()));
    }
    state.audit(ctx, "office.document.edit", &format!("office_document:{id}"), "success", e.title.trim()).await;
    Ok(())
}

/// `auth` acts for unit `org` (clerk's permission on it or an ancestor).
pub async fn require(state: &AppState, auth: &Auth, org: i64) -> Result<Vec<OrgUnit>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::OfficeExchange, &accounts::org_scope(&orgs, org))?;
    Ok(orgs)
}

/// The signed body: a PDF, or an OFD (a ZIP container).
fn is_layout_file(name: &str, bytes: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".pdf") && bytes.starts_with(b"%PDF"))
        || (lower.ends_with(".ofd") && bytes.starts_with(b"PK\x03\x04"))
}

/// The largest part accepted.
pub const PART_MAX: usize = 50 * 1024 * 1024;

/// Adds a part to a draft: the body (replacing the previous one) or an attachment.
pub async fn add_part(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    kind: &str,
    name: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let d = get(&state.db, id).await?;
    require(state, auth, d.org_id).await?;
    if d.state() != DocState::Draft {
        return Err(AppError::Conflict("只有草稿可以更换文件".into()));
    }
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let field = if kind == "body" { "body_file" } else { "attachment" };
    if name.is_empty() || bytes.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(field, "请选择要上传的文件")]));
    }
    if bytes.len() > PART_MAX {
        return Err(AppError::Invalid(vec![FieldError::new(field, "单个文件不能超过 50 MB")]));
    }
    if kind == "body" && !is_layout_file(name, bytes) {
        return Err(AppError::Invalid(vec![FieldError::new(field, "正式文件须是 PDF 或 OFD 版式文件")]));
    }
    if kind != "body" && kind != "attachment" {
        return Err(AppError::Invalid(vec![FieldError::new(
            "kind",
            "文件类型只能是 body（正式文件）或 attachment（附件）",
        )]));
    }
    let dir = files_dir(&state.config.data_dir);
    tokio::fs::create_dir_all(&dir).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let stored = format!("{}-{}", id, platform::security::random_token(12));
    tokio::fs::write(dir.join(&stored), bytes).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = state.db.begin().await?;
    if kind == "body" {
        tx.execute(sql("DELETE FROM office_part WHERE document_id = $1 AND kind = 'body'").bind(id)).await?;
    }
    let pid = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO office_part (document_id, kind, name, stored, size, sha256, sm3) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(id)
                .bind(kind)
                .bind(name)
                .bind(stored)
                .bind(bytes.len() as i64)
                .bind(domain::sha256_hex(bytes))
                .bind(domain::sm3_hex(bytes)),
        )
        .await?
        .0;
    tx.commit().await?;
    state
        .audit(ctx, "office.document.part", &format!("office_document:{id}"), "success", format!("{kind} {name}"))
        .await;
    Ok(pid)
}

pub async fn remove_part(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, part_id: i64) -> Result<(), AppError> {
    let d = get(&state.db, id).await?;
    require(state, auth, d.org_id).await?;
    if d.state() != DocState::Draft {
        return Err(AppError::Conflict("只有草稿可以删除文件".into()));
    }
    let n = state
        .db
        .execute(sql("DELETE FROM office_part WHERE id = $1 AND document_id = $2").bind(part_id).bind(id))
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    state
        .audit(
            ctx,
            "office.document.part_remove",
            &format!("office_document:{id}"),
            "success",
            format!("part {part_id}"),
        )
        .await;
    Ok(())
}

/// 送签发, 签发 (sends it: one delivery row and one notice per recipient unit, with the state
/// change, in one transaction), 退回修改, 撤回.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    action: DocAction,
    comment: &str,
) -> Result<DocState, AppError> {
    let d = get(&state.db, id).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let perm = if action.is_leaders() { Perm::OfficeSignOff } else { Perm::OfficeExchange };
    auth.require(perm, &accounts::org_scope(&orgs, d.org_id))?;
    let list = deliveries(&state.db, id).await?;
    let signed_any = list.iter().any(|x| x.state() == DeliveryState::Signed);
    let from = d.state();
    let Some(to) = domain::doc_transition(from, action, signed_any) else {
        let why = if action == DocAction::Recall && signed_any {
            "已有单位签收，不能撤回"
        } else {
            "当前状态不能执行此操作"
        };
        return Err(AppError::Conflict(format!("“{}”的公文{why}", from.label())));
    };
    if matches!(action, DocAction::Submit | DocAction::SignOff) {
        let has_body = parts(&state.db, id).await?.iter().any(|p| p.kind == "body");
        let errs = domain::check_for_sending(&d.elements(), has_body, d.recipient_ids().len());
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs.into_iter().map(|(f, m)| FieldError::new(f, m)).collect()));
        }
    }
    if action == DocAction::Reject && comment.trim().is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new("comment", "退回时请写明修改意见")]));
    }
    let now = platform::db::now();
    let mut change =
        Change::new(&FLOW, id, d.updated_at, t(auth, action.code(), from.code(), to.code(), comment.trim()));
    let sender = orgs.iter().find(|o| o.id == d.org_id).map(|o| o.name.clone()).unwrap_or_default();
    match action {
        DocAction::SignOff => {
            change = change.set("sent_at", now).set("signed_off_by", auth.user.display_name.as_str());
            if d.signer.trim().is_empty() {
                change = change.set("signer", auth.user.display_name.as_str());
            }
            let recipients = d.recipient_ids();
            let mut q = sql("INSERT INTO office_delivery (document_id, unit_id, state, sent_at, updated_at) VALUES ");
            for (i, unit) in recipients.iter().enumerate() {
                q = q.push_row(i == 0, [id.into(), (*unit).into(), "pending".into(), now.into(), now.into()]);
            }
            change = change.also(q);
            for unit in &recipients {
                if let Some(q) = DELIVERY_DAYS.add_q(&[(*unit).into(), domain::beijing_day(now).into()], &[1, 0, 0]) {
                    change = change.also(q);
                }
            }
            let subject = format!("【公文】{}{}", urgency_tag(&d.urgency), d.title);
            let body = format!(
                "{sender}发来公文《{}》（{}），请登录协同办公“收文”签收。\n\n签收后系统生成签收回执，记录签收人、时间和所收文件的摘要。",
                d.title,
                if d.doc_no.is_empty() { "无文号" } else { &d.doc_no }
            );
            change = change.effects(recipients.iter().map(|u| Effect::UnitMail {
                unit: *u,
                subject: subject.clone(),
                body: body.clone(),
            }));
        }
        DocAction::Recall => {
            change = change.also(
                sql("UPDATE office_delivery SET state = 'recalled', updated_at = $2 WHERE document_id = $1 AND state = 'pending'").bind(id).bind(now),
            );
            change =
                change.effects(list.iter().filter(|x| x.state() == DeliveryState::Pending).map(|x| Effect::UnitMail {
                    unit: x.unit_id,
                    subject: format!("【公文撤回】{}", d.title),
                    body: format!("{sender}已撤回公文《{}》，无需签收。", d.title),
                }));
        }
        _ => {}
    }
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这份公文已被他人更改，请刷新后重试".into()));
    }
    state
        .audit(
            ctx,
            &format!("office.document.{}", action.code()),
            &format!("office_document:{id}"),
            "success",
            action.label(),
        )
        .await;
    Ok(to)
}

fn urgency_tag(u: &str) -> String {
    if u.is_empty() { String::new() } else { format!("【{u}】") }
}

/// 催办: a reminder to every unit that has not signed; returns how many were reminded.
pub async fn remind(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64) -> Result<usize, AppError> {
    let d = get(&state.db, id).await?;
    require(state, auth, d.org_id).await?;
    if d.state() != DocState::Sent {
        return Err(AppError::Conflict("只有已发出的公文可以催办".into()));
    }
    let waiting: Vec<Delivery> =
        deliveries(&state.db, id).await?.into_iter().filter(|x| x.state() == DeliveryState::Pending).collect();
    if waiting.is_empty() {
        return Ok(0);
    }
    let now = platform::db::now();
    let change = Change::new(&FLOW, id, d.updated_at, t(auth, "remind", "sent", "sent", ""))
        .also(
            sql("UPDATE office_delivery SET reminders = reminders + 1, reminded_at = $2 WHERE document_id = $1 AND state = 'pending'")
                .bind(id)
                .bind(now),
        )
        .effects(waiting.iter().map(|x| Effect::UnitMail {
            unit: x.unit_id,
            subject: format!("【公文催办】{}", d.title),
            body: format!("公文《{}》尚未签收，请尽快登录协同办公“收文”签收。", d.title),
        }));
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这份公文已被他人更改，请刷新后重试".into()));
    }
    state
        .audit(
            ctx,
            "office.document.remind",
            &format!("office_document:{id}"),
            "success",
            format!("催办 {} 个单位", waiting.len()),
        )
        .await;
    Ok(waiting.len())
}

/// Re-reads every stored part from disk: its digests now.
pub async fn digests_on_disk(data_dir: &Path, list: &[Part]) -> Result<Vec<PartDigest>, AppError> {
    let dir = files_dir(data_dir);
    let mut out = Vec::new();
    for p in list {
        let bytes = tokio::fs::read(dir.join(&p.stored)).await.unwrap_or_default();
        out.push(PartDigest {
            kind: p.kind.clone(),
            name: p.name.clone(),
            size: bytes.len() as i64,
            sha256: domain::sha256_hex(&bytes),
            sm3: domain::sm3_hex(&bytes),
        });
    }
    Ok(out)
}

/// A recipient's decision on a delivery: 签收 (with the receipt) or 退文 (with a reason).
pub async fn receive(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    delivery_id: i64,
    sign: bool,
    reason: &str,
) -> Result<Delivery, AppError> {
    let x = delivery(&state.db, delivery_id).await?;
    let orgs = require(state, auth, x.unit_id).await?;
    let d = get(&state.db, x.document_id).await?;
    if x.state() != DeliveryState::Pending || d.state() != DocState::Sent {
        return Err(AppError::Conflict(format!("这份来文{}，不能再签收或退文", x.state().label())));
    }
    let now = platform::db::now();
    let unit = orgs.iter().find(|o| o.id == x.unit_id).map(|o| o.name.clone()).unwrap_or_default();
    let change = if sign {
        // What is signed for is what is stored now; a part whose bytes no longer match its
        // recorded digest is refused rather than signed for.
        let list = parts(&state.db, d.id).await?;
        let on_disk = digests_on_disk(&state.config.data_dir, &list).await?;
        if list.iter().zip(&on_disk).any(|(p, q)| p.digest() != *q) {
            return Err(AppError::Conflict("来文的文件已损坏或被改动，不能签收，请联系发文单位".into()));
        }
        let receipt = Receipt {
            document_id: d.id,
            delivery_id,
            unit: unit.clone(),
            signed_by: auth.user.display_name.clone(),
            signed_at: now,
            elements_sha256: domain::elements_digest(&d.elements()),
            parts: on_disk,
        };
        let digest = receipt.digest();
        let day = [x.unit_id.into(), domain::beijing_day(x.sent_at).into()];
        let counted = DELIVERY_DAYS.add_q(&day, &[0, 1, now - x.sent_at]);
        let change = Change::new(&DELIVERY_FLOW, delivery_id, x.updated_at, t(auth, "sign", "pending", "signed", ""))
            .set("signed_by", auth.user.display_name.as_str())
            .set("signed_by_id", auth.user.id)
            .set("signed_at", now)
            .set("receipt", serde_json::to_string(&receipt).unwrap_or_default())
            .set("receipt_digest", digest);
        match counted {
            Some(q) => change.also(q),
            None => change,
        }
    } else {
        if reason.trim().is_empty() {
            return Err(AppError::Invalid(vec![FieldError::new("reason", "退文时请写明理由")]));
        }
        Change::new(&DELIVERY_FLOW, delivery_id, x.updated_at, t(auth, "return", "pending", "returned", reason.trim()))
            .set("return_reason", reason.trim())
            .effect(Effect::UnitMail {
                unit: d.org_id,
                subject: format!("【公文退文】{}", d.title),
                body: format!("{unit}退回了公文《{}》，理由：{}", d.title, reason.trim()),
            })
    };
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这份来文已被他人处理，请刷新后查看".into()));
    }
    let x = delivery(&state.db, delivery_id).await?;
    if sign {
        // The receipt in the audit chain: a later claim can be checked against it.
        state
            .audit(
                ctx,
                "office.receipt",
                &format!("office_delivery:{delivery_id}"),
                "success",
                format!("签收回执 {}", x.receipt_digest),
            )
            .await;
    } else {
        state
            .audit(ctx, "office.delivery.return", &format!("office_delivery:{delivery_id}"), "success", reason.trim())
            .await;
    }
    Ok(x)
}

/// 分发 within the unit or a 办理 comment on a signed delivery.
pub async fn add_note(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    delivery_id: i64,
    kind: &str,
    text: &str,
) -> Result<(), AppError> {
    let x = delivery(&state.db, delivery_id).await?;
    require(state, auth, x.unit_id).await?;
    if x.state() != DeliveryState::Signed {
        return Err(AppError::Conflict("签收后才能分发或填写办理意见".into()));
    }
    if !matches!(kind, "forward" | "handle") {
        return Err(AppError::Invalid(vec![FieldError::new("kind", "只能是 forward（分发）或 handle（办理意见）")]));
    }
    if text.trim().is_empty() || text.chars().count() > 2000 {
        return Err(AppError::Invalid(vec![FieldError::new("text", "请填写内容（2000 字以内）")]));
    }
    state
        .db
        .execute(
            sql("INSERT INTO office_note (delivery_id, kind, text, author, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(delivery_id)
                .bind(kind)
                .bind(text.trim())
                .bind(&auth.user.display_name)
                .bind(platform::db::now()),
        )
        .await?;
    state.audit(ctx, "office.delivery.note", &format!("office_delivery:{delivery_id}"), "success", kind).await;
    Ok(())
}

/// Checks a signed delivery's receipt against what is stored now (the document's elements and
/// every part re-read from disk) and against the audit chain. Empty: it holds.
pub async fn verify_receipt(db: &Db, data_dir: &Path, delivery_id: i64) -> Result<Vec<String>, AppError> {
    let x = delivery(db, delivery_id).await?;
    if x.state() != DeliveryState::Signed {
        return Ok(vec![format!("这份来文{}，没有签收回执", x.state().label())]);
    }
    let Ok(receipt) = serde_json::from_str::<Receipt>(&x.receipt) else {
        return Ok(vec!["签收回执无法读取".to_owned()]);
    };
    let mut problems = Vec::new();
    if receipt.digest() != x.receipt_digest {
        problems.push("签收回执与其摘要不一致".to_owned());
    }
    let d = get(db, x.document_id).await?;
    let on_disk = digests_on_disk(data_dir, &parts(db, d.id).await?).await?;
    problems.extend(domain::verify(&receipt, &d.elements(), &on_disk));
    let logged = db
        .count(
            sql("SELECT COUNT(*) FROM audit_log WHERE action = 'office.receipt' AND target = $1 AND summary = $2")
                .bind(format!("office_delivery:{delivery_id}"))
                .bind(format!("签收回执 {}", x.receipt_digest)),
        )
        .await?;
    if logged == 0 {
        problems.push("审计日志中没有这份签收回执".to_owned());
    }
    Ok(problems)
}

/// A row of a list: a document with its sender and counts, or a delivery with its document.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InboxRow {
    pub delivery_id: i64,
    pub document_id: i64,
    pub unit_id: i64,
    pub state: String,
    pub sent_at: i64,
    pub signed_at: Option<i64>,
    pub reminders: i64,
    pub title: String,
    pub doc_no: String,
    pub urgency: String,
    pub sender_id: i64,
}

platform::template_value!(InboxRow);

/// A unit's inbox, newest first, keyset-paged by delivery id (`before`).
pub async fn inbox(
    db: &Db,
    units: Option<&[i64]>,
    state: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboxRow>, AppError> {
    let mut q = sql(
        "SELECT x.id AS delivery_id, x.document_id, x.unit_id, x.state, x.sent_at, x.signed_at, x.reminders, d.title, d.doc_no, d.urgency, d.org_id AS sender_id \
         FROM office_delivery x JOIN office_document d ON d.id = x.document_id WHERE 1 = 1",
    )
    .and_within("x.unit_id", units);
    if !state.is_empty() {
        q = q.push(" AND x.state = ").push_bind(state);
    }
    if let Some(b) = before {
        q = q.push(" AND x.id < ").push_bind(b);
    }
    Ok(db.fetch_all(q.push(" ORDER BY x.id DESC LIMIT ").push_bind(limit)).await?)
}

/// A unit's sent documents with how many recipients signed, returned and wait.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SentRow {
    pub id: i64,
    pub org_id: i64,
    pub state: String,
    pub title: String,
    pub doc_no: String,
    pub urgency: String,
    pub sent_at: Option<i64>,
    pub updated_at: i64,
    pub total: i64,
    pub signed: i64,
    pub returned: i64,
}

platform::template_value!(SentRow);

pub async fn outbox(db: &Db, units: Option<&[i64]>, before: Option<i64>, limit: i64) -> Result<Vec<SentRow>, AppError> {
    let mut q = sql("SELECT d.id, d.org_id, d.state, d.title, d.doc_no, d.urgency, d.sent_at, d.updated_at, \
         (SELECT COUNT(*) FROM office_delivery x WHERE x.document_id = d.id) AS total, \
         (SELECT COUNT(*) FROM office_delivery x WHERE x.document_id = d.id AND x.state = 'signed') AS signed, \
         (SELECT COUNT(*) FROM office_delivery x WHERE x.document_id = d.id AND x.state = 'returned') AS returned \
         FROM office_document d WHERE 1 = 1")
    .and_within("d.org_id", units);
    if let Some(b) = before {
        q = q.push(" AND d.id < ").push_bind(b);
    }
    Ok(db.fetch_all(q.push(" ORDER BY d.id DESC LIMIT ").push_bind(limit)).await?)
}

/// Recounts the per-day delivery counters from the deliveries (after a bulk load, or to repair),
/// in one transaction.
pub async fn rebuild_delivery_days(db: &Db) -> Result<(), platform::db::DbError> {
    let mut tx = db.begin().await?;
    tx.execute(sql("DELETE FROM office_delivery_day")).await?;
    tx.execute(sql("INSERT INTO office_delivery_day (unit_id, day, received, signed, signed_seconds) \
         SELECT unit_id, sent_at - ((sent_at + 28800) % 86400), COUNT(*), \
         SUM(CASE WHEN state = 'signed' THEN 1 ELSE 0 END), \
         COALESCE(SUM(CASE WHEN state = 'signed' THEN signed_at - sent_at ELSE 0 END), 0) \
         FROM office_delivery GROUP BY unit_id, sent_at - ((sent_at + 28800) % 86400)"))
        .await?;
    tx.commit().await
}

/// Statistics per unit for a period: documents sent, deliveries received, signed, mean hours to
/// sign, and deliveries still waiting past their time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnitStats {
    pub unit_id: i64,
    pub unit: String,
    pub sent: i64,
    pub received: i64,
    pub signed: i64,
    pub mean_hours: Option<f64>,
    pub overdue: i64,
}

pub async fn stats(state: &AppState, from: i64, to: i64) -> Result<Vec<UnitStats>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Received {
        unit_id: i64,
        received: i64,
        signed: i64,
        signed_seconds: i64,
    }
    #[derive(sqlx::FromRow)]
    struct UnitCount {
        unit_id: i64,
        n: i64,
    }
    #[derive(sqlx::FromRow)]
    struct Sent {
        org_id: i64,
        n: i64,
    }
    let db = &state.db;
    let orgs = accounts::list_orgs(db).await?;
    // A year is a million deliveries: received and signed are read from the day counters, the
    // overdue ones counted by the database against each urgency's first day still in time.
    // Received and signed come from the per-day counters; a period starts and ends on Beijing
    // days (what the statistics forms ask for).
    let received: Vec<Received> = db
        .fetch_all(
            sql("SELECT unit_id, CAST(SUM(received) AS BIGINT) AS received, CAST(SUM(signed) AS BIGINT) AS signed, \
                 CAST(SUM(signed_seconds) AS BIGINT) AS signed_seconds \
                 FROM office_delivery_day WHERE day >= $1 AND day < $2 GROUP BY unit_id")
            .bind(domain::beijing_day(from))
            .bind(domain::beijing_day(to - 1) + 86_400),
        )
        .await?;
    // Overdue waiting deliveries: all those waiting in the period (counted from an index alone)
    // less those still in time — sent on or after their urgency's first day not yet overdue,
    // found on the working-day calendar; only the last few days' deliveries are read for that.
    let cal = platform::calendar::load(db).await?;
    let today = platform::calendar::today();
    let cutoff = |days: u32| {
        let first = domain::first_day_not_overdue(today, days, |d, n| cal.add_workdays(d, n));
        platform::parse_date(&platform::calendar::date_text(first)).unwrap_or(to)
    };
    let waiting: Vec<UnitCount> = db
        .fetch_all(
            sql("SELECT unit_id, COUNT(*) AS n FROM office_delivery WHERE state = 'pending' AND sent_at >= $1 AND sent_at < $2 GROUP BY unit_id")
                .bind(from)
                .bind(to),
        )
        .await?;
    let named: Vec<&str> = domain::URGENCY.iter().map(|(u, _)| *u).filter(|u| !u.is_empty()).collect();
    let cutoffs: Vec<i64> = named.iter().map(|u| cutoff(domain::sign_for_days(u))).collect();
    let ordinary = cutoff(domain::sign_for_days(""));
    let earliest = cutoffs.iter().copied().chain([ordinary]).min().unwrap_or(to).max(from);
    let mut q =
        sql("SELECT x.unit_id, COUNT(*) AS n FROM office_delivery x JOIN office_document d ON d.id = x.document_id \
                     WHERE x.state = 'pending' AND x.sent_at >= ")
        .push_bind(earliest)
        .push(" AND x.sent_at < ")
        .push_bind(to)
        .push(" AND (");
    for (u, c) in named.iter().zip(&cutoffs) {
        q = q.push("(d.urgency = ").push_bind(*u).push(" AND x.sent_at >= ").push_bind(*c).push(") OR ");
    }
    q = q.push("(d.urgency NOT IN (");
    for (i, u) in named.iter().enumerate() {
        q = q.push(if i == 0 { "" } else { ", " }).push_bind(*u);
    }
    q = q.push(") AND x.sent_at >= ").push_bind(ordinary).push(")) GROUP BY x.unit_id");
    let in_time: std::collections::HashMap<i64, i64> =
        db.fetch_all::<UnitCount>(q).await?.into_iter().map(|o| (o.unit_id, o.n)).collect();
    let sent: Vec<Sent> = db
        .fetch_all(sql("SELECT org_id, COUNT(*) AS n FROM office_document WHERE sent_at >= $1 AND sent_at < $2 GROUP BY org_id").bind(from).bind(to))
        .await?;
    let mut by_unit: std::collections::BTreeMap<i64, UnitStats> = std::collections::BTreeMap::new();
    fn row<'a>(m: &'a mut std::collections::BTreeMap<i64, UnitStats>, orgs: &[OrgUnit], id: i64) -> &'a mut UnitStats {
        m.entry(id).or_insert_with(|| UnitStats {
            unit_id: id,
            unit: orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default(),
            ..UnitStats::default()
        })
    }
    for s in &sent {
        row(&mut by_unit, &orgs, s.org_id).sent = s.n;
    }
    for r in &received {
        let u = row(&mut by_unit, &orgs, r.unit_id);
        u.received = r.received;
        u.signed = r.signed;
        u.mean_hours = domain::SignForTimes { signed: r.signed, total_seconds: r.signed_seconds }.mean_hours();
    }
    for w in &waiting {
        let overdue = w.n - in_time.get(&w.unit_id).copied().unwrap_or(0);
        if overdue > 0 {
            row(&mut by_unit, &orgs, w.unit_id).overdue = overdue;
        }
    }
    Ok(by_unit.into_values().collect())
}

//! Online interviews and hearings (在线访谈, 网上听政): the announcement with guests and time,
//! questions from the public collected before and during the event and approved by a moderator,
//! the host's, guests' and hearing participants' messages, edits and withdrawals — each a change
//! to the live stream ([`crate::live`]), staff messages with a photo (图文直播) — and the recap
//! after the event.

use platform::accounts::{self, OrgUnit};
use platform::db::{Db, Exec, Scalar, sql};
use platform::roles::Perm;
use platform::web::error::FieldError;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Flow, Transition};
use serde::{Deserialize, Serialize};

use crate::domain::{IKind, IState, MState, Speaker};
use crate::{Participation, live};

pub static FLOW: Flow = Flow { name: "interview", table: "interview", versioned: false };

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Interview {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub title: String,
    pub intro: String,
    pub guests: String,
    pub starts_at: i64,
    pub state: String,
    pub recap: String,
    pub video_url: String,
    pub rev: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Interview);

/// A guest on the announcement, or a hearing's registered participant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Guest {
    pub name: String,
    #[serde(default)]
    pub post: String,
    /// `guest` 嘉宾 or `participant` 听政陈述人
    #[serde(default = "guest_role")]
    pub role: String,
}

fn guest_role() -> String {
    "guest".to_owned()
}

impl Interview {
    pub fn state(&self) -> IState {
        IState::parse(&self.state).unwrap_or(IState::Draft)
    }

    pub fn kind(&self) -> IKind {
        IKind::parse(&self.kind).unwrap_or(IKind::Interview)
    }

    pub fn guest_list(&self) -> Vec<Guest> {
        serde_json::from_str(&self.guests).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Message {
    pub id: i64,
    pub interview_id: i64,
    pub rev: i64,
    pub shown_rev: Option<i64>,
    pub speaker: String,
    pub name: String,
    pub body: String,
    /// The photo posted with a staff message: `<sha256>.<ext>` in [`PHOTO_AREA`], or empty.
    pub photo: String,
    /// What the photo shows, for screen readers (required with a photo).
    pub photo_alt: String,
    pub reply_to: Option<i64>,
    pub state: String,
    #[serde(skip)]
    #[sqlx(try_from = "String")]
    pub contact: platform::sealed::Sealed,
    #[serde(skip)]
    pub ip: String,
    pub followup: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Message);

impl Message {
    fn is_public(&self) -> bool {
        self.speaker == Speaker::Public.code()
    }

    /// The name the public reads: staff and participants by name, citizens masked (网友 when
    /// they gave none).
    pub fn public_name(&self) -> String {
        if self.is_public() {
            if self.name.trim().is_empty() { "网友".to_owned() } else { platform::privacy::mask_name(&self.name) }
        } else {
            self.name.clone()
        }
    }

    /// The text the public reads: a citizen's with personal data redacted.
    pub fn public_body(&self) -> String {
        if self.is_public() { platform::privacy::redact(&self.body, &[&self.name]) } else { self.body.clone() }
    }
}

pub const SEALED_MESSAGE: platform::sealed::SealedColumns =
    platform::sealed::SealedColumns { table: "interview_message", columns: &["contact"], hashes: &[] };

const COLS: &str = "id, interview_id, rev, shown_rev, speaker, name, body, photo, photo_alt, reply_to, state, contact, ip, followup, created_at, updated_at";

pub async fn get(db: &Db, id: i64) -> Result<Interview, AppError> {
    db.fetch_optional(sql("SELECT * FROM interview WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

/// Interviews, newest first; `public` keeps those announced or later.
pub async fn list(db: &Db, public: bool, orgs: Option<&[i64]>, limit: i64) -> Result<Vec<Interview>, AppError> {
    let mut q = sql("SELECT * FROM interview WHERE 1 = 1");
    if public {
        q = q.push(" AND state <> 'draft'");
    }
    q = q.and_within("org_id", orgs).push(" ORDER BY starts_at DESC, id DESC LIMIT ").push_bind(limit);
    Ok(db.fetch_all(q).await?)
}

/// The messages changed after revision `rev`, in revision order.
pub async fn messages_since(db: &Db, id: i64, rev: i64) -> Result<Vec<Message>, platform::db::DbError> {
    db.fetch_all(
        sql(format!("SELECT {COLS} FROM interview_message WHERE interview_id = $1 AND rev > $2 ORDER BY rev"))
            .bind(id)
            .bind(rev),
    )
    .await
}

/// The stream as the public reads it: shown messages in the order they were first shown.
pub async fn shown(db: &Db, id: i64) -> Result<Vec<Message>, AppError> {
    Ok(db
        .fetch_all(
            sql(format!(
                "SELECT {COLS} FROM interview_message WHERE interview_id = $1 AND state = 'shown' ORDER BY shown_rev, id"
            ))
            .bind(id),
        )
        .await?)
}

/// Every message (the moderator's console), newest first.
pub async fn all_messages(db: &Db, id: i64) -> Result<Vec<Message>, AppError> {
    Ok(db
        .fetch_all(
            sql(format!("SELECT {COLS} FROM interview_message WHERE interview_id = $1 ORDER BY id DESC")).bind(id),
        )
        .await?)
}

pub async fn message(db: &Db, id: i64) -> Result<Message, AppError> {
    db.fetch_optional(sql(format!("SELECT {COLS} FROM interview_message WHERE id = $1")).bind(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// The announcement as staff write it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["org", "title", "starts_at"]))]
pub struct InterviewInput {
    /// 主办单位（机构代码）
    #[serde(default)]
    pub org: String,
    /// interview 在线访谈、hearing 网上听政 或 coverage 活动直播
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub title: String,
    /// 访谈简介（主题、背景）
    #[serde(default)]
    pub intro: String,
    /// 嘉宾，每行一位：姓名，职务
    #[serde(default)]
    pub guests: String,
    /// 听政陈述人，每行一位：姓名，身份
    #[serde(default)]
    pub participants: String,
    /// 开始时间 YYYY-MM-DD HH:MM（北京时间）
    #[serde(default)]
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub starts_at: String,
    /// 访谈回顾（结束后的摘要）
    #[serde(default)]
    pub recap: String,
    /// 视频流地址（可选）：流媒体服务器的 HLS（.m3u8）、FLV 或 MP4 地址，页面用浏览器自带的播放器播放
    #[serde(default)]
    #[schemars(length(max = 500))]
    pub video_url: String,
}

impl InterviewInput {
    pub fn of(i: &Interview, orgs: &[OrgUnit]) -> InterviewInput {
        let lines = |role: &str| {
            i.guest_list()
                .iter()
                .filter(|g| g.role == role)
                .map(|g| format!("{}，{}", g.name, g.post))
                .collect::<Vec<_>>()
                .join("\n")
        };
        InterviewInput {
            org: orgs.iter().find(|o| o.id == i.org_id).map(|o| o.code.clone()).unwrap_or_default(),
            kind: i.kind.clone(),
            title: i.title.clone(),
            intro: i.intro.clone(),
            guests: lines("guest"),
            participants: lines("participant"),
            starts_at: platform::format_datetime(Some(i.starts_at)),
            recap: i.recap.clone(),
            video_url: i.video_url.clone(),
        }
    }
}

fn parse_people(text: &str, role: &str) -> Vec<Guest> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, post) = l.split_once(['，', ',', ' ', '\t']).unwrap_or((l, ""));
            Guest { name: name.trim().to_owned(), post: post.trim().to_owned(), role: role.to_owned() }
        })
        .collect()
}

struct Checked {
    org_id: i64,
    kind: IKind,
    starts_at: i64,
    guests: String,
}

async fn check(state: &AppState, auth: &Auth, input: &InterviewInput) -> Result<Checked, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut errs = Vec::new();
    let org = crate::check_owner_and_title(&orgs, &input.org, &input.title, "主办单位", &mut errs);
    let kind = IKind::parse(if input.kind.is_empty() { "interview" } else { &input.kind });
    if kind.is_none() {
        errs.push(FieldError::new("kind", "类型只能是在线访谈、网上听政或活动直播"));
    }
    let starts_at = platform::parse_datetime(&input.starts_at);
    if starts_at.is_none() {
        errs.push(FieldError::new("starts_at", "请按“2026-12-18 09:30”的格式填写开始时间"));
    }
    let mut people = parse_people(&input.guests, "guest");
    people.extend(parse_people(&input.participants, "participant"));
    if kind != Some(IKind::Coverage) && people.iter().all(|g| g.role != "guest") {
        errs.push(FieldError::new("guests", "请至少填写一位嘉宾（每行一位：姓名，职务）"));
    }
    if let Err(m) = crate::domain::check_video_url(&input.video_url) {
        errs.push(FieldError::new("video_url", m));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let (Some(org), Some(kind), Some(starts_at)) = (org, kind, starts_at) else {
        return Err(AppError::BadRequest("表单不完整".into()));
    };
    auth.require(Perm::ParticipationEdit, &accounts::org_scope(&orgs, org.id))?;
    Ok(Checked { org_id: org.id, kind, starts_at, guests: serde_json::to_string(&people).unwrap_or_default() })
}

pub async fn create(state: &AppState, ctx: &Ctx, auth: &Auth, input: &InterviewInput) -> Result<i64, AppError> {
    let c = check(state, auth, input).await?;
    let now = platform::db::now();
    let mut tx = state.db.begin().await?;
    let id = tx
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO interview (org_id, kind, title, intro, guests, starts_at, state, recap, created_by, created_at, updated_at, video_url) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $9, $10) RETURNING id")
            .bind(c.org_id)
            .bind(c.kind.code())
            .bind(input.title.trim())
            .bind(input.intro.trim())
            .bind(c.guests)
            .bind(c.starts_at)
            .bind(input.recap.trim())
            .bind(&auth.user.display_name)
            .bind(now)
            .bind(input.video_url.trim()),
        )
        .await?
        .0;
    let t = Transition {
        action: "create",
        from: "",
        to: "draft",
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: "",
    };
    workflow::record(&mut tx, &FLOW, id, &t, now).await?;
    tx.commit().await?;
    state.audit(ctx, "participation.interview.create", &format!("interview:{id}"), "success", input.title.trim()).await;
    Ok(id)
}

pub async fn update(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &InterviewInput) -> Result<(), AppError> {
    let old = get(&state.db, id).await?;
    require_edit(state, auth, &old).await?;
    let c = check(state, auth, input).await?;
    state
        .db
        .execute(
            sql("UPDATE interview SET org_id = $1, kind = $2, title = $3, intro = $4, guests = $5, starts_at = $6, recap = $7, updated_at = $8, video_url = $10 WHERE id = $9")
                .bind(c.org_id)
                .bind(c.kind.code())
                .bind(input.title.trim())
                .bind(input.intro.trim())
                .bind(c.guests)
                .bind(c.starts_at)
                .bind(input.recap.trim())
                .bind(platform::db::now())
                .bind(id)
                .bind(input.video_url.trim()),
        )
        .await?;
    state.audit(ctx, "participation.interview.edit", &format!("interview:{id}"), "success", input.title.trim()).await;
    Ok(())
}

pub async fn require_edit(state: &AppState, auth: &Auth, i: &Interview) -> Result<(), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    auth.require(Perm::ParticipationEdit, &accounts::org_scope(&orgs, i.org_id))
}

/// 发布预告, 开始直播, 结束直播.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    px: &Participation,
    auth: &Auth,
    id: i64,
    action: &str,
) -> Result<IState, AppError> {
    let i = get(&state.db, id).await?;
    require_edit(state, auth, &i).await?;
    let from = i.state();
    let Some((_, label, to)) = from.next().filter(|(code, _, _)| *code == action) else {
        return Err(AppError::Conflict(format!("“{}”状态的访谈不能执行此操作", from.label())));
    };
    let t = Transition {
        action,
        from: from.code(),
        to: to.code(),
        step: 0,
        actor: &auth.user.display_name,
        actor_id: Some(auth.user.id),
        comment: label,
    };
    let notice = match to {
        IState::Live => Some("访谈开始"),
        IState::Ended => Some("访谈结束，感谢各位网友的关注和参与"),
        _ => None,
    };
    let mut change = Change::new(&FLOW, id, 0, t);
    if let Some(text) = notice {
        change = change.also(bump(id)).also(NewMessage::staff(Speaker::Notice, "", text).insert(id));
    }
    for q in notify(&state.db, id) {
        change = change.also(q);
    }
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("访谈状态已被他人更改，请刷新后重试".into()));
    }
    px.hub.wake(&state.db, id).await;
    state.audit(ctx, &format!("participation.interview.{action}"), &format!("interview:{id}"), "success", label).await;
    Ok(to)
}

/// Raises the interview's revision (the row lock orders concurrent writers).
fn bump(id: i64) -> platform::db::Q {
    sql("UPDATE interview SET rev = rev + 1 WHERE id = $1").bind(id)
}

/// Tells the other nodes (PostgreSQL; delivered at commit).
fn notify(db: &Db, id: i64) -> Vec<platform::db::Q> {
    match db {
        Db::Postgres(_) => vec![sql("SELECT pg_notify($1, $2)").bind(live::NOTIFY_CHANNEL).bind(id.to_string())],
        Db::Sqlite(_) => Vec::new(),
    }
}

/// A message to add to the stream.
struct NewMessage<'a> {
    speaker: Speaker,
    name: &'a str,
    body: &'a str,
    photo: &'a str,
    photo_alt: &'a str,
    reply_to: Option<i64>,
    state: MState,
    /// A citizen's contact (sealed when stored) and address, for questions.
    contact: &'a str,
    ip: &'a str,
    followup: bool,
}

impl<'a> NewMessage<'a> {
    /// A message staff post, shown at once.
    fn staff(speaker: Speaker, name: &'a str, body: &'a str) -> NewMessage<'a> {
        NewMessage {
            speaker,
            name,
            body,
            photo: "",
            photo_alt: "",
            reply_to: None,
            state: MState::Shown,
            contact: "",
            ip: "",
            followup: false,
        }
    }

    fn insert(&self, id: i64) -> platform::db::Q {
        let shown = if self.state == MState::Shown { "(SELECT rev FROM interview WHERE id = $1)" } else { "NULL" };
        let contact = self.contact.trim();
        sql(format!(
            "INSERT INTO interview_message (interview_id, rev, shown_rev, speaker, name, body, photo, photo_alt, reply_to, state, contact, ip, followup, created_at, updated_at) \
             VALUES ($1, (SELECT rev FROM interview WHERE id = $1), {shown}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
        ))
        .bind(id)
        .bind(self.speaker.code())
        .bind(self.name.trim())
        .bind(self.body.trim())
        .bind(self.photo)
        .bind(self.photo_alt.trim())
        .bind(self.reply_to)
        .bind(self.state.code())
        .bind(if contact.is_empty() { String::new() } else { platform::sealed::seal(contact) })
        .bind(self.ip)
        .bind(self.followup)
        .bind(platform::db::now())
    }
}

/// Runs statements as one change to the stream: the revision raised first, then the writes, the
/// notice to other nodes; this node's viewers are woken after commit.
async fn change_stream(
    state: &AppState,
    px: &Participation,
    id: i64,
    writes: Vec<platform::db::Q>,
) -> Result<(), AppError> {
    let mut tx = state.db.begin().await?;
    tx.execute(bump(id)).await?;
    for q in writes.into_iter().chain(notify(&state.db, id)) {
        tx.execute(q).await?;
    }
    tx.commit().await?;
    px.hub.wake(&state.db, id).await;
    Ok(())
}

/// What staff post in the stream.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["speaker", "body"]))]
pub struct PostInput {
    /// host 主持人、guest 嘉宾、participant 听政陈述人、notice 公告
    #[serde(default)]
    pub speaker: String,
    /// 发言人姓名（嘉宾、陈述人）
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    #[schemars(length(max = 5000))]
    pub body: String,
    /// 所答网友提问的编号
    #[serde(default, deserialize_with = "platform::web::extract::opt_i64")]
    pub reply_to: Option<i64>,
}

/// Photos posted in the stream: JPEG or PNG up to 8 MB (a phone's photo), checked by their
/// leading bytes.
pub const PHOTO_RULES: platform::intake::UploadRules = platform::intake::UploadRules {
    types: platform::intake::PHOTOS,
    max_bytes: 8 << 20,
    max_count: 1,
    max_total_bytes: 8 << 20,
};

/// The file area where stream photos are kept.
pub const PHOTO_AREA: &str = "interview";

/// A photo to post with a message: the uploaded file and what it shows.
pub struct PhotoUpload<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub alt: &'a str,
}

pub async fn post(
    state: &AppState,
    ctx: &Ctx,
    px: &Participation,
    auth: &Auth,
    id: i64,
    input: &PostInput,
    photo: Option<PhotoUpload<'_>>,
) -> Result<(), AppError> {
    let i = get(&state.db, id).await?;
    require_edit(state, auth, &i).await?;
    if i.state() == IState::Draft {
        return Err(AppError::Conflict("请先发布预告".into()));
    }
    let mut errs = Vec::new();
    let speaker = Speaker::parse(&input.speaker).filter(|s| *s != Speaker::Public);
    if speaker.is_none() {
        errs.push(FieldError::new("speaker", "请选择发言人身份"));
    }
    let body = input.body.trim();
    if (body.is_empty() && photo.is_none()) || body.chars().count() > 5000 {
        errs.push(FieldError::new("body", "请填写发言内容（5000 字以内；发图片时可不填）"));
    }
    let mut photo_ext = "";
    if let Some(p) = &photo {
        match PHOTO_RULES.check(p.file_name, p.bytes) {
            Ok(mime) => photo_ext = if mime == "image/png" { "png" } else { "jpg" },
            Err(e) => errs.push(FieldError::new("photo", e.replace("附件", "图片"))),
        }
        let alt = p.alt.trim().chars().count();
        if alt == 0 || alt > 200 {
            errs.push(FieldError::new("photo_alt", "请用一句话说明图片内容（200 字以内），供视障网友的读屏软件朗读"));
        }
    }
    if let Some(q) = input.reply_to {
        let ok = message(&state.db, q).await.is_ok_and(|m| m.interview_id == id && m.speaker == "public");
        if !ok {
            errs.push(FieldError::new("reply_to", "所答的提问不存在"));
        }
    }
    let followup = i.state() == IState::Ended;
    if followup && input.reply_to.is_none() {
        errs.push(FieldError::new("reply_to", "访谈结束后只能补充答复网友的提问"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let speaker = speaker.unwrap_or(Speaker::Notice);
    let name =
        if input.name.trim().is_empty() && speaker == Speaker::Host { &auth.user.display_name } else { &input.name };
    // The photo is kept by its hash before the change: if the change then fails, the file is
    // only an unreferenced copy, never a message pointing at nothing.
    let kept = match &photo {
        Some(p) => platform::blobs::keep(&state.config.data_dir, PHOTO_AREA, p.bytes, photo_ext)
            .map(|sha| format!("{sha}.{photo_ext}"))
            .map_err(|e| AppError::Internal(format!("图片保存失败: {e}")))?,
        None => String::new(),
    };
    let msg = NewMessage {
        photo: &kept,
        photo_alt: photo.as_ref().map_or("", |p| p.alt),
        reply_to: input.reply_to,
        followup,
        ..NewMessage::staff(speaker, name, body)
    };
    let mut writes = vec![msg.insert(id)];
    // Answering a pending question shows it.
    if let Some(q) = input.reply_to {
        writes.insert(0, show_q(q));
    }
    change_stream(state, px, id, writes).await?;
    let detail =
        if kept.is_empty() { speaker.label().to_owned() } else { format!("{}（附图片）", speaker.label()) };
    state.audit(ctx, "participation.interview.post", &format!("interview:{id}"), "success", detail).await;
    Ok(())
}

fn show_q(mid: i64) -> platform::db::Q {
    sql("UPDATE interview_message SET state = 'shown', shown_rev = COALESCE(shown_rev, (SELECT rev FROM interview WHERE id = interview_message.interview_id)), \
         rev = (SELECT rev FROM interview WHERE id = interview_message.interview_id), updated_at = $2 WHERE id = $1 AND state = 'pending'")
    .bind(mid)
    .bind(platform::db::now())
}

/// A moderator's decision on a message.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["decision"]))]
pub struct ModerateInput {
    /// approve 采用（显示）、reject 不采用、delete 撤回已显示的消息、edit 修改文字
    #[serde(default)]
    #[schemars(regex(pattern = "^(approve|reject|delete|edit)$"))]
    pub decision: String,
    /// edit 时的新文字
    #[serde(default)]
    pub body: String,
}

pub async fn moderate(
    state: &AppState,
    ctx: &Ctx,
    px: &Participation,
    auth: &Auth,
    mid: i64,
    input: &ModerateInput,
) -> Result<(), AppError> {
    let m = message(&state.db, mid).await?;
    let i = get(&state.db, m.interview_id).await?;
    require_edit(state, auth, &i).await?;
    let now = platform::db::now();
    let rev = "(SELECT rev FROM interview WHERE id = interview_message.interview_id)";
    let q = match (input.decision.as_str(), m.state.as_str()) {
        ("approve", "pending") => show_q(mid),
        ("reject", "pending") => {
            sql(format!("UPDATE interview_message SET state = 'rejected', rev = {rev}, updated_at = $2 WHERE id = $1"))
                .bind(mid)
                .bind(now)
        }
        ("delete", "shown") => {
            sql(format!("UPDATE interview_message SET state = 'deleted', rev = {rev}, updated_at = $2 WHERE id = $1"))
                .bind(mid)
                .bind(now)
        }
        ("edit", "shown" | "pending") => {
            let body = input.body.trim();
            if (body.is_empty() && m.photo.is_empty()) || body.chars().count() > 5000 {
                return Err(AppError::Invalid(vec![FieldError::new("body", "请填写修改后的文字（5000 字以内）")]));
            }
            sql(format!("UPDATE interview_message SET body = $3, rev = {rev}, updated_at = $2 WHERE id = $1"))
                .bind(mid)
                .bind(now)
                .bind(body)
        }
        ("approve" | "reject" | "delete" | "edit", _) => {
            return Err(AppError::Conflict("这条消息的状态已经改变，请刷新后重试".into()));
        }
        _ => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "decision",
                "操作只能是 approve、reject、delete 或 edit",
            )]));
        }
    };
    change_stream(state, px, i.id, vec![q]).await?;
    state
        .audit(
            ctx,
            "participation.interview.moderate",
            &format!("interview_message:{mid}"),
            "success",
            input.decision.clone(),
        )
        .await;
    Ok(())
}

/// A citizen's question, before or during the event; it waits for the moderator.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AskInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub body: String,
}

pub const QUESTION_MAX: usize = 500;
/// Questions per address per hour.
pub const QUESTIONS_PER_HOUR: i64 = 10;

pub async fn ask(
    state: &AppState,
    px: &Participation,
    i: &Interview,
    input: &AskInput,
    ip: &str,
) -> Result<(), AppError> {
    if !i.state().takes_questions() {
        return Err(AppError::Conflict("本期访谈已结束，不再接受提问".into()));
    }
    let mut errs = Vec::new();
    let body = input.body.trim();
    if body.is_empty() {
        errs.push(FieldError::new("body", "请填写您的问题"));
    } else if body.chars().count() > QUESTION_MAX {
        errs.push(FieldError::new("body", format!("问题不能超过 {QUESTION_MAX} 字")));
    }
    if input.name.chars().count() > 30 {
        errs.push(FieldError::new("name", "称呼不能超过 30 字"));
    }
    if input.contact.chars().count() > 60 {
        errs.push(FieldError::new("contact", "联系方式不能超过 60 字"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let recent = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM interview_message WHERE ip = $1 AND created_at > $2")
                .bind(ip)
                .bind(platform::db::now() - 3600),
        )
        .await?;
    if recent >= QUESTIONS_PER_HOUR {
        return Err(AppError::TooManyRequests("提问太频繁了，请一小时后再试".into()));
    }
    let q = NewMessage {
        state: MState::Pending,
        contact: &input.contact,
        ip,
        ..NewMessage::staff(Speaker::Public, &input.name, body)
    }
    .insert(i.id);
    change_stream(state, px, i.id, vec![q]).await
}

/// Figures for a period: interviews held, questions from the public, questions answered.
pub async fn counts(db: &Db, from: i64, to: i64) -> Result<(i64, i64, i64), AppError> {
    let held = db
        .count(sql("SELECT COUNT(*) FROM interview WHERE state IN ('live', 'ended') AND starts_at >= $1 AND starts_at < $2").bind(from).bind(to))
        .await?;
    let asked = db
        .count(sql("SELECT COUNT(*) FROM interview_message WHERE speaker = 'public' AND created_at >= $1 AND created_at < $2").bind(from).bind(to))
        .await?;
    let answered = db
        .count(
            sql("SELECT COUNT(*) FROM interview_message q WHERE q.speaker = 'public' AND q.created_at >= $1 AND q.created_at < $2 \
                 AND EXISTS (SELECT 1 FROM interview_message a WHERE a.reply_to = q.id AND a.state = 'shown')")
            .bind(from)
            .bind(to),
        )
        .await?;
    Ok((held, asked, answered))
}

//! 机关效能评价窗口 (the public staff-evaluation window of seed 002): the units' staff who serve
//! the public, each with photo, post, duties and office phone; citizens rate them 满意 / 基本满意 /
//! 不满意 with an optional comment, without an account (captcha, a per-address daily limit, one
//! rating per browser per staff member per calendar month); ratings are premoderated, and only
//! published ones count. Moderation is a workflow transition (`staff_rating`: pending → published
//! | rejected) that moves the monthly tally in the same transaction, so statistics per unit and
//! staff member read counter rows, not every rating.
//!
//! Layout: `domain` (pure rules), this file (storage, rating, moderation, staff records and
//! photos, statistics), `public` (the citizen's pages under `/pingjia/`), `admin` (staff records,
//! the moderation queue and statistics in the back office), `api`, `demo`.

pub mod admin;
pub mod api;
pub mod demo;
pub mod domain;
pub mod public;

use std::collections::{BTreeMap, HashMap};

use platform::accounts::OrgUnit;
use platform::db::{Arg, Db, DbResult, Exec, Tx, sql};
use platform::module::BoxFuture;
use platform::roles::Perm;
use platform::sealed::lookup_hash;
use platform::web::{AppError, AppState, Auth, Ctx};
use platform::workflow::{self, Change, Contribution, Flow, Tally, TallySource, Transition};

use domain::{Counts, Rating, StaffInput, Verdict};

/// Ratings per client address per day (a service hall's shared network rates many staff).
pub const RATINGS_PER_ADDRESS_DAY: i64 = 30;

pub static FLOW: Flow = Flow { name: "staff_rating", table: "staff_rating", versioned: false };
pub static TALLY: Tally = Tally {
    table: "staff_rating_tally",
    keys: &["staff_id", "org_id", "month"],
    fields: &["satisfied", "basic", "unsatisfied"],
};

#[derive(Debug, Clone, Default, serde::Serialize, sqlx::FromRow)]
pub struct StaffMember {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub post: String,
    pub duties: String,
    pub office_phone: String,
    pub photo: String,
    pub sort_order: i64,
    pub active: bool,
}

impl StaffMember {
    pub fn input(&self) -> StaffInput {
        StaffInput {
            org_id: self.org_id,
            name: self.name.clone(),
            post: self.post.clone(),
            duties: self.duties.clone(),
            office_phone: self.office_phone.clone(),
            sort_order: self.sort_order,
            active: self.active,
        }
    }
}

/// A rating as stored. `voter` and `ip_hash` are keyed hashes and never leave this module.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct StoredRating {
    pub id: i64,
    pub staff_id: i64,
    pub org_id: i64,
    pub verdict: i64,
    pub comment: String,
    pub state: String,
    pub month: String,
    pub created_at: i64,
    pub moderated_by: String,
    pub moderated_at: Option<i64>,
    pub reason: String,
}

impl StoredRating {
    pub fn verdict_label(&self) -> &'static str {
        Verdict::from_code(self.verdict).map_or("", Verdict::label)
    }
}

/// The state a rating is in, in Chinese.
pub fn state_label(state: &str) -> &'static str {
    match state {
        "pending" => "待审核",
        "published" => "已采纳",
        "rejected" => "未采纳",
        _ => "",
    }
}

// --- staff records ---------------------------------------------------------------------------

const STAFF_COLUMNS: &str = "id, org_id, name, post, duties, office_phone, photo, sort_order, active";

pub async fn staff(db: &Db, id: i64) -> DbResult<Option<StaffMember>> {
    db.fetch_optional(sql(format!("SELECT {STAFF_COLUMNS} FROM rated_staff WHERE id = $1")).bind(id)).await
}

/// Staff names by id, for lists of ratings (one query for the page, not one per row).
pub async fn names(db: &Db, ids: impl IntoIterator<Item = i64>) -> DbResult<HashMap<i64, String>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> =
        db.fetch_all(sql("SELECT id, name FROM rated_staff WHERE id IN (").push_bind_list(ids).push(")")).await?;
    Ok(rows.into_iter().collect())
}

/// A unit's staff in display order (only those shown in the window when `active_only`).
pub async fn staff_of(db: &Db, org_id: i64, active_only: bool) -> DbResult<Vec<StaffMember>> {
    let q = sql(format!("SELECT {STAFF_COLUMNS} FROM rated_staff WHERE org_id = $1")).bind(org_id);
    let q = if active_only { q.push(" AND active = TRUE") } else { q };
    db.fetch_all(q.push(" ORDER BY sort_order, id")).await
}

/// Staff whose name or post contains `text` (the window's search), at most `limit`.
pub async fn find_staff(db: &Db, text: &str, limit: i64) -> DbResult<Vec<StaffMember>> {
    let like = format!("%{}%", text.replace(['%', '_'], ""));
    db.fetch_all(
        sql(format!(
            "SELECT {STAFF_COLUMNS} FROM rated_staff WHERE active = TRUE AND (name LIKE $1 OR post LIKE $1) \
             ORDER BY org_id, sort_order, id LIMIT $2"
        ))
        .bind(like)
        .bind(limit),
    )
    .await
}

/// The units `auth` manages staff and ratings of: `None` for a platform-wide grant.
pub fn managed_units(auth: &Auth, orgs: &[OrgUnit]) -> Option<Vec<i64>> {
    auth.units_with(Perm::Supervise, orgs)
}

fn require_unit(auth: &Auth, orgs: &[OrgUnit], org_id: i64) -> Result<(), AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    match managed_units(auth, orgs) {
        Some(units) if !units.contains(&org_id) => {
            Err(AppError::Forbidden("您只能管理本单位及下属单位的工作人员和评价".into()))
        }
        _ => Ok(()),
    }
}

/// Adds (`id` None) or changes a staff record.
pub async fn save_staff(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: Option<i64>,
    input: &StaffInput,
) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    if let Some(id) = id {
        let old = staff(&state.db, id).await?.ok_or(AppError::NotFound)?;
        require_unit(auth, &orgs, old.org_id)?;
    }
    let s = domain::check_staff(input).map_err(invalid)?;
    if !orgs.iter().any(|o| o.id == s.org_id) {
        return Err(AppError::invalid("org_id", "所选单位不存在"));
    }
    require_unit(auth, &orgs, s.org_id)?;
    let now = platform::db::now();
    let verb = if id.is_some() { "update" } else { "create" };
    let id = match id {
        Some(id) => {
            state
                .db
                .execute(
                    sql("UPDATE rated_staff SET org_id = $1, name = $2, post = $3, duties = $4, office_phone = $5, \
                         sort_order = $6, active = $7, updated_at = $8 WHERE id = $9")
                    .bind(s.org_id)
                    .bind(s.name.as_str())
                    .bind(s.post.as_str())
                    .bind(s.duties.as_str())
                    .bind(s.office_phone.as_str())
                    .bind(s.sort_order)
                    .bind(s.active)
                    .bind(now)
                    .bind(id),
                )
                .await?;
            id
        }
        None => insert_staff(&state.db, &s, now).await?,
    };
    state
        .audit(
            ctx,
            &format!("staff.{verb}"),
            &format!("rated_staff:{id}"),
            "success",
            format!("效能评价工作人员“{}”", s.name),
        )
        .await;
    Ok(id)
}

/// Field errors of the pure checks as the error every form and the API show.
pub fn invalid(errors: BTreeMap<String, String>) -> AppError {
    AppError::Invalid(errors.into_iter().map(|(field, message)| platform::web::FieldError { field, message }).collect())
}

pub async fn insert_staff(db: &Db, s: &StaffInput, now: i64) -> DbResult<i64> {
    let row: (i64,) = db
        .fetch_one(
            sql("INSERT INTO rated_staff (org_id, name, post, duties, office_phone, sort_order, active, created_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8) RETURNING id")
            .bind(s.org_id)
            .bind(s.name.as_str())
            .bind(s.post.as_str())
            .bind(s.duties.as_str())
            .bind(s.office_phone.as_str())
            .bind(s.sort_order)
            .bind(s.active)
            .bind(now),
        )
        .await?;
    Ok(row.0)
}

/// Photos: JPEG or PNG up to 2 MB, checked by their leading bytes.
pub const PHOTO_RULES: platform::intake::UploadRules = platform::intake::UploadRules {
    types: platform::intake::PHOTOS,
    max_bytes: 2 << 20,
    max_count: 1,
    max_total_bytes: 2 << 20,
};

/// Where photos are kept: `<data>/files/staff/<random>.<ext>`.
pub fn photo_dir(state: &AppState) -> std::path::PathBuf {
    state.config.data_dir.join("files").join("staff")
}

/// A stored photo's path, for a name this module made (`<hex>.jpg|png`), else `None`.
pub fn photo_path(state: &AppState, name: &str) -> Option<std::path::PathBuf> {
    let (stem, ext) = name.split_once('.')?;
    let ok = stem.len() >= 16
        && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && matches!(ext, "jpg" | "jpeg" | "png");
    ok.then(|| photo_dir(state).join(name))
}

/// Replaces a staff member's photo.
pub async fn set_photo(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<(), AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    let s = staff(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    require_unit(auth, &orgs, s.org_id)?;
    PHOTO_RULES.check(file_name, bytes).map_err(|e| AppError::invalid("photo", e.replace("附件", "照片")))?;
    let ext = if bytes.starts_with(b"\x89PNG") { "png" } else { "jpg" };
    let name = format!("{}.{ext}", platform::security::random_token(16));
    let dir = photo_dir(state);
    let io = |e: std::io::Error| AppError::Internal(format!("照片保存失败: {e}"));
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    let tmp = dir.join(format!("{name}.part"));
    tokio::fs::write(&tmp, bytes).await.map_err(io)?;
    tokio::fs::rename(&tmp, dir.join(&name)).await.map_err(io)?;
    state
        .db
        .execute(
            sql("UPDATE rated_staff SET photo = $1, updated_at = $2 WHERE id = $3")
                .bind(name.as_str())
                .bind(platform::db::now())
                .bind(id),
        )
        .await?;
    if let Some(old) = photo_path(state, &s.photo) {
        let _ = tokio::fs::remove_file(old).await;
    }
    state.audit(ctx, "staff.update", &format!("rated_staff:{id}"), "success", format!("更换“{}”的照片", s.name)).await;
    Ok(())
}

// --- rating ----------------------------------------------------------------------------------

/// What the citizen is told after rating.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rated {
    pub staff_id: i64,
    pub staff_name: String,
    pub verdict: String,
}

/// Files one rating (pending moderation). Refused when this browser has rated the staff member
/// this month or the address has rated too often today.
pub async fn rate(
    state: &AppState,
    s: &StaffMember,
    rating: &Rating,
    voter: &str,
    client: &str,
) -> Result<Rated, AppError> {
    if !s.active {
        return Err(AppError::NotFound);
    }
    let now = platform::db::now();
    let from = lookup_hash(client);
    let today = state
        .db
        .count(
            sql("SELECT COUNT(*) FROM staff_rating WHERE ip_hash = $1 AND created_at > $2")
                .bind(from.as_str())
                .bind(now - 86_400),
        )
        .await?;
    if today >= RATINGS_PER_ADDRESS_DAY {
        return Err(AppError::TooManyRequests("同一网络地址今天提交的评价已达上限，请明天再试".into()));
    }
    let month = domain::month_of(now);
    let mut tx = state.db.begin().await?;
    let inserted: DbResult<(i64,)> = tx
        .fetch_one(
            sql("INSERT INTO staff_rating (staff_id, org_id, verdict, comment, state, month, voter, ip_hash, created_at) \
                 VALUES ($1,$2,$3,$4,'pending',$5,$6,$7,$8) RETURNING id")
            .bind(s.id)
            .bind(s.org_id)
            .bind(rating.verdict.code())
            .bind(rating.comment.as_str())
            .bind(month.as_str())
            .bind(voter)
            .bind(from.as_str())
            .bind(now),
        )
        .await;
    let id = match inserted {
        Ok((id,)) => id,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Conflict(format!("您本月已评价过{}，下个月可以再次评价", s.name)));
        }
        Err(e) => return Err(e.into()),
    };
    let t = Transition {
        action: "submit",
        from: "",
        to: "pending",
        step: 0,
        actor: "评价人",
        actor_id: None,
        comment: rating.verdict.label(),
    };
    workflow::record(&mut tx, &FLOW, id, &t, now).await?;
    tx.commit().await?;
    Ok(Rated { staff_id: s.id, staff_name: s.name.clone(), verdict: rating.verdict.label().to_owned() })
}

/// A rating's contribution to the monthly tally: its verdict once published, nothing otherwise.
struct Source;

impl TallySource for Source {
    fn tally(&self) -> &'static Tally {
        &TALLY
    }
    fn contribution<'a>(&'a self, tx: &'a mut Tx, id: i64) -> BoxFuture<'a, DbResult<Option<Contribution>>> {
        Box::pin(async move {
            let row: Option<(i64, i64, String, i64, String)> = tx
                .fetch_optional(
                    sql("SELECT staff_id, org_id, month, verdict, state FROM staff_rating WHERE id = $1").bind(id),
                )
                .await?;
            Ok(row.map(|(staff_id, org_id, month, verdict, state)| {
                let c = match Verdict::from_code(verdict) {
                    Some(v) if state == "published" => Counts::of(v),
                    _ => Counts::default(),
                };
                (
                    vec![Arg::Int(staff_id), Arg::Int(org_id), Arg::from(month)],
                    vec![c.satisfied, c.basic, c.unsatisfied],
                )
            }))
        })
    }
}

pub async fn rating(db: &Db, id: i64) -> DbResult<Option<StoredRating>> {
    db.fetch_optional(
        sql("SELECT id, staff_id, org_id, verdict, comment, state, month, created_at, moderated_by, moderated_at, reason \
             FROM staff_rating WHERE id = $1")
        .bind(id),
    )
    .await
}

/// 采纳 (`publish`) or 不予采纳 a pending rating; a refusal needs its reason.
pub async fn moderate(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    publish: bool,
    reason: &str,
) -> Result<(), AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    let r = rating(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    require_unit(auth, &orgs, r.org_id)?;
    let reason = reason.trim();
    if !publish && reason.is_empty() {
        return Err(AppError::invalid("reason", "不予采纳时请填写原因（如：含有辱骂、广告或与评价对象无关）"));
    }
    if r.state != "pending" {
        return Err(AppError::Conflict(format!("这条评价已经处理过了（{}）", state_label(&r.state))));
    }
    let (action, to) = if publish { ("publish", "published") } else { ("reject", "rejected") };
    let change = Change::new(
        &FLOW,
        id,
        0,
        Transition {
            action,
            from: "pending",
            to,
            step: 0,
            actor: &auth.user.display_name,
            actor_id: Some(auth.user.id),
            comment: reason,
        },
    )
    .set("moderated_by", auth.user.display_name.as_str())
    .set("moderated_at", platform::db::now())
    .set("reason", reason)
    .tallied(&Source);
    if !workflow::apply(state, change).await? {
        return Err(AppError::Conflict("这条评价刚被其他人处理过，请刷新后查看".into()));
    }
    state
        .audit(
            ctx,
            &format!("staff_rating.{action}"),
            &format!("staff_rating:{id}"),
            "success",
            format!("{}评价（{}）", if publish { "采纳" } else { "不予采纳" }, r.verdict_label()),
        )
        .await;
    Ok(())
}

/// How many ratings of the units `units` wait for moderation (all units for `None`).
pub async fn pending_count(db: &Db, units: Option<&[i64]>) -> DbResult<i64> {
    db.count(sql("SELECT COUNT(*) FROM staff_rating WHERE state = 'pending'").and_within("org_id", units)).await
}

/// 采纳 every pending rating without a comment in the units `auth` manages: a verdict alone
/// carries no words to check, so a moderator need not open each one. Each goes through the same
/// transition as one by one (event and tally); returns how many were published.
pub async fn publish_plain(state: &AppState, ctx: &Ctx, auth: &Auth) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::Supervise)?;
    let orgs = platform::accounts::list_orgs(&state.db).await?;
    let units = managed_units(auth, &orgs);
    let ids: Vec<(i64,)> = state
        .db
        .fetch_all(
            sql("SELECT id FROM staff_rating WHERE state = 'pending' AND comment = ''")
                .and_within("org_id", units.as_deref())
                .push(" ORDER BY id"),
        )
        .await?;
    let mut published = 0;
    let now = platform::db::now();
    for (id,) in ids {
        let change = Change::new(
            &FLOW,
            id,
            0,
            Transition {
                action: "publish",
                from: "pending",
                to: "published",
                step: 0,
                actor: &auth.user.display_name,
                actor_id: Some(auth.user.id),
                comment: "批量采纳无文字意见的评价",
            },
        )
        .set("moderated_by", auth.user.display_name.as_str())
        .set("moderated_at", now)
        .tallied(&Source);
        if workflow::apply(state, change).await? {
            published += 1;
        }
    }
    state
        .audit(
            ctx,
            "staff_rating.publish",
            "staff_rating",
            "success",
            format!("批量采纳无文字意见的评价 {published} 条"),
        )
        .await;
    Ok(published)
}

/// Pending ratings of the units `units` (all for `None`), oldest first.
pub async fn queue(db: &Db, units: Option<&[i64]>, limit: i64) -> DbResult<Vec<StoredRating>> {
    db.fetch_all(
        sql("SELECT id, staff_id, org_id, verdict, comment, state, month, created_at, moderated_by, moderated_at, reason \
             FROM staff_rating WHERE state = 'pending'")
        .and_within("org_id", units)
        .push(" ORDER BY id LIMIT ")
        .push_bind(limit),
    )
    .await
}

/// A staff member's latest published ratings that carry a comment.
pub async fn published_comments(db: &Db, staff_id: i64, limit: i64) -> DbResult<Vec<StoredRating>> {
    db.fetch_all(
        sql("SELECT id, staff_id, org_id, verdict, comment, state, month, created_at, moderated_by, moderated_at, reason \
             FROM staff_rating WHERE staff_id = $1 AND state = 'published' AND comment <> '' ORDER BY created_at DESC, id DESC LIMIT $2")
        .bind(staff_id)
        .bind(limit),
    )
    .await
}

// --- statistics ------------------------------------------------------------------------------

/// A period of whole months, `from` and `to` as `YYYY-MM` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Months {
    pub from: String,
    pub to: String,
}

impl Months {
    /// January to December of a year.
    pub fn year(year: i32) -> Months {
        Months { from: format!("{year:04}-01"), to: format!("{year:04}-12") }
    }
    pub fn this_year() -> Months {
        Months::year(platform::calendar::today().year())
    }
}

/// Published ratings in the tally over `months`, grouped by `by` and kept to rows whose
/// `within.0` equals `within.1` when given (column names come from this module's code).
async fn tally_by<K>(db: &Db, by: &str, within: Option<(&str, i64)>, months: &Months) -> DbResult<Vec<(K, Counts)>>
where
    (K, i64, i64, i64): platform::db::Row,
{
    let mut q = sql(format!(
        "SELECT {by}, CAST(SUM(satisfied) AS BIGINT), CAST(SUM(basic) AS BIGINT), CAST(SUM(unsatisfied) AS BIGINT) \
         FROM staff_rating_tally WHERE month >= $1 AND month <= $2"
    ))
    .bind(months.from.as_str())
    .bind(months.to.as_str());
    if let Some((column, value)) = within {
        q = q.push(&format!(" AND {column} = ")).push_bind(value);
    }
    let rows: Vec<(K, i64, i64, i64)> = db.fetch_all(q.push(&format!(" GROUP BY {by}"))).await?;
    Ok(rows
        .into_iter()
        .map(|(k, satisfied, basic, unsatisfied)| (k, Counts { satisfied, basic, unsatisfied }))
        .collect())
}

/// Published ratings per unit over `months`.
pub async fn counts_by_unit(db: &Db, months: &Months) -> DbResult<HashMap<i64, Counts>> {
    Ok(tally_by(db, "org_id", None, months).await?.into_iter().collect())
}

/// Published ratings per staff member of one unit over `months`.
pub async fn counts_by_staff(db: &Db, org_id: i64, months: &Months) -> DbResult<HashMap<i64, Counts>> {
    Ok(tally_by(db, "staff_id", Some(("org_id", org_id)), months).await?.into_iter().collect())
}

/// One staff member's published ratings per month over `months` (oldest first).
pub async fn counts_by_month(db: &Db, staff_id: i64, months: &Months) -> DbResult<BTreeMap<String, Counts>> {
    Ok(tally_by(db, "month", Some(("staff_id", staff_id)), months).await?.into_iter().collect())
}

/// Staff shown in the window per unit.
pub async fn staff_counts(db: &Db) -> DbResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> =
        db.fetch_all(sql("SELECT org_id, COUNT(*) FROM rated_staff WHERE active = TRUE GROUP BY org_id")).await?;
    Ok(rows.into_iter().collect())
}

/// Rebuilds the tally from the ratings (after the demo's bulk load).
pub async fn rebuild_tally(db: &Db) -> DbResult<usize> {
    let rows: Vec<(i64, i64, String, i64, i64, i64)> = db
        .fetch_all(sql("SELECT staff_id, org_id, month, \
             CAST(SUM(CASE WHEN verdict = 1 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN verdict = 2 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN verdict = 3 THEN 1 ELSE 0 END) AS BIGINT) \
             FROM staff_rating WHERE state = 'published' GROUP BY staff_id, org_id, month"))
        .await?;
    TALLY
        .replace(
            db,
            rows.into_iter().map(|(s, o, m, a, b, c)| (vec![Arg::Int(s), Arg::Int(o), Arg::from(m)], vec![a, b, c])),
        )
        .await
}

// --- the home page ---------------------------------------------------------------------------

pub const HOME_BLOCK: platform::module::HomeBlockKind = platform::module::HomeBlockKind {
    key: "supervision.ratings",
    label: "机关效能评价（本年满意率最高的单位）",
};

/// The home-page block: the year's best-rated units (at least 10 published ratings, so one happy
/// citizen does not put a unit on top) and the year's figures, leading to the window.
pub async fn home_block(db: &Db, key: &str) -> Result<Option<platform::module::HomeBlock>, AppError> {
    use platform::module::{BlockFigure, BlockItem, HomeBlock};
    if key != HOME_BLOCK.key {
        return Ok(None);
    }
    let staff = staff_counts(db).await?;
    if staff.is_empty() {
        return Ok(None);
    }
    let by_unit = counts_by_unit(db, &Months::this_year()).await?;
    let year: Counts = by_unit.values().fold(Counts::default(), |mut a, c| {
        a.add(c);
        a
    });
    let orgs = platform::accounts::list_orgs(db).await?;
    let mut ranked: Vec<(&OrgUnit, Counts)> =
        orgs.iter().filter_map(|o| by_unit.get(&o.id).filter(|c| c.total() >= 10).map(|c| (o, *c))).collect();
    ranked.sort_by(|a, b| b.1.rate_permille().cmp(&a.1.rate_permille()).then(b.1.total().cmp(&a.1.total())));
    let items = ranked
        .iter()
        .take(5)
        .map(|(o, c)| BlockItem { url: format!("/pingjia/units/{}", o.id), text: o.name.clone(), note: c.rate_text() })
        .collect();
    Ok(Some(HomeBlock {
        title: "机关效能评价".into(),
        url: "/pingjia/".into(),
        items,
        figures: vec![
            BlockFigure { label: "本年评价".into(), value: format!("{} 条", year.total()) },
            BlockFigure { label: "满意率".into(), value: year.rate_text() },
        ],
    }))
}

// --- figures for other modules ---------------------------------------------------------------

/// Published ratings made in the period (one unit with its sub-units when asked): their number
/// and, when there are any, the 满意率 — what 部门考核 and reports read.
pub async fn figures(
    state: &AppState,
    q: platform::module::FigureQuery,
) -> Result<Vec<platform::module::Figure>, AppError> {
    use platform::module::Figure;
    let units: Option<Vec<i64>> = match q.org_id {
        Some(root) => {
            let orgs = platform::accounts::list_orgs(&state.db).await?;
            Some(
                orgs.iter()
                    .filter(|o| platform::accounts::org_chain(&orgs, o.id).contains(&root))
                    .map(|o| o.id)
                    .collect(),
            )
        }
        None => None,
    };
    let c: Counts = state
        .db
        .fetch_one(
            sql("SELECT CAST(COALESCE(SUM(CASE WHEN verdict = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS satisfied, \
                 CAST(COALESCE(SUM(CASE WHEN verdict = 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS basic, \
                 CAST(COALESCE(SUM(CASE WHEN verdict = 3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS unsatisfied \
                 FROM staff_rating WHERE state = 'published' AND created_at >= $1 AND created_at < $2")
            .bind(q.from)
            .bind(q.to)
            .and_within("org_id", units.as_deref()),
        )
        .await?;
    let mut out =
        vec![Figure { key: "ratings.count", label: "机关效能评价数", value: c.total() as f64, unit: "条" }];
    // A rate of nothing is left out rather than reported as 0 %.
    if let Some(p) = c.rate_permille() {
        out.push(Figure {
            key: "ratings.satisfaction_rate",
            label: "机关效能评价满意率",
            value: p as f64 / 10.0,
            unit: "%",
        });
    }
    Ok(out)
}

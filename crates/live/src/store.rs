//! Camera points' rows and the operations on them: the list (published ones for the public),
//! saving a checked form, removing a point, recording a check with its snapshot, and the
//! availability of the last day.

use platform::db::{Db, Exec, Scalar, sql};
use platform::web::{AppError, AppState, Auth, Ctx};
use serde::Serialize;

use crate::domain::{self, PointInput};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, schemars::JsonSchema)]
pub struct CameraPoint {
    pub id: i64,
    pub name: String,
    pub area: String,
    pub place: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub stream_url: String,
    pub snapshot_url: String,
    pub published: bool,
    pub sort_order: i64,
    /// unknown 尚未检查、online 在线、offline 离线
    pub status: String,
    /// 最近一次检查的结果说明
    pub status_detail: String,
    pub checked_at: Option<i64>,
    /// 最近一次在线的时间
    pub online_at: Option<i64>,
    pub snapshot_sha: String,
    pub snapshot_at: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(CameraPoint);

impl CameraPoint {
    pub fn input(&self) -> PointInput {
        let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        PointInput {
            name: self.name.clone(),
            area: self.area.clone(),
            place: self.place.clone(),
            lon: num(self.lon),
            lat: num(self.lat),
            stream_url: self.stream_url.clone(),
            snapshot_url: self.snapshot_url.clone(),
            published: self.published,
            sort_order: self.sort_order.to_string(),
        }
    }
}

/// The file store's folder of snapshots: `<data>/files/live/`.
pub const AREA: &str = "live";

pub async fn get(db: &Db, id: i64) -> Result<CameraPoint, AppError> {
    db.fetch_optional(sql("SELECT * FROM camera_point WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

/// A published point, or 404.
pub async fn published(db: &Db, id: i64) -> Result<CameraPoint, AppError> {
    let p = get(db, id).await?;
    if p.published { Ok(p) } else { Err(AppError::NotFound) }
}

pub async fn list(db: &Db, only_published: bool) -> Result<Vec<CameraPoint>, AppError> {
    let mut q = sql("SELECT * FROM camera_point");
    if only_published {
        q = q.push(" WHERE published = TRUE");
    }
    Ok(db.fetch_all(q.push(" ORDER BY sort_order, id")).await?)
}

/// Creates (`id` 0) or updates a point; the name is unique.
pub async fn save(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, input: &PointInput) -> Result<i64, AppError> {
    let p = input.check().map_err(AppError::Invalid)?;
    let taken = state
        .db
        .count(sql("SELECT COUNT(*) FROM camera_point WHERE name = $1 AND id <> $2").bind(&p.name).bind(id))
        .await?;
    if taken > 0 {
        return Err(AppError::Invalid(vec![platform::web::error::FieldError::new("name", "已有同名的点位")]));
    }
    let now = platform::db::now();
    let id = if id == 0 {
        state
            .db
            .fetch_one::<Scalar<i64>>(
                sql("INSERT INTO camera_point (name, area, place, lon, lat, stream_url, snapshot_url, published, sort_order, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
                .bind(&p.name)
                .bind(&p.area)
                .bind(&p.place)
                .bind(p.lon)
                .bind(p.lat)
                .bind(&p.stream_url)
                .bind(&p.snapshot_url)
                .bind(p.published)
                .bind(p.sort_order)
                .bind(&auth.user.display_name)
                .bind(now),
            )
            .await?
            .0
    } else {
        let old = get(&state.db, id).await?;
        // A new address is not yet known to work.
        let moved = old.stream_url != p.stream_url;
        state
            .db
            .execute(
                sql("UPDATE camera_point SET name = $1, area = $2, place = $3, lon = $4, lat = $5, stream_url = $6, snapshot_url = $7, \
                     published = $8, sort_order = $9, updated_at = $10, status = CASE WHEN $11 THEN 'unknown' ELSE status END WHERE id = $12")
                .bind(&p.name)
                .bind(&p.area)
                .bind(&p.place)
                .bind(p.lon)
                .bind(p.lat)
                .bind(&p.stream_url)
                .bind(&p.snapshot_url)
                .bind(p.published)
                .bind(p.sort_order)
                .bind(now)
                .bind(moved)
                .bind(id),
            )
            .await?;
        id
    };
    state.audit(ctx, "camera_point.save", &format!("camera_point:{id}"), "success", &p.name).await;
    Ok(id)
}

pub async fn remove(state: &AppState, ctx: &Ctx, id: i64) -> Result<(), AppError> {
    let p = get(&state.db, id).await?;
    let mut tx = state.db.begin().await?;
    tx.execute(sql("DELETE FROM camera_check WHERE point_id = $1").bind(id)).await?;
    tx.execute(sql("DELETE FROM camera_point WHERE id = $1").bind(id)).await?;
    tx.commit().await?;
    state.audit(ctx, "camera_point.delete", &format!("camera_point:{id}"), "success", &p.name).await;
    Ok(())
}

/// One check's result: the stream answered as its kind (or why not), and the snapshot kept.
#[derive(Debug, Clone, Default)]
pub struct CheckResult {
    pub ok: bool,
    pub millis: i64,
    pub error: String,
    pub snapshot_sha: Option<String>,
    /// Why no new snapshot came (said to staff; it does not make a live stream offline).
    pub snapshot_error: String,
}

impl CheckResult {
    /// What the point's state says beside 在线 or 离线.
    pub fn detail(&self) -> String {
        let main = if self.ok { format!("{} 毫秒内响应", self.millis) } else { self.error.clone() };
        if self.snapshot_error.is_empty() { main } else { format!("{main}；{}", self.snapshot_error) }
    }
}

/// Records a check: the history row, the point's state, the newest snapshot; history older than
/// 30 days is dropped.
pub async fn record(db: &Db, id: i64, at: i64, r: &CheckResult) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    tx.execute(
        sql("INSERT INTO camera_check (point_id, at, ok, millis, error) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(at)
            .bind(r.ok)
            .bind(r.millis)
            .bind(&r.error),
    )
    .await?;
    tx.execute(
        sql("UPDATE camera_point SET status = $1, status_detail = $2, checked_at = $3, \
             online_at = CASE WHEN $4 THEN $3 ELSE online_at END WHERE id = $5")
        .bind(if r.ok { "online" } else { "offline" })
        .bind(r.detail())
        .bind(at)
        .bind(r.ok)
        .bind(id),
    )
    .await?;
    if let Some(sha) = &r.snapshot_sha {
        tx.execute(
            sql("UPDATE camera_point SET snapshot_sha = $1, snapshot_at = $2 WHERE id = $3")
                .bind(sha)
                .bind(at)
                .bind(id),
        )
        .await?;
    }
    tx.execute(sql("DELETE FROM camera_check WHERE point_id = $1 AND at < $2").bind(id).bind(at - 30 * 86_400)).await?;
    tx.commit().await?;
    Ok(())
}

/// (checks, successful) of every point over the day before `now`.
pub async fn day_availability(db: &Db, now: i64) -> Result<Vec<(i64, i64, i64)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        point_id: i64,
        checks: i64,
        ok: i64,
    }
    let rows: Vec<Row> = db
        .fetch_all(
            sql("SELECT point_id, CAST(COUNT(*) AS BIGINT) AS checks, CAST(SUM(CASE WHEN ok THEN 1 ELSE 0 END) AS BIGINT) AS ok \
                 FROM camera_check WHERE at > $1 GROUP BY point_id")
            .bind(now - 86_400),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.point_id, r.checks, r.ok)).collect())
}

/// The availability of one point over the last day, in per cent.
pub fn share_of(avail: &[(i64, i64, i64)], id: i64) -> Option<i64> {
    avail.iter().find(|a| a.0 == id).and_then(|a| domain::availability(a.1, a.2))
}

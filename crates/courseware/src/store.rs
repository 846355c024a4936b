//! 课件库's rows and the operations on them: categories with their counts, items (published for
//! the public, all for editors), files kept by content hash under the data directory, saving an
//! item with its uploads checked, views and one rating per browser.

use std::path::{Path, PathBuf};

use platform::db::{Db, Exec, Scalar, sql};
use platform::intake::{FileType, JPEG, JPG, PDF, PNG, UploadRules};
use platform::web::error::FieldError;
use platform::web::extract::{SpooledFile, Upload};
use platform::web::{AppError, AppState, Auth, Ctx};
use serde::Serialize;

use crate::domain::{self, CourseInput};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    /// Published items in it.
    pub items: i64,
}

pub async fn categories(db: &Db) -> Result<Vec<Category>, AppError> {
    Ok(db
        .fetch_all(sql(
            "SELECT c.id, c.name, c.sort_order, \
             CAST((SELECT COUNT(*) FROM course k WHERE k.category_id = c.id AND k.published = TRUE) AS BIGINT) AS items \
             FROM course_category c ORDER BY c.sort_order, c.id",
        ))
        .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Course {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    pub summary: String,
    pub teacher: String,
    pub duration: i64,
    pub video_sha: String,
    pub video_size: i64,
    pub stream_url: String,
    pub poster_sha: String,
    pub captions: String,
    pub handout_sha: String,
    pub handout_name: String,
    pub published: bool,
    pub views: i64,
    pub rating_sum: i64,
    pub rating_count: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

platform::template_value!(Course);

pub async fn get(db: &Db, id: i64) -> Result<Course, AppError> {
    db.fetch_optional(sql("SELECT * FROM course WHERE id = $1").bind(id)).await?.ok_or(AppError::NotFound)
}

/// A published item, or 404.
pub async fn published(db: &Db, id: i64) -> Result<Course, AppError> {
    let c = get(db, id).await?;
    if c.published { Ok(c) } else { Err(AppError::NotFound) }
}

/// Items of a category (or all), newest first, `before` an id for the next page.
pub async fn list(
    db: &Db,
    category: Option<i64>,
    only_published: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Course>, AppError> {
    let mut q = sql("SELECT * FROM course WHERE 1=1");
    if let Some(c) = category {
        q = q.push(" AND category_id = ").push_bind(c);
    }
    if only_published {
        q = q.push(" AND published = TRUE");
    }
    if let Some(b) = before {
        q = q.push(" AND id < ").push_bind(b);
    }
    Ok(db.fetch_all(q.push(" ORDER BY id DESC LIMIT ").push_bind(limit)).await?)
}

/// The file store's folder of this library: `<data>/files/courseware/`.
pub const AREA: &str = "courseware";

pub fn file_path(data_dir: &Path, sha: &str, ext: &str) -> Option<PathBuf> {
    platform::blobs::path(data_dir, AREA, sha, ext)
}

/// Keeps bytes under their content hash (once) and returns the hash.
pub fn keep(data_dir: &Path, bytes: &[u8], ext: &str) -> std::io::Result<String> {
    platform::blobs::keep(data_dir, AREA, bytes, ext)
}

/// The uploads of one save, checked: the video (MP4, its duration read), poster (JPEG/PNG),
/// captions (WebVTT) and handout (PDF).
#[derive(Default)]
pub struct Files {
    pub video: Option<(String, i64, i64)>,
    pub poster: Option<String>,
    pub captions: Option<String>,
    pub handout: Option<(String, String)>,
}

const IMAGES: &[FileType] = &[JPG, JPEG, PNG];
/// A poster: one JPEG or PNG image.
const POSTER: UploadRules = UploadRules { types: IMAGES, max_bytes: 5 << 20, max_count: 1, max_total_bytes: 5 << 20 };
/// A handout: one PDF.
const HANDOUT: UploadRules =
    UploadRules { types: &[PDF], max_bytes: 20 << 20, max_count: 1, max_total_bytes: 20 << 20 };

/// The largest video a form takes.
pub const VIDEO_MAX_BYTES: usize = 200 << 20;

/// The running time of an MP4 file on disk, reading only its box headers and its `moov` box (a
/// movie header larger than 64 MB is refused).
pub fn mp4_file_duration(path: &Path) -> Result<u64, domain::Mp4Error> {
    use std::io::{Read, Seek, SeekFrom};
    let bad = |_| domain::Mp4Error::NotMp4;
    let mut file = std::fs::File::open(path).map_err(bad)?;
    let len = file.metadata().map_err(bad)?.len();
    let mut at = 0u64;
    while at + 8 <= len {
        let mut head = [0u8; 16];
        let n = (len - at).min(16) as usize;
        file.seek(SeekFrom::Start(at)).and_then(|_| file.read_exact(&mut head[..n])).map_err(bad)?;
        let Some((kind, header, size)) = domain::box_header(&head[..n], len - at) else { break };
        if at == 0 && &kind != b"ftyp" {
            return Err(domain::Mp4Error::NotMp4);
        }
        if &kind == b"moov" {
            let body_len = size - header;
            if body_len > 64 << 20 {
                break;
            }
            let mut moov = vec![0u8; body_len as usize];
            file.seek(SeekFrom::Start(at + header)).and_then(|_| file.read_exact(&mut moov)).map_err(bad)?;
            return domain::moov_seconds(&moov);
        }
        at += size;
    }
    if at == 0 { Err(domain::Mp4Error::NotMp4) } else { Err(domain::Mp4Error::NoMovieHeader) }
}

/// Where the back office's form writes an uploading video (the library's own folder, so keeping
/// it is a rename).
pub fn spool_dir(data_dir: &Path) -> PathBuf {
    platform::blobs::dir(data_dir, AREA)
}

/// Checks the uploads of one save and keeps the good ones: the video arrives on disk (see
/// [`platform::web::extract::read_multipart_spooled`]), the rest in memory.
pub fn check_files(data_dir: &Path, uploads: &[Upload], video: Option<SpooledFile>) -> Result<Files, Vec<FieldError>> {
    let mut f = Files::default();
    let mut errs = Vec::new();
    let io = |e: std::io::Error| FieldError::new("video", format!("保存文件失败：{e}"));
    if let Some(v) = video {
        match mp4_file_duration(&v.path) {
            Ok(secs) if v.size <= VIDEO_MAX_BYTES as u64 => {
                let (sha, size) = (v.sha256.clone(), v.size as i64);
                match file_path(data_dir, &sha, "mp4")
                    .ok_or_else(|| std::io::Error::other("hash"))
                    .and_then(|p| v.keep_as(&p))
                {
                    Ok(()) => f.video = Some((sha, size, secs as i64)),
                    Err(e) => errs.push(io(e)),
                }
            }
            Ok(_) => errs.push(FieldError::new("video", "视频不能超过 200 MB")),
            Err(e) => errs.push(FieldError::new("video", e.to_string())),
        }
    }
    for u in uploads {
        match u.field.as_str() {
            "poster" => match POSTER.check(&u.name, &u.bytes) {
                Ok(_) => match keep(data_dir, &u.bytes, "img") {
                    Ok(sha) => f.poster = Some(sha),
                    Err(e) => errs.push(io(e)),
                },
                Err(m) => errs.push(FieldError::new("poster", m)),
            },
            "captions" => match std::str::from_utf8(&u.bytes) {
                Ok(t) if domain::is_webvtt(t) && t.len() <= 1 << 20 => {
                    f.captions = Some(t.trim_start_matches('\u{feff}').to_owned())
                }
                _ => errs.push(FieldError::new(
                    "captions",
                    "字幕应为 UTF-8 编码的 WebVTT 文件（以 WEBVTT 开头，1 MB 以内）",
                )),
            },
            "handout" => match HANDOUT.check(&u.name, &u.bytes) {
                Ok(_) => match keep(data_dir, &u.bytes, "pdf") {
                    Ok(sha) => f.handout = Some((sha, u.name.clone())),
                    Err(e) => errs.push(io(e)),
                },
                Err(m) => errs.push(FieldError::new("handout", m)),
            },
            _ => {}
        }
    }
    if errs.is_empty() { Ok(f) } else { Err(errs) }
}

/// Creates (`id` 0) or updates an item with what was typed and uploaded; files not sent again
/// stay.
pub async fn save(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &CourseInput,
    uploads: &[Upload],
    video: Option<SpooledFile>,
) -> Result<i64, AppError> {
    let existing = if id > 0 { Some(get(&state.db, id).await?) } else { None };
    let cats: Vec<i64> = categories(&state.db).await?.iter().map(|c| c.id).collect();
    let dir = state.config.data_dir.clone();
    let uploads_owned = uploads.to_vec();
    // Reading a large file's boxes and renaming it is blocking work.
    let files = tokio::task::spawn_blocking(move || check_files(&dir, &uploads_owned, video))
        .await
        .map_err(|e| AppError::Internal(format!("检查上传文件失败: {e}")))?
        .map_err(AppError::Invalid)?;
    let has_video = files.video.is_some() || existing.as_ref().is_some_and(|c| !c.video_sha.is_empty());
    let (category, stream_secs) = domain::check(input, &cats, has_video).map_err(AppError::Invalid)?;
    let now = platform::db::now();
    let old = existing.as_ref();
    let (video_sha, video_size, duration) = match &files.video {
        Some((sha, size, secs)) => (sha.clone(), *size, *secs),
        None => match old {
            Some(c) if !c.video_sha.is_empty() => (c.video_sha.clone(), c.video_size, c.duration),
            _ => (String::new(), 0, stream_secs),
        },
    };
    let duration = if video_sha.is_empty() { stream_secs } else { duration };
    let poster = files.poster.clone().or_else(|| old.map(|c| c.poster_sha.clone())).unwrap_or_default();
    let captions = files.captions.clone().or_else(|| old.map(|c| c.captions.clone())).unwrap_or_default();
    let (handout_sha, handout_name) = files
        .handout
        .clone()
        .or_else(|| old.map(|c| (c.handout_sha.clone(), c.handout_name.clone())))
        .unwrap_or_default();
    let id = if id > 0 {
        state
            .db
            .execute(
                sql("UPDATE course SET category_id = $1, title = $2, summary = $3, teacher = $4, duration = $5, video_sha = $6, video_size = $7, \
                     stream_url = $8, poster_sha = $9, captions = $10, handout_sha = $11, handout_name = $12, published = $13, updated_at = $14 WHERE id = $15")
                .bind(category)
                .bind(input.title.trim())
                .bind(input.summary.trim())
                .bind(input.teacher.trim())
                .bind(duration)
                .bind(video_sha)
                .bind(video_size)
                .bind(input.stream_url.trim())
                .bind(poster)
                .bind(captions)
                .bind(handout_sha)
                .bind(handout_name)
                .bind(input.published)
                .bind(now.max(old.map_or(0, |c| c.updated_at + 1)))
                .bind(id),
            )
            .await?;
        id
    } else {
        state
            .db
            .fetch_one::<Scalar<i64>>(
                sql("INSERT INTO course (category_id, title, summary, teacher, duration, video_sha, video_size, stream_url, poster_sha, captions, \
                     handout_sha, handout_name, published, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id")
                .bind(category)
                .bind(input.title.trim())
                .bind(input.summary.trim())
                .bind(input.teacher.trim())
                .bind(duration)
                .bind(video_sha)
                .bind(video_size)
                .bind(input.stream_url.trim())
                .bind(poster)
                .bind(captions)
                .bind(handout_sha)
                .bind(handout_name)
                .bind(input.published)
                .bind(&auth.user.display_name)
                .bind(now),
            )
            .await?
            .0
    };
    let verb = if existing.is_some() { "update" } else { "create" };
    state.audit(ctx, &format!("course.{verb}"), &format!("course:{id}"), "success", input.title.trim()).await;
    Ok(id)
}

/// Counts a view (best effort).
pub async fn count_view(db: &Db, id: i64) {
    if let Err(e) = db.execute(sql("UPDATE course SET views = views + 1 WHERE id = $1").bind(id)).await {
        tracing::debug!(error = %e, "course view not counted");
    }
}

/// One browser's rating (1–5), once; returns whether it counted.
pub async fn rate(db: &Db, id: i64, voter: &str, stars: i64) -> Result<bool, AppError> {
    if !(1..=5).contains(&stars) {
        return Err(AppError::Invalid(vec![FieldError::new("stars", "请选择 1 到 5 星")]));
    }
    let mut tx = db.begin().await?;
    let added = match tx
        .execute(
            sql("INSERT INTO course_rating (course_id, voter, stars, at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(voter)
                .bind(stars)
                .bind(platform::db::now()),
        )
        .await
    {
        Ok(n) => n == 1,
        Err(e) if e.is_unique_violation() => false,
        Err(e) => return Err(e.into()),
    };
    if added {
        tx.execute(
            sql("UPDATE course SET rating_sum = rating_sum + $1, rating_count = rating_count + 1 WHERE id = $2")
                .bind(stars)
                .bind(id),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Adds a category (a name used once).
pub async fn add_category(state: &AppState, ctx: &Ctx, name: &str) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(AppError::Invalid(vec![FieldError::new("name", "请填写分类名称（20 字以内）")]));
    }
    let next =
        state.db.count(sql("SELECT CAST(COALESCE(MAX(sort_order), 0) + 10 AS BIGINT) FROM course_category")).await?;
    let id = match state
        .db
        .fetch_one::<Scalar<i64>>(
            sql("INSERT INTO course_category (name, sort_order) VALUES ($1, $2) RETURNING id").bind(name).bind(next),
        )
        .await
    {
        Ok(id) => id.0,
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Invalid(vec![FieldError::new("name", format!("已有分类「{name}」"))]));
        }
        Err(e) => return Err(e.into()),
    };
    state.audit(ctx, "course_category.create", &format!("course_category:{id}"), "success", name).await;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The top-level boxes of a file, whole.
    fn split(bytes: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut at = 0usize;
        while let Some((_, _, size)) = domain::box_header(&bytes[at..], (bytes.len() - at) as u64) {
            out.push(&bytes[at..at + size as usize]);
            at += size as usize;
        }
        out
    }

    #[test]
    fn a_video_on_disk_is_timed_from_its_movie_header_wherever_it_is() {
        let dir = std::env::temp_dir().join(format!("zhengwu-mp4-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let at_front = domain::placeholder_mp4(1534, 1 << 20);
        let boxes = split(&at_front);
        assert_eq!(boxes.len(), 3, "ftyp, moov, mdat");
        // As most cameras write it: the movie header after the media data.
        let at_end = [boxes[0], boxes[2], boxes[1]].concat();
        for (name, bytes, want) in [
            ("front.mp4", at_front.clone(), Ok(1534)),
            ("end.mp4", at_end.clone(), Ok(1534)),
            ("cut.mp4", at_end[..at_end.len() - 20].to_vec(), Err(domain::Mp4Error::NoMovieHeader)),
            ("pdf.mp4", b"%PDF-1.4 not a video".to_vec(), Err(domain::Mp4Error::NotMp4)),
            ("empty.mp4", Vec::new(), Err(domain::Mp4Error::NotMp4)),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, &bytes).unwrap();
            assert_eq!(mp4_file_duration(&p), want, "{name}");
            // The same answer as the in-memory reader.
            if !bytes.is_empty() {
                assert_eq!(domain::mp4_duration(&bytes), want, "{name} in memory");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! CMS storage: sites, channels, articles with revisions and placements, history, attachments,
//! template overrides, quotas and the change feed. Reads and writes only; rules are in `domain`
//! and the operations that combine them (permissions, audit) in `service`.

use platform::db::{Db, DbError, DbResult, Exec, Tx, now, sql};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Site {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub site_id_code: String,
    pub host: Option<String>,
    pub path_prefix: String,
    pub owner_org_id: Option<i64>,
    pub template_set: String,
    pub locale: String,
    pub sponsor: String,
    pub contact: String,
    pub icp: String,
    pub psb: String,
    pub error_link: String,
    pub description: String,
    pub sort_order: i64,
    /// The module blocks its home page shows, space-separated keys in order (`services.popular`).
    pub home_blocks: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Channel {
    pub id: i64,
    pub site_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub kind: String,
    pub sort_order: i64,
    pub dept_org_id: Option<i64>,
    pub update_class: String,
    pub link_url: String,
    pub body: String,
    pub description: String,
    pub banner: String,
    pub archived: bool,
    pub show_on_home: bool,
    pub workflow: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, Default)]
pub struct Article {
    pub id: i64,
    pub site_id: i64,
    pub channel_id: i64,
    pub org_id: Option<i64>,
    pub title: String,
    pub subtitle: String,
    pub source: String,
    pub author: String,
    pub editor: String,
    pub summary: String,
    pub body: String,
    pub cover: String,
    pub keywords: String,
    pub doc_number: String,
    pub link_url: String,
    pub validity: String,
    pub pinned: bool,
    pub pin_order: i64,
    pub pub_at: i64,
    pub state: String,
    pub review_state: String,
    pub review_step: i64,
    pub withdraw_reason: String,
    pub scheduled_at: Option<i64>,
    pub unpublish_at: Option<i64>,
    pub live_revision: i64,
    pub latest_revision: i64,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub views: i64,
    pub editing_by: Option<i64>,
    pub editing_at: Option<i64>,
}

/// The fields an editor changes; stored as JSON in each revision.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct Fields {
    pub title: String,
    pub subtitle: String,
    pub source: String,
    pub author: String,
    pub editor: String,
    pub summary: String,
    pub body: String,
    pub cover: String,
    pub keywords: String,
    pub doc_number: String,
    pub link_url: String,
    pub validity: String,
    pub pinned: bool,
    pub pin_order: i64,
    /// Publication time shown on the page; `None` means "when it is published".
    pub pub_at: Option<i64>,
    pub scheduled_at: Option<i64>,
    pub unpublish_at: Option<i64>,
    pub is_repost: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Revision {
    pub id: i64,
    pub article_id: i64,
    pub rev_no: i64,
    pub data: String,
    pub created_by: i64,
    pub created_at: i64,
    pub note: String,
}

impl Revision {
    pub fn fields(&self) -> Fields {
        serde_json::from_str(&self.data).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub article_id: i64,
    pub revision: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub comment: String,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Placement {
    pub article_id: i64,
    pub channel_id: i64,
    pub site_id: i64,
    pub pub_at: i64,
    pub pinned: bool,
    pub pin_order: i64,
    pub live: bool,
    pub added_by: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub article_id: Option<i64>,
    pub filename: String,
    pub stored_name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub downloads: i64,
    pub uploaded_by: i64,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Id(i64);

// ---- sites ---------------------------------------------------------------------------------------

const SITE_COLS: &str = "id, code, name, kind, site_id_code, host, path_prefix, owner_org_id, template_set, locale, sponsor, contact, icp, psb, error_link, description, sort_order, home_blocks";

pub async fn sites(db: &Db) -> DbResult<Vec<Site>> {
    db.fetch_all(sql(format!("SELECT {SITE_COLS} FROM site ORDER BY sort_order, id"))).await
}

pub async fn site(db: &Db, id: i64) -> DbResult<Option<Site>> {
    db.fetch_optional(sql(format!("SELECT {SITE_COLS} FROM site WHERE id = $1")).bind(id)).await
}

pub async fn site_by_code(db: &Db, code: &str) -> DbResult<Option<Site>> {
    db.fetch_optional(sql(format!("SELECT {SITE_COLS} FROM site WHERE code = $1")).bind(code)).await
}

pub async fn insert_site(db: &Db, s: &Site) -> DbResult<i64> {
    let r: Result<Id, DbError> = db
        .fetch_one(
            sql("INSERT INTO site (code, name, kind, site_id_code, host, path_prefix, owner_org_id, template_set, locale, sponsor, contact, icp, psb, error_link, description, sort_order, home_blocks, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING id")
            .bind(&s.code).bind(&s.name).bind(&s.kind).bind(&s.site_id_code).bind(s.host.clone()).bind(&s.path_prefix)
            .bind(s.owner_org_id).bind(&s.template_set).bind(&s.locale).bind(&s.sponsor).bind(&s.contact).bind(&s.icp)
            .bind(&s.psb).bind(&s.error_link).bind(&s.description).bind(s.sort_order).bind(&s.home_blocks).bind(now()),
        )
        .await;
    match r {
        Ok(id) => Ok(id.0),
        Err(e) if e.is_unique_violation() => Err(DbError::Conflict(format!("站点代码“{}”已被使用", s.code))),
        Err(e) => Err(e),
    }
}

pub async fn update_site(db: &Db, s: &Site) -> DbResult<()> {
    db.execute(
        sql("UPDATE site SET name=$1, kind=$2, site_id_code=$3, host=$4, path_prefix=$5, owner_org_id=$6, template_set=$7, locale=$8, sponsor=$9, contact=$10, icp=$11, psb=$12, error_link=$13, description=$14, home_blocks=$15 WHERE id=$16")
            .bind(&s.name).bind(&s.kind).bind(&s.site_id_code).bind(s.host.clone()).bind(&s.path_prefix).bind(s.owner_org_id)
            .bind(&s.template_set).bind(&s.locale).bind(&s.sponsor).bind(&s.contact).bind(&s.icp).bind(&s.psb)
            .bind(&s.error_link).bind(&s.description).bind(&s.home_blocks).bind(s.id),
    )
    .await?;
    Ok(())
}

// ---- channels ------------------------------------------------------------------------------------

const CHANNEL_COLS: &str = "id, site_id, parent_id, name, slug, kind, sort_order, dept_org_id, update_class, link_url, body, description, banner, archived, show_on_home, workflow";

pub async fn channels_of(db: &Db, site_id: i64) -> DbResult<Vec<Channel>> {
    db.fetch_all(
        sql(format!("SELECT {CHANNEL_COLS} FROM channel WHERE site_id = $1 ORDER BY sort_order, id")).bind(site_id),
    )
    .await
}

pub async fn all_channels(db: &Db) -> DbResult<Vec<Channel>> {
    db.fetch_all(sql(format!("SELECT {CHANNEL_COLS} FROM channel ORDER BY site_id, sort_order, id"))).await
}

pub async fn channel(db: &Db, id: i64) -> DbResult<Option<Channel>> {
    db.fetch_optional(sql(format!("SELECT {CHANNEL_COLS} FROM channel WHERE id = $1")).bind(id)).await
}

pub async fn insert_channel(db: &Db, c: &Channel) -> DbResult<i64> {
    let r: Result<Id, DbError> = db
        .fetch_one(
            sql("INSERT INTO channel (site_id, parent_id, name, slug, kind, sort_order, dept_org_id, update_class, link_url, body, description, banner, archived, show_on_home, workflow, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) RETURNING id")
            .bind(c.site_id).bind(c.parent_id).bind(&c.name).bind(&c.slug).bind(&c.kind).bind(c.sort_order).bind(c.dept_org_id)
            .bind(&c.update_class).bind(&c.link_url).bind(&c.body).bind(&c.description).bind(&c.banner).bind(c.archived)
            .bind(c.show_on_home).bind(&c.workflow).bind(now()),
        )
        .await;
    match r {
        Ok(id) => Ok(id.0),
        Err(e) if e.is_unique_violation() => Err(DbError::Conflict(format!("本站已有栏目标识“{}”", c.slug))),
        Err(e) => Err(e),
    }
}

pub async fn update_channel(db: &Db, c: &Channel) -> DbResult<()> {
    let r = db
        .execute(
            sql("UPDATE channel SET parent_id=$1, name=$2, slug=$3, kind=$4, sort_order=$5, dept_org_id=$6, update_class=$7, link_url=$8, body=$9, description=$10, banner=$11, archived=$12, show_on_home=$13, workflow=$14 WHERE id=$15")
                .bind(c.parent_id).bind(&c.name).bind(&c.slug).bind(&c.kind).bind(c.sort_order).bind(c.dept_org_id).bind(&c.update_class)
                .bind(&c.link_url).bind(&c.body).bind(&c.description).bind(&c.banner).bind(c.archived).bind(c.show_on_home)
                .bind(&c.workflow).bind(c.id),
        )
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_unique_violation() => Err(DbError::Conflict(format!("本站已有栏目标识“{}”", c.slug))),
        Err(e) => Err(e),
    }
}

/// The channel and its ancestors, nearest first.
pub fn channel_chain(channels: &[Channel], id: i64) -> Vec<i64> {
    let mut chain = Vec::new();
    let mut cur = Some(id);
    while let Some(c) = cur {
        if chain.contains(&c) {
            break;
        }
        chain.push(c);
        cur = channels.iter().find(|x| x.id == c).and_then(|x| x.parent_id);
    }
    chain
}

// ---- articles ------------------------------------------------------------------------------------

/// Published articles as documents other modules refer to (the disclosure catalogue), at their
/// site's address.
pub async fn published_documents(
    db: &Db,
    q: &platform::module::DocumentQuery,
) -> DbResult<Vec<platform::module::Document>> {
    let mut s =
        sql("SELECT a.id, a.title, a.summary, a.keywords, a.doc_number, a.org_id, a.published_at, s.path_prefix \
         FROM article a JOIN site s ON s.id = a.site_id WHERE a.state = 'published'");
    if !q.ids.is_empty() {
        s = s.and_within("a.id", Some(&q.ids));
    }
    if !q.at.trim().is_empty() {
        // An article lives at `<site prefix>/a/<id>.html` (under any host of the group).
        let Some(id) = crate::domain::article_id_at(q.at.trim()) else { return Ok(Vec::new()) };
        s = s.push(" AND a.id = ").push_bind(id);
    }
    if q.with_doc_no {
        s = s.push(" AND a.doc_number <> ''");
    }
    if !q.title_contains.is_empty() {
        s = s.push(" AND a.title LIKE ").push_bind(format!("%{}%", q.title_contains.replace(['%', '_'], "")));
    }
    s = s.push(" ORDER BY a.published_at DESC, a.id DESC LIMIT ").push_bind(q.limit.clamp(1, 10_000));
    type Row = (i64, String, String, String, String, Option<i64>, Option<i64>, String);
    let rows: Vec<Row> = db.fetch_all(s).await?;
    Ok(rows
        .into_iter()
        .map(|(id, title, summary, keywords, doc_no, org_id, published_at, prefix)| platform::module::Document {
            id,
            title,
            url: format!("{prefix}/a/{id}.html"),
            summary,
            keywords,
            doc_no,
            org_id,
            published_at: published_at.unwrap_or(0),
        })
        .collect())
}

pub async fn article(db: &Db, id: i64) -> DbResult<Option<Article>> {
    db.fetch_optional(sql("SELECT * FROM article WHERE id = $1").bind(id)).await
}

/// Creates an article (draft, editing) with its first revision and its primary placement.
pub async fn create_article(
    db: &Db,
    site_id: i64,
    channel_id: i64,
    org_id: Option<i64>,
    f: &Fields,
    user_id: i64,
) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let t = now();
    let id: Id = tx
        .fetch_one(
            sql("INSERT INTO article (site_id, channel_id, org_id, title, pub_at, state, review_state, created_by, created_at, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,'draft','editing',$6,$7,$7) RETURNING id")
            .bind(site_id).bind(channel_id).bind(org_id).bind(&f.title).bind(f.pub_at.unwrap_or(t)).bind(user_id).bind(t),
        )
        .await?;
    tx.execute(
        sql("INSERT INTO placement (article_id, channel_id, site_id, pub_at, pinned, pin_order, live, added_by) VALUES ($1,$2,$3,$4,$5,$6,FALSE,$7)")
            .bind(id.0).bind(channel_id).bind(site_id).bind(f.pub_at.unwrap_or(t)).bind(f.pinned).bind(f.pin_order).bind(user_id),
    )
    .await?;
    add_revision_tx(&mut tx, id.0, f, user_id, "新建").await?;
    tx.commit().await?;
    Ok(id.0)
}

async fn add_revision_tx(tx: &mut Tx, article_id: i64, f: &Fields, user_id: i64, note: &str) -> DbResult<i64> {
    #[derive(sqlx::FromRow)]
    struct N(i64);
    let n: N = tx
        .fetch_one(
            sql("SELECT COALESCE(MAX(rev_no), 0) + 1 FROM article_revision WHERE article_id = $1").bind(article_id),
        )
        .await?;
    let id: Id = tx
        .fetch_one(
            sql("INSERT INTO article_revision (article_id, rev_no, data, created_by, created_at, note) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id")
                .bind(article_id).bind(n.0).bind(serde_json::to_string(f).unwrap_or_default()).bind(user_id).bind(now()).bind(note),
        )
        .await?;
    tx.execute(
        sql("UPDATE article SET latest_revision = $1, updated_at = $2 WHERE id = $3")
            .bind(id.0)
            .bind(now())
            .bind(article_id),
    )
    .await?;
    Ok(id.0)
}

/// Saves a new revision (the live copy is untouched).
pub async fn add_revision(db: &Db, article_id: i64, f: &Fields, user_id: i64, note: &str) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let id = add_revision_tx(&mut tx, article_id, f, user_id, note).await?;
    tx.commit().await?;
    Ok(id)
}

/// The fields of the latest revision; articles imported in bulk (the demo, migrations from older
/// systems) may have none yet, and then the live copy is the latest version.
pub async fn latest_fields(db: &Db, a: &Article) -> DbResult<Fields> {
    if let Some(r) = revision(db, a.latest_revision).await?.filter(|r| r.article_id == a.id) {
        return Ok(r.fields());
    }
    Ok(Fields {
        title: a.title.clone(),
        subtitle: a.subtitle.clone(),
        source: a.source.clone(),
        author: a.author.clone(),
        editor: a.editor.clone(),
        summary: a.summary.clone(),
        body: a.body.clone(),
        cover: a.cover.clone(),
        keywords: a.keywords.clone(),
        doc_number: a.doc_number.clone(),
        link_url: a.link_url.clone(),
        validity: a.validity.clone(),
        pinned: a.pinned,
        pin_order: a.pin_order,
        pub_at: Some(a.pub_at),
        scheduled_at: a.scheduled_at,
        unpublish_at: a.unpublish_at,
        is_repost: false,
    })
}

pub async fn revisions(db: &Db, article_id: i64) -> DbResult<Vec<Revision>> {
    db.fetch_all(sql("SELECT * FROM article_revision WHERE article_id = $1 ORDER BY rev_no DESC").bind(article_id))
        .await
}

pub async fn revision(db: &Db, id: i64) -> DbResult<Option<Revision>> {
    db.fetch_optional(sql("SELECT * FROM article_revision WHERE id = $1").bind(id)).await
}

/// Records a state change and the event in one transaction. `go_live` copies the latest revision
/// into the live row and lists the article; `listed` sets whether placements appear in lists.
pub struct StateChange<'a> {
    pub article: &'a Article,
    pub action: &'a str,
    pub publication: &'a str,
    pub review: &'a str,
    pub step: i64,
    pub go_live: Option<&'a Fields>,
    pub listed: Option<bool>,
    pub withdraw_reason: Option<&'a str>,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub comment: &'a str,
}

pub async fn change_state(db: &Db, c: StateChange<'_>) -> DbResult<()> {
    let a = c.article;
    let mut tx = db.begin().await?;
    // Optimistic check: the state the caller decided on must still be the state in the database.
    let n = tx
        .execute(
            sql("UPDATE article SET state = $1, review_state = $2, review_step = $3, updated_at = $4 WHERE id = $5 AND state = $6 AND review_state = $7 AND review_step = $8")
                .bind(c.publication).bind(c.review).bind(c.step).bind(now()).bind(a.id).bind(&a.state).bind(&a.review_state).bind(a.review_step),
        )
        .await?;
    if n == 0 {
        return Err(DbError::Conflict("该信息刚被他人处理，请刷新后重试".into()));
    }
    if let Some(f) = c.go_live {
        let t = now();
        let pub_at = f.pub_at.unwrap_or(t);
        tx.execute(
            sql("UPDATE article SET title=$1, subtitle=$2, source=$3, author=$4, editor=$5, summary=$6, body=$7, cover=$8, keywords=$9, doc_number=$10, \
                 link_url=$11, validity=$12, pinned=$13, pin_order=$14, pub_at=$15, scheduled_at=$16, unpublish_at=$17, live_revision=latest_revision, \
                 published_at=COALESCE(published_at, $18), withdraw_reason='' WHERE id=$19")
                .bind(&f.title).bind(&f.subtitle).bind(&f.source).bind(&f.author).bind(&f.editor).bind(&f.summary).bind(&f.body)
                .bind(&f.cover).bind(&f.keywords).bind(&f.doc_number).bind(&f.link_url).bind(&f.validity).bind(f.pinned).bind(f.pin_order)
                .bind(pub_at).bind(f.scheduled_at).bind(f.unpublish_at).bind(t).bind(a.id),
        )
        .await?;
        tx.execute(
            sql("UPDATE placement SET pub_at = $1, pinned = CASE WHEN channel_id = $2 THEN $3 ELSE pinned END, pin_order = CASE WHEN channel_id = $2 THEN $4 ELSE pin_order END, live = TRUE WHERE article_id = $5")
                .bind(pub_at).bind(a.channel_id).bind(f.pinned).bind(f.pin_order).bind(a.id),
        )
        .await?;
    } else if let Some(listed) = c.listed {
        tx.execute(sql("UPDATE placement SET live = $1 WHERE article_id = $2").bind(listed).bind(a.id)).await?;
    }
    if let Some(reason) = c.withdraw_reason {
        tx.execute(sql("UPDATE article SET withdraw_reason = $1 WHERE id = $2").bind(reason).bind(a.id)).await?;
    }
    tx.execute(
        sql("INSERT INTO article_event (article_id, revision, action, from_state, to_state, actor_id, actor, comment, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)")
            .bind(a.id).bind(a.latest_revision).bind(c.action)
            .bind(format!("{}/{}", a.state, a.review_state)).bind(format!("{}/{}", c.publication, c.review))
            .bind(c.actor_id).bind(c.actor).bind(c.comment).bind(now()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_schedule(db: &Db, id: i64, scheduled_at: Option<i64>, unpublish_at: Option<i64>) -> DbResult<()> {
    db.execute(
        sql("UPDATE article SET scheduled_at = $1, unpublish_at = $2 WHERE id = $3")
            .bind(scheduled_at)
            .bind(unpublish_at)
            .bind(id),
    )
    .await?;
    Ok(())
}

pub async fn events(db: &Db, article_id: i64) -> DbResult<Vec<Event>> {
    db.fetch_all(sql("SELECT * FROM article_event WHERE article_id = $1 ORDER BY id").bind(article_id)).await
}

pub async fn record_event(
    db: &Db,
    a: &Article,
    action: &str,
    actor_id: Option<i64>,
    actor: &str,
    comment: &str,
) -> DbResult<()> {
    let state = format!("{}/{}", a.state, a.review_state);
    db.execute(
        sql("INSERT INTO article_event (article_id, revision, action, from_state, to_state, actor_id, actor, comment, at) VALUES ($1,$2,$3,$4,$4,$5,$6,$7,$8)")
            .bind(a.id).bind(a.latest_revision).bind(action).bind(state).bind(actor_id).bind(actor).bind(comment).bind(now()),
    )
    .await?;
    Ok(())
}

/// Whether `user_id` already approved a step since the article was last submitted (one person
/// must not pass two steps of the same review).
pub async fn approved_this_round(db: &Db, article_id: i64, user_id: i64) -> DbResult<bool> {
    let n = db
        .count(
            sql("SELECT COUNT(*) FROM article_event WHERE article_id = $1 AND action = 'approve' AND actor_id = $2 \
                 AND id > (SELECT COALESCE(MAX(id), 0) FROM article_event WHERE article_id = $1 AND action = 'submit')")
            .bind(article_id)
            .bind(user_id),
        )
        .await?;
    Ok(n > 0)
}

pub async fn placements(db: &Db, article_id: i64) -> DbResult<Vec<Placement>> {
    db.fetch_all(sql("SELECT * FROM placement WHERE article_id = $1 ORDER BY site_id, channel_id").bind(article_id))
        .await
}

pub async fn add_placement(db: &Db, a: &Article, channel: &Channel, user_id: i64) -> DbResult<()> {
    let live = a.state == "published";
    let r = db
        .execute(
            sql("INSERT INTO placement (article_id, channel_id, site_id, pub_at, pinned, pin_order, live, added_by) VALUES ($1,$2,$3,$4,FALSE,0,$5,$6)")
                .bind(a.id).bind(channel.id).bind(channel.site_id).bind(a.pub_at).bind(live).bind(user_id),
        )
        .await;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_unique_violation() => Err(DbError::Conflict("该信息已在这个栏目中".into())),
        Err(e) => Err(e),
    }
}

pub async fn remove_placement(db: &Db, article_id: i64, channel_id: i64) -> DbResult<u64> {
    db.execute(sql("DELETE FROM placement WHERE article_id = $1 AND channel_id = $2").bind(article_id).bind(channel_id))
        .await
}

/// A row of a public list: the live copy of an article as placed in one channel.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ListItem {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub cover: String,
    pub link_url: String,
    pub source: String,
    pub doc_number: String,
    pub validity: String,
    pub pub_at: i64,
    pub pinned: bool,
    pub channel_id: i64,
    pub org_id: Option<i64>,
}

const LIST_COLS: &str = "a.id, a.title, a.summary, a.cover, a.link_url, a.source, a.doc_number, a.validity, p.pub_at, p.pinned, a.channel_id, a.org_id";

pub async fn channel_items(db: &Db, channel_id: i64, limit: i64, offset: i64) -> DbResult<Vec<ListItem>> {
    db.fetch_all(
        sql(format!(
            "SELECT {LIST_COLS} FROM (SELECT article_id, pub_at, pinned, pin_order FROM placement \
             WHERE channel_id = $1 AND live = TRUE ORDER BY pinned DESC, pin_order DESC, pub_at DESC, article_id DESC LIMIT $2 OFFSET $3) p \
             JOIN article a ON a.id = p.article_id ORDER BY p.pinned DESC, p.pin_order DESC, p.pub_at DESC, p.article_id DESC"
        ))
        .bind(channel_id)
        .bind(limit)
        .bind(offset),
    )
    .await
}

pub async fn channel_count(db: &Db, channel_id: i64) -> DbResult<i64> {
    db.count(sql("SELECT COUNT(*) FROM placement WHERE channel_id = $1 AND live").bind(channel_id)).await
}

/// Newest live items across a site (sitemap, feeds of the whole site).
pub async fn site_items(db: &Db, site_id: i64, limit: i64, offset: i64) -> DbResult<Vec<ListItem>> {
    db.fetch_all(
        sql(format!(
            "SELECT {LIST_COLS} FROM (SELECT article_id, pub_at, pinned FROM placement WHERE site_id = $1 AND live = TRUE \
             ORDER BY pub_at DESC, article_id DESC LIMIT $2 OFFSET $3) p JOIN article a ON a.id = p.article_id ORDER BY p.pub_at DESC, p.article_id DESC"
        ))
        .bind(site_id)
        .bind(limit)
        .bind(offset),
    )
    .await
}

/// The neighbours of an article in a channel's list order (previous = newer, next = older).
pub async fn neighbours(
    db: &Db,
    channel_id: i64,
    pub_at: i64,
    id: i64,
) -> DbResult<(Option<ListItem>, Option<ListItem>)> {
    let newer: Option<ListItem> = db
        .fetch_optional(
            sql(format!(
                "SELECT {LIST_COLS} FROM (SELECT article_id, pub_at, pinned FROM placement WHERE channel_id = $1 AND live = TRUE \
                 AND (pub_at, article_id) > ($2, $3) ORDER BY pub_at ASC, article_id ASC LIMIT 1) p JOIN article a ON a.id = p.article_id"
            ))
            .bind(channel_id)
            .bind(pub_at)
            .bind(id),
        )
        .await?;
    let older: Option<ListItem> = db
        .fetch_optional(
            sql(format!(
                "SELECT {LIST_COLS} FROM (SELECT article_id, pub_at, pinned FROM placement WHERE channel_id = $1 AND live = TRUE \
                 AND (pub_at, article_id) < ($2, $3) ORDER BY pub_at DESC, article_id DESC LIMIT 1) p JOIN article a ON a.id = p.article_id"
            ))
            .bind(channel_id)
            .bind(pub_at)
            .bind(id),
        )
        .await?;
    Ok((newer, older))
}

/// How many of a channel's first items (in list order) are kept in memory: the first pages of
/// its list, the blocks on the home page, and the window related reading looks in (related
/// reading is about current matters; the bound keeps the set small).
pub const RECENT_WINDOW: i64 = 200;

/// A list item with its keywords (what related reading matches on).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecentItem {
    #[sqlx(flatten)]
    pub item: ListItem,
    pub keywords: String,
}

/// A channel's first [`RECENT_WINDOW`] live items in list order (the order of [`channel_items`]).
pub async fn channel_recent(db: &Db, channel_id: i64) -> DbResult<Vec<RecentItem>> {
    db.fetch_all(
        sql(format!(
            "SELECT {LIST_COLS}, a.keywords FROM (SELECT article_id, pub_at, pinned, pin_order FROM placement \
             WHERE channel_id = $1 AND live = TRUE ORDER BY pinned DESC, pin_order DESC, pub_at DESC, article_id DESC LIMIT $2) p \
             JOIN article a ON a.id = p.article_id ORDER BY p.pinned DESC, p.pin_order DESC, p.pub_at DESC, p.article_id DESC"
        ))
        .bind(channel_id)
        .bind(RECENT_WINDOW),
    )
    .await
}

/// Back-office article list with filters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ArticleFilter {
    pub site_id: Option<i64>,
    pub channel_id: Option<i64>,
    /// Only these channels (what the user may edit); `None`: every channel.
    pub channels: Option<Vec<i64>>,
    pub state: String,
    pub review_state: String,
    pub created_by: Option<i64>,
    pub q: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AdminRow {
    pub id: i64,
    pub site_id: i64,
    pub channel_id: i64,
    pub org_id: Option<i64>,
    pub title: String,
    pub state: String,
    pub review_state: String,
    pub review_step: i64,
    pub pub_at: i64,
    pub updated_at: i64,
    pub created_by: i64,
}

fn admin_filtered(base: &str, f: &ArticleFilter) -> platform::db::Q {
    let mut q = sql(base.to_owned()).push(" WHERE 1=1");
    if let Some(s) = f.site_id {
        q = q.push(" AND site_id = ").push_bind(s);
    }
    if let Some(c) = f.channel_id {
        q = q.push(" AND channel_id = ").push_bind(c);
    }
    q = q.and_within("channel_id", f.channels.as_deref());
    if !f.state.is_empty() {
        q = q.push(" AND state = ").push_bind(f.state.clone());
    }
    if !f.review_state.is_empty() {
        q = q.push(" AND review_state = ").push_bind(f.review_state.clone());
    }
    if let Some(u) = f.created_by {
        q = q.push(" AND created_by = ").push_bind(u);
    }
    if !f.q.trim().is_empty() {
        q = q.push(" AND title LIKE ").push_bind(format!("%{}%", f.q.trim().replace(['%', '_'], "")));
    }
    q
}

pub async fn admin_list(db: &Db, f: &ArticleFilter, limit: i64, offset: i64) -> DbResult<(Vec<AdminRow>, i64)> {
    let total = db.count(admin_filtered("SELECT COUNT(*) FROM article", f)).await?;
    let rows = db
        .fetch_all(
            admin_filtered("SELECT id, site_id, channel_id, org_id, title, state, review_state, review_step, pub_at, updated_at, created_by FROM article", f)
                .push(" ORDER BY updated_at DESC, id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset),
        )
        .await?;
    Ok((rows, total))
}

/// Articles waiting in review (the reviewer's queue is filtered further by step approvers).
pub async fn in_review(db: &Db, limit: i64) -> DbResult<Vec<Article>> {
    db.fetch_all(sql("SELECT * FROM article WHERE review_state = 'in_review' ORDER BY updated_at LIMIT $1").bind(limit))
        .await
}

pub async fn due_scheduled(db: &Db, at: i64) -> DbResult<Vec<Article>> {
    db.fetch_all(sql("SELECT * FROM article WHERE state = 'scheduled' AND scheduled_at IS NOT NULL AND scheduled_at <= $1 LIMIT 100").bind(at)).await
}

pub async fn due_unpublish(db: &Db, at: i64) -> DbResult<Vec<Article>> {
    db.fetch_all(sql("SELECT * FROM article WHERE state = 'published' AND unpublish_at IS NOT NULL AND unpublish_at <= $1 LIMIT 100").bind(at)).await
}

pub async fn count_view(db: &Db, id: i64) -> DbResult<()> {
    db.execute(sql("UPDATE article SET views = views + 1 WHERE id = $1").bind(id)).await?;
    Ok(())
}

// ---- attachments -----------------------------------------------------------------------------------

/// An uploaded file to record; the stored name is its SHA-256 (see `files`).
pub struct NewAttachment<'a> {
    pub article_id: Option<i64>,
    pub filename: &'a str,
    pub mime: &'a str,
    pub size: i64,
    pub sha: &'a str,
    pub user: i64,
    /// Extracted text for search (see `extract`); empty when none.
    pub text: &'a str,
}

/// Records an uploaded file.
pub async fn insert_attachment(db: &Db, f: &NewAttachment<'_>) -> DbResult<i64> {
    let id: Id = db
        .fetch_one(
            sql("INSERT INTO attachment (article_id, filename, stored_name, mime, size, sha256, uploaded_by, created_at, text) VALUES ($1,$2,$3,$4,$5,$3,$6,$7,$8) RETURNING id")
                .bind(f.article_id)
                .bind(f.filename)
                .bind(f.sha)
                .bind(f.mime)
                .bind(f.size)
                .bind(f.user)
                .bind(now())
                .bind(f.text),
        )
        .await?;
    Ok(id.0)
}

pub async fn attachments(db: &Db, article_id: i64) -> DbResult<Vec<Attachment>> {
    db.fetch_all(sql("SELECT * FROM attachment WHERE article_id = $1 ORDER BY id").bind(article_id)).await
}

pub async fn attachment(db: &Db, id: i64) -> DbResult<Option<Attachment>> {
    db.fetch_optional(sql("SELECT * FROM attachment WHERE id = $1").bind(id)).await
}

pub async fn count_download(db: &Db, id: i64) -> DbResult<()> {
    db.execute(sql("UPDATE attachment SET downloads = downloads + 1 WHERE id = $1").bind(id)).await?;
    Ok(())
}

pub async fn delete_attachment(db: &Db, id: i64) -> DbResult<()> {
    db.execute(sql("DELETE FROM attachment WHERE id = $1").bind(id)).await?;
    Ok(())
}

// ---- templates ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TemplateVersion {
    pub id: i64,
    pub site_id: i64,
    pub name: String,
    pub version: i64,
    pub source: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The live override of each template name for a site (highest version).
pub async fn live_templates(db: &Db, site_id: i64) -> DbResult<Vec<TemplateVersion>> {
    db.fetch_all(
        sql("SELECT t.* FROM site_template t WHERE t.site_id = $1 AND t.version = (SELECT MAX(version) FROM site_template x WHERE x.site_id = t.site_id AND x.name = t.name)")
            .bind(site_id),
    )
    .await
}

pub async fn template_versions(db: &Db, site_id: i64, name: &str) -> DbResult<Vec<TemplateVersion>> {
    db.fetch_all(
        sql("SELECT * FROM site_template WHERE site_id = $1 AND name = $2 ORDER BY version DESC")
            .bind(site_id)
            .bind(name),
    )
    .await
}

pub async fn save_template(db: &Db, site_id: i64, name: &str, source: &str, by: &str) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    #[derive(sqlx::FromRow)]
    struct N(i64);
    let n: N = tx
        .fetch_one(
            sql("SELECT COALESCE(MAX(version), 0) + 1 FROM site_template WHERE site_id = $1 AND name = $2")
                .bind(site_id)
                .bind(name),
        )
        .await?;
    tx.execute(
        sql("INSERT INTO site_template (site_id, name, version, source, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(site_id).bind(name).bind(n.0).bind(source).bind(by).bind(now()),
    )
    .await?;
    tx.commit().await?;
    Ok(n.0)
}

// ---- quotas and change feed ------------------------------------------------------------------------

pub async fn set_quota(db: &Db, org_id: i64, year: i64, target: i64) -> DbResult<()> {
    db.execute(
        sql("INSERT INTO publish_quota (org_id, year, target) VALUES ($1,$2,$3) ON CONFLICT (org_id, year) DO UPDATE SET target = excluded.target")
            .bind(org_id).bind(year).bind(target),
    )
    .await?;
    Ok(())
}

/// Appends cache tags to the change feed that every node follows.
pub async fn publish_change(db: &Db, tags: &[String]) -> DbResult<()> {
    db.execute(sql("INSERT INTO content_change (tags, at) VALUES ($1, $2)").bind(tags.join(" ")).bind(now())).await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct Change {
    pub id: i64,
    pub tags: String,
}

pub async fn changes_after(db: &Db, after: i64) -> DbResult<Vec<Change>> {
    db.fetch_all(sql("SELECT id, tags FROM content_change WHERE id > $1 ORDER BY id LIMIT 1000").bind(after)).await
}

pub async fn last_change_id(db: &Db) -> DbResult<i64> {
    db.count(sql("SELECT COALESCE(MAX(id), 0) FROM content_change")).await
}

pub async fn prune_changes(db: &Db, older_than: i64) -> DbResult<u64> {
    db.execute(sql("DELETE FROM content_change WHERE at < $1").bind(older_than)).await
}

platform::template_value!(
    Site,
    Channel,
    Article,
    Fields,
    Revision,
    Event,
    Placement,
    Attachment,
    TemplateVersion,
    ListItem,
    AdminRow
);

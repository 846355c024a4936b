//! CMS operations shared by the back office and the JSON API. Each checks the caller's scoped
//! permission on the server, validates input into field errors, writes, records the audit entry and
//! article history, and announces the cache tags it changed (locally at once, to other nodes through
//! the change feed).

use platform::accounts;
use platform::db::now;
use platform::roles::{Perm, ResourceScope};
use platform::web::{AppError, AppState, Auth, Ctx, FieldError};
use serde::{Deserialize, Serialize};

use crate::Cms;
use crate::domain::{self, Action, Approver, Effect, PubState, ReviewState, Status};
use crate::sanitize;
use crate::store::{self, Article, Channel, Fields, Site};

// ---- scopes ----------------------------------------------------------------------------------------

pub async fn channel_scope(state: &AppState, c: &Channel) -> Result<ResourceScope, AppError> {
    let channels = store::channels_of(&state.db, c.site_id).await?;
    let orgs = match c.dept_org_id {
        Some(o) => accounts::org_chain(&accounts::list_orgs(&state.db).await?, o),
        None => Vec::new(),
    };
    Ok(ResourceScope { site: Some(c.site_id), channels: store::channel_chain(&channels, c.id), orgs })
}

pub async fn article_scope(state: &AppState, a: &Article) -> Result<ResourceScope, AppError> {
    let channels = store::channels_of(&state.db, a.site_id).await?;
    let orgs = match a.org_id {
        Some(o) => accounts::org_chain(&accounts::list_orgs(&state.db).await?, o),
        None => Vec::new(),
    };
    Ok(ResourceScope { site: Some(a.site_id), channels: store::channel_chain(&channels, a.channel_id), orgs })
}

/// Announces changed cache tags: drops them here at once and queues them for other nodes.
pub async fn announce(state: &AppState, cms: &Cms, tags: Vec<String>) {
    let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
    // The data pages are built from first, then the pages themselves.
    cms.apply_tags(&refs);
    cms.cache.invalidate(&refs);
    (cms.on_change)(&refs);
    if let Err(e) = store::publish_change(&state.db, &tags).await {
        tracing::error!(error = %e, "change feed write failed");
    }
}

/// Announces an article's first publication to the subscribers of its columns (a republished
/// edit is not news: `changes::announce` records each article once).
async fn tell_subscribers(state: &AppState, a: &Article, fields: &Fields) {
    let places = store::placements(&state.db, a.id).await.unwrap_or_default();
    let summary = if fields.summary.trim().is_empty() {
        crate::sanitize::plain_text(&fields.body).chars().take(120).collect()
    } else {
        fields.summary.trim().to_owned()
    };
    let change = platform::changes::Change {
        source: format!("article:{}", a.id),
        site_id: a.site_id,
        path: format!("a/{}.html", a.id),
        title: fields.title.clone(),
        summary,
        topics: places.iter().map(|p| format!("channel:{}", p.channel_id)).collect(),
        published_at: now(),
    };
    if let Err(e) = platform::changes::announce(&state.db, &change).await {
        tracing::error!(error = %e, article = a.id, "subscription announcement failed");
    }
}

pub async fn article_tags(state: &AppState, a: &Article) -> Vec<String> {
    let mut tags = vec![format!("a:{}", a.id)];
    for p in store::placements(&state.db, a.id).await.unwrap_or_default() {
        tags.push(format!("c:{}", p.channel_id));
        tags.push(format!("sitemap:{}", p.site_id));
    }
    tags.sort();
    tags.dedup();
    tags
}

// ---- sites -----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["name", "kind", "site_id_code", "sponsor", "contact", "icp", "psb", "error_link"]))]
pub struct SiteInput {
    /// 站点代码（新建时填写，之后不变）：2–20 位小写字母、数字或短横线
    #[schemars(regex(pattern = r"^[a-z0-9-]{2,20}$"))]
    pub code: String,
    /// 站点名称
    #[schemars(regex(pattern = r"\S"))]
    pub name: String,
    /// 站点类型：portal 政府门户网站、department 部门网站、district 区县网站、audience 服务对象子站、topic 专题网站
    #[schemars(extend("enum" = ["portal", "department", "district", "audience", "topic"]))]
    pub kind: String,
    /// 网站标识码：10 位数字，或 bm 加 8 位数字
    #[schemars(regex(pattern = r"^(\d{10}|bm\d{8})$"))]
    pub site_id_code: String,
    /// 独立域名（可空）
    pub host: String,
    /// 路径前缀，如 /kjj（可空）
    #[schemars(regex(pattern = r"^$|^/[a-z0-9-]+/?$"))]
    pub path_prefix: String,
    /// 主管单位代码（可空）
    pub owner_org_code: String,
    /// 主办单位
    #[schemars(regex(pattern = r"\S"))]
    pub sponsor: String,
    /// 联系方式
    #[schemars(regex(pattern = r"\S"))]
    pub contact: String,
    /// ICP 备案号
    #[schemars(regex(pattern = r"\S"))]
    pub icp: String,
    /// 公安机关备案号
    #[schemars(regex(pattern = r"\S"))]
    pub psb: String,
    /// 网站纠错链接（“我为政府网站找错”入口）：http(s) 地址或站内路径
    #[schemars(regex(pattern = platform::web::api::LINK))]
    pub error_link: String,
    pub description: String,
    pub locale: String,
    /// 首页模块：其他子系统提供的首页区块，按显示顺序（如 services.popular 热门办事事项、
    /// services.gongshi 办件公示、letters.answered 最新答复）
    pub home_blocks: Vec<String>,
}

async fn site_from_input(state: &AppState, input: &SiteInput, existing: Option<&Site>) -> Result<Site, AppError> {
    let mut errs = Vec::new();
    let code = existing.map_or_else(|| input.code.trim().to_owned(), |s| s.code.clone());
    if existing.is_none()
        && let Err(m) = domain::check_site_code(&code)
    {
        errs.push(FieldError::new("code", m));
    }
    let req = |v: &str, field: &str, label: &str, errs: &mut Vec<FieldError>| {
        if v.trim().is_empty() {
            errs.push(FieldError::new(field, format!("请填写{label}")));
        }
    };
    req(&input.name, "name", "站点名称", &mut errs);
    req(&input.sponsor, "sponsor", "主办单位", &mut errs);
    req(&input.contact, "contact", "联系方式", &mut errs);
    req(&input.icp, "icp", "ICP备案号", &mut errs);
    req(&input.psb, "psb", "公安机关备案号", &mut errs);
    if let Err(m) = domain::check_site_id_code(input.site_id_code.trim()) {
        errs.push(FieldError::new("site_id_code", m));
    }
    if !domain::SITE_KINDS.iter().any(|(k, _)| *k == input.kind) {
        errs.push(FieldError::new("kind", "请选择站点类型"));
    }
    let prefix = input.path_prefix.trim().trim_end_matches('/').to_owned();
    if !(prefix.is_empty()
        || (prefix.starts_with('/')
            && prefix[1..].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && prefix.len() > 1))
    {
        errs.push(FieldError::new("path_prefix", "路径前缀应为空（主站）或形如 /kjj 的小写字母、数字"));
    } else if let Some(owner) = state.prefix_owner(&prefix) {
        errs.push(FieldError::new("path_prefix", format!("路径 {prefix} 已由「{owner}」使用，请换一个前缀")));
    }
    let host = input.host.trim().to_lowercase();
    if !host.is_empty() && !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':') {
        errs.push(FieldError::new("host", "域名格式不正确"));
    }
    if input.error_link.trim().is_empty() {
        errs.push(FieldError::new("error_link", "请填写网站纠错链接（“我为政府网站找错”入口）"));
    } else if let Err(m) = domain::check_link(&input.error_link) {
        errs.push(FieldError::new("error_link", m));
    }
    let owner = if input.owner_org_code.trim().is_empty() {
        None
    } else {
        match accounts::org_by_code(&state.db, input.owner_org_code.trim()).await? {
            Some(o) => Some(o.id),
            None => {
                errs.push(FieldError::new("owner_org_code", "找不到该单位"));
                None
            }
        }
    };
    let offered = state.modules.home_block_kinds();
    let mut blocks: Vec<&str> = Vec::new();
    for key in input.home_blocks.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if !offered.iter().any(|b| b.key == key) {
            errs.push(FieldError::new("home_blocks", format!("没有名为“{key}”的首页模块")));
        } else if !blocks.contains(&key) {
            blocks.push(key);
        }
    }
    // Two sites must not claim the same prefix or host.
    for other in store::sites(&state.db).await? {
        if existing.is_some_and(|e| e.id == other.id) {
            continue;
        }
        if other.path_prefix == prefix && (host.is_empty() || other.host.as_deref().unwrap_or("") == host) {
            errs.push(FieldError::new("path_prefix", format!("路径前缀已被“{}”使用", other.name)));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    Ok(Site {
        id: existing.map_or(0, |s| s.id),
        code,
        name: input.name.trim().into(),
        kind: input.kind.clone(),
        site_id_code: input.site_id_code.trim().into(),
        host: (!host.is_empty()).then_some(host),
        path_prefix: prefix,
        owner_org_id: owner,
        template_set: "default".into(),
        locale: if input.locale.is_empty() { "zh-CN".into() } else { input.locale.clone() },
        sponsor: input.sponsor.trim().into(),
        contact: input.contact.trim().into(),
        icp: input.icp.trim().into(),
        psb: input.psb.trim().into(),
        error_link: input.error_link.trim().into(),
        description: input.description.trim().into(),
        sort_order: existing.map_or(0, |s| s.sort_order),
        home_blocks: blocks.join(" "),
    })
}

pub async fn create_site(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    input: &SiteInput,
) -> Result<i64, AppError> {
    auth.require(Perm::SiteManage, &ResourceScope::platform())?;
    let site = site_from_input(state, input, None).await?;
    let id = store::insert_site(&state.db, &site).await?;
    state
        .audit(
            ctx,
            "site.create",
            &format!("site:{}", site.code),
            "success",
            format!("新建站点 {}（{}）", site.name, site.site_id_code),
        )
        .await;
    announce(state, cms, vec![format!("site:{id}")]).await;
    Ok(id)
}

pub async fn update_site(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &SiteInput,
) -> Result<(), AppError> {
    auth.require_anywhere(Perm::SiteManage)?;
    let old = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
    auth.require(Perm::SiteManage, &ResourceScope::site(id))?;
    let site = site_from_input(state, input, Some(&old)).await?;
    store::update_site(&state.db, &site).await?;
    state
        .audit(ctx, "site.update", &format!("site:{}", old.code), "success", format!("修改站点 {} 的设置", site.name))
        .await;
    announce(state, cms, vec![format!("site:{id}")]).await;
    Ok(())
}

// ---- channels ----------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["name", "slug", "kind", "update_class"]))]
pub struct ChannelInput {
    /// 上级栏目（空为顶级）
    #[schemars(range(min = 1))]
    pub parent_id: Option<i64>,
    /// 栏目名称
    #[schemars(regex(pattern = r"\S"))]
    pub name: String,
    /// 栏目标识：1–40 位小写字母、数字或短横线
    #[schemars(regex(pattern = r"^[a-z0-9-]{1,40}$"))]
    pub slug: String,
    /// 栏目类型：list 信息列表、page 单页、link 外部链接、topic 专题
    #[schemars(extend("enum" = ["list", "page", "link", "topic"]))]
    pub kind: String,
    pub sort_order: Option<i64>,
    /// 责任部门代码（可空）
    pub dept_org_code: String,
    /// 更新要求：news 动态要闻类（2周）、notice 通知公告类（6个月）、plan 规划计划类（1年）、none 不要求
    #[schemars(extend("enum" = ["news", "notice", "plan", "none"]))]
    pub update_class: String,
    pub link_url: String,
    pub body: String,
    pub description: String,
    pub banner: String,
    pub archived: bool,
    pub show_on_home: bool,
    pub workflow: String,
}

async fn channel_from_input(
    state: &AppState,
    site_id: i64,
    input: &ChannelInput,
    own_id: Option<i64>,
) -> Result<Channel, AppError> {
    let mut errs = Vec::new();
    if input.name.trim().is_empty() {
        errs.push(FieldError::new("name", "请填写栏目名称"));
    }
    let slug = input.slug.trim().to_lowercase();
    if !(1..=40).contains(&slug.len())
        || !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errs.push(FieldError::new("slug", "栏目标识应为 1–40 位小写字母、数字或短横线，如 tzgg"));
    }
    if !domain::CHANNEL_KINDS.iter().any(|(k, _)| *k == input.kind) {
        errs.push(FieldError::new("kind", "请选择栏目类型"));
    }
    if !domain::UPDATE_CLASSES.iter().any(|(k, _, _)| *k == input.update_class) {
        errs.push(FieldError::new("update_class", "请选择更新要求"));
    }
    if input.kind == "link"
        && let Err(m) = domain::check_link(&input.link_url)
    {
        errs.push(FieldError::new("link_url", m));
    }
    if let Err(m) = domain::parse_steps(&input.workflow) {
        errs.push(FieldError::new("workflow", m));
    }
    let channels = store::channels_of(&state.db, site_id).await?;
    if let Some(p) = input.parent_id {
        if !channels.iter().any(|c| c.id == p) {
            errs.push(FieldError::new("parent_id", "上级栏目不属于本站"));
        } else if let Some(own) = own_id
            && store::channel_chain(&channels, p).contains(&own)
        {
            errs.push(FieldError::new("parent_id", "上级栏目不能是本栏目或其下级"));
        }
    }
    let dept = if input.dept_org_code.trim().is_empty() {
        None
    } else {
        match accounts::org_by_code(&state.db, input.dept_org_code.trim()).await? {
            Some(o) => Some(o.id),
            None => {
                errs.push(FieldError::new("dept_org_code", "找不到该单位"));
                None
            }
        }
    };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let body = sanitize::clean_body(&input.body, &mut |_| None);
    Ok(Channel {
        id: own_id.unwrap_or(0),
        site_id,
        parent_id: input.parent_id,
        name: input.name.trim().into(),
        slug,
        kind: input.kind.clone(),
        sort_order: input.sort_order.unwrap_or(channels.len() as i64 * 10),
        dept_org_id: dept,
        update_class: input.update_class.clone(),
        link_url: input.link_url.trim().into(),
        body,
        description: input.description.trim().into(),
        banner: input.banner.trim().into(),
        archived: input.archived,
        show_on_home: input.show_on_home,
        workflow: input.workflow.trim().into(),
    })
}

pub async fn create_channel(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    site_id: i64,
    input: &ChannelInput,
) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::ChannelManage)?;
    let site = store::site(&state.db, site_id).await?.ok_or(AppError::NotFound)?;
    // A new top-level channel needs the site; a child channel, the parent's subtree.
    let scope = match input.parent_id.and_then(|p| (p > 0).then_some(p)) {
        Some(p) => match store::channel(&state.db, p).await? {
            Some(parent) if parent.site_id == site_id => channel_scope(state, &parent).await?,
            _ => ResourceScope::site(site_id),
        },
        None => ResourceScope::site(site_id),
    };
    auth.require(Perm::ChannelManage, &scope)?;
    let c = channel_from_input(state, site_id, input, None).await?;
    let id = store::insert_channel(&state.db, &c).await?;
    state
        .audit(
            ctx,
            "channel.create",
            &format!("channel:{id}"),
            "success",
            format!("在 {} 新建栏目 {}", site.name, c.name),
        )
        .await;
    announce(state, cms, vec![format!("nav:{site_id}"), format!("site:{site_id}")]).await;
    Ok(id)
}

pub async fn update_channel(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &ChannelInput,
) -> Result<(), AppError> {
    auth.require_anywhere(Perm::ChannelManage)?;
    let old = store::channel(&state.db, id).await?.ok_or(AppError::NotFound)?;
    auth.require(Perm::ChannelManage, &channel_scope(state, &old).await?)?;
    let c = channel_from_input(state, old.site_id, input, Some(id)).await?;
    store::update_channel(&state.db, &c).await?;
    state
        .audit(
            ctx,
            "channel.update",
            &format!("channel:{id}"),
            "success",
            format!("修改栏目 {} → {}", old.name, c.name),
        )
        .await;
    announce(state, cms, vec![format!("nav:{}", old.site_id), format!("site:{}", old.site_id), format!("c:{id}")])
        .await;
    Ok(())
}

// ---- articles -------------------------------------------------------------------------------------

/// What the editor form and the API send.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
#[schemars(extend("required" = ["title"]))]
pub struct ArticleInput {
    /// 所属栏目
    #[schemars(range(min = 1))]
    pub channel_id: Option<i64>,
    /// 标题
    #[schemars(length(max = 200), regex(pattern = r"\S"))]
    pub title: String,
    pub subtitle: String,
    pub source: String,
    pub author: String,
    pub editor: String,
    pub summary: String,
    pub body: String,
    pub cover: String,
    /// 封面取正文第几张图片（从 1 起）；填写时优先于 cover。
    #[schemars(range(min = 1))]
    pub cover_image: Option<usize>,
    pub keywords: String,
    pub doc_number: String,
    pub link_url: String,
    /// 有效性：valid 有效、modified 已修改、repealed 已废止、expired 已失效（空为有效）
    #[schemars(extend("enum" = ["", "valid", "modified", "repealed", "expired"]))]
    pub validity: String,
    pub pinned: bool,
    pub pin_order: Option<i64>,
    /// `YYYY-MM-DD HH:MM` (Beijing); empty = time of publication.
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub pub_at: String,
    /// 定时发布时间 `YYYY-MM-DD HH:MM`（可空）
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub scheduled_at: String,
    /// 定时下线时间 `YYYY-MM-DD HH:MM`（可空）
    #[schemars(regex(pattern = platform::web::api::DATETIME_OR_EMPTY))]
    pub unpublish_at: String,
    pub is_repost: bool,
    /// The revision the editor started from, to warn about concurrent edits.
    pub base_revision: Option<i64>,
}

fn fields_from_input(
    input: &ArticleInput,
    store_image: &mut dyn FnMut(sanitize::InlineImage) -> Option<String>,
) -> Result<Fields, AppError> {
    let mut errs = Vec::new();
    let title = input.title.trim();
    if title.is_empty() {
        errs.push(FieldError::new("title", "请填写标题"));
    } else if title.chars().count() > 200 {
        errs.push(FieldError::new("title", "标题不能超过 200 个字"));
    }
    if input.is_repost && input.source.trim().is_empty() {
        errs.push(FieldError::new("source", "转载的信息必须注明来源"));
    }
    if !input.link_url.trim().is_empty()
        && let Err(m) = domain::check_link(&input.link_url)
    {
        errs.push(FieldError::new("link_url", m));
    }
    if !input.cover.trim().is_empty()
        && let Err(m) = domain::check_link(&input.cover)
    {
        errs.push(FieldError::new("cover", m));
    }
    if input.link_url.trim().is_empty() && sanitize::plain_text(&input.body).is_empty() && !input.body.contains("<img")
    {
        errs.push(FieldError::new("body", "请填写正文（外链信息请填写链接地址）"));
    }
    let validity = if input.validity.is_empty() { "valid".to_owned() } else { input.validity.clone() };
    if domain::Validity::parse(&validity).is_none() {
        errs.push(FieldError::new("validity", "请选择有效性"));
    }
    let mut when = |field: &str, v: &str| -> Option<i64> {
        if v.trim().is_empty() {
            return None;
        }
        let t = platform::parse_datetime(v);
        if t.is_none() {
            errs.push(FieldError::new(field, "时间格式应为 YYYY-MM-DD HH:MM"));
        }
        t
    };
    let pub_at = when("pub_at", &input.pub_at);
    let scheduled_at = when("scheduled_at", &input.scheduled_at);
    let unpublish_at = when("unpublish_at", &input.unpublish_at);
    if let (Some(s), Some(u)) = (scheduled_at, unpublish_at)
        && u <= s
    {
        errs.push(FieldError::new("unpublish_at", "下线时间应晚于定时发布时间"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let body = sanitize::clean_body(&input.body, store_image);
    let summary =
        if input.summary.trim().is_empty() { sanitize::excerpt(&body, 100) } else { input.summary.trim().to_owned() };
    Ok(Fields {
        title: title.to_owned(),
        subtitle: input.subtitle.trim().into(),
        source: input.source.trim().into(),
        author: input.author.trim().into(),
        editor: input.editor.trim().into(),
        summary,
        cover: input
            .cover_image
            .and_then(|n| sanitize::image_sources(&body).into_iter().nth(n.saturating_sub(1)))
            .unwrap_or_else(|| input.cover.trim().into()),
        body,
        keywords: input.keywords.trim().into(),
        doc_number: input.doc_number.trim().into(),
        link_url: input.link_url.trim().into(),
        validity,
        pinned: input.pinned,
        pin_order: input.pin_order.unwrap_or(0),
        pub_at,
        scheduled_at,
        unpublish_at,
        is_repost: input.is_repost,
    })
}

/// Stores pasted images under the data directory and returns their public URL.
fn image_store(cms: &Cms, user_id: i64) -> impl FnMut(sanitize::InlineImage) -> Option<String> + '_ {
    move |img| {
        let ext = match img.mime.as_str() {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            _ => "webp",
        };
        if img.bytes.len() > 10 << 20 {
            return None;
        }
        let _ = user_id;
        let name = crate::files::store_inline(&cms.files_dir, &img.bytes, ext).ok()?;
        crate::files::make_renditions(&cms.files_dir, &name, &img.bytes);
        Some(format!("/files/inline/{name}"))
    }
}

pub async fn create_article(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    input: &ArticleInput,
) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::ArticleEdit)?;
    let channel_id = input.channel_id.ok_or_else(|| AppError::invalid("channel_id", "请选择栏目"))?;
    let channel =
        store::channel(&state.db, channel_id).await?.ok_or_else(|| AppError::invalid("channel_id", "栏目不存在"))?;
    if channel.kind == "link" || channel.kind == "page" {
        return Err(AppError::invalid("channel_id", "单页和外部链接栏目不能发布信息"));
    }
    auth.require(Perm::ArticleEdit, &channel_scope(state, &channel).await?)?;
    let fields = fields_from_input(input, &mut image_store(cms, auth.user.id))?;
    // The department is the channel's responsible department, else the author's own unit.
    let org = channel.dept_org_id.or(auth.user.org_id);
    let id = store::create_article(&state.db, channel.site_id, channel.id, org, &fields, auth.user.id).await?;
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    store::record_event(&state.db, &a, "create", Some(auth.user.id), &auth.user.username, "").await?;
    state
        .audit(
            ctx,
            "article.create",
            &format!("article:{id}"),
            "success",
            format!("在栏目 {} 新建信息《{}》", channel.name, fields.title),
        )
        .await;
    Ok(id)
}

pub struct SaveOutcome {
    pub revision: i64,
}

pub async fn save_article(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    input: &ArticleInput,
) -> Result<SaveOutcome, AppError> {
    auth.require_anywhere(Perm::ArticleEdit)?;
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    auth.require(Perm::ArticleEdit, &article_scope(state, &a).await?)?;
    if let Some(base) = input.base_revision
        && base != a.latest_revision
    {
        let rev = store::revision(&state.db, a.latest_revision).await?;
        let who = match rev.as_ref().map(|r| r.created_by) {
            Some(uid) => accounts::user_by_id(&state.db, uid).await?.map(|u| u.display_name).unwrap_or_default(),
            None => String::new(),
        };
        let when = rev.map(|r| platform::fmt_time(r.created_at)).unwrap_or_default();
        return Err(AppError::Conflict(format!(
            "在您编辑期间，{who} 于 {when} 保存了新版本。为避免覆盖他人的修改，本次未保存；请先查看最新版本再修改。"
        )));
    }
    let status = status_of(&a)?;
    let (next, _) =
        domain::transition(status, Action::Save, 1, false, "").map_err(|e| AppError::Conflict(e.to_string()))?;
    let fields = fields_from_input(input, &mut image_store(cms, auth.user.id))?;
    let rev = store::add_revision(&state.db, id, &fields, auth.user.id, "保存").await?;
    let a2 = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if status != next {
        store::change_state(
            &state.db,
            store::StateChange {
                article: &a2,
                action: "save",
                publication: next.publication.code(),
                review: next.review.code(),
                step: i64::from(next.step),
                go_live: None,
                listed: None,
                withdraw_reason: None,
                actor_id: Some(auth.user.id),
                actor: &auth.user.username,
                comment: "修改后需重新审核",
            },
        )
        .await?;
    } else {
        store::record_event(&state.db, &a2, "save", Some(auth.user.id), &auth.user.username, "").await?;
    }
    state
        .audit(
            ctx,
            "article.save",
            &format!("article:{id}"),
            "success",
            format!("保存《{}》第 {rev} 号修订", fields.title),
        )
        .await;
    Ok(SaveOutcome { revision: rev })
}

/// The back-office article list a user sees: editors with a grant narrower than a site see their
/// own articles unless they pick one of their channels; site-wide editors see everything.
/// The back-office article list of a user: the articles of the channels they may edit
/// (`editable`; `None` for a group-wide grant), only their own when they ask for that.
pub fn article_list_filter(
    auth: &Auth,
    editable: Option<Vec<i64>>,
    channel_id: Option<i64>,
    mine: bool,
    state: String,
    review_state: String,
    q: String,
) -> store::ArticleFilter {
    store::ArticleFilter {
        site_id: None,
        channel_id,
        channels: editable,
        state,
        review_state,
        created_by: mine.then_some(auth.user.id),
        q,
    }
}

/// Which channels' articles a user's list shows: those they may edit (`editable`), or `None` (all)
/// when a global grant lets them edit every channel.
pub fn list_scope(auth: &Auth, editable: &[(store::Channel, String)]) -> Option<Vec<i64>> {
    let global = auth.grants.iter().any(|g| {
        matches!(g.scope, platform::roles::ScopeKind::Global) && g.role.permissions().contains(&Perm::ArticleEdit)
    });
    (!global).then(|| editable.iter().map(|(c, _)| c.id).collect())
}

/// Saves a site template version (a new one, or a restored old one), records it and makes it live
/// on every node.
#[allow(clippy::too_many_arguments)]
pub async fn save_site_template(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    site: &Site,
    name: &str,
    source: &str,
    restored_from: Option<i64>,
) -> Result<i64, AppError> {
    auth.require(Perm::TemplateManage, &ResourceScope::site(site.id))?;
    let version = store::save_template(&state.db, site.id, name, source, &auth.user.username).await?;
    let (action, summary) = match restored_from {
        Some(old) => ("template.restore", format!("恢复模板 {name} 第 {old} 版为第 {version} 版")),
        None => ("template.save", format!("保存模板 {name} 第 {version} 版")),
    };
    state.audit(ctx, action, &format!("site:{}/{name}", site.code), "success", summary).await;
    announce(state, cms, vec![format!("site:{}", site.id)]).await;
    cms.renderer.forget_site(site.id);
    Ok(version)
}

pub fn status_of(a: &Article) -> Result<Status, AppError> {
    Ok(Status {
        publication: PubState::parse(&a.state).ok_or_else(|| AppError::Internal(format!("bad state {}", a.state)))?,
        review: ReviewState::parse(&a.review_state)
            .ok_or_else(|| AppError::Internal(format!("bad review state {}", a.review_state)))?,
        step: u32::try_from(a.review_step).unwrap_or(0),
    })
}

pub async fn steps_for(state: &AppState, a: &Article) -> Result<Vec<domain::Step>, AppError> {
    let c = store::channel(&state.db, a.channel_id).await?.ok_or(AppError::NotFound)?;
    Ok(domain::parse_steps(&c.workflow).unwrap_or_else(|_| domain::default_steps()))
}

/// Whether `auth` may approve the step the article waits at.
pub async fn can_approve_step(
    state: &AppState,
    auth: &Auth,
    a: &Article,
    step: &domain::Step,
) -> Result<bool, AppError> {
    let scope = match &step.approver {
        Approver::Department => article_scope(state, a).await?,
        Approver::Org(o) => ResourceScope {
            site: Some(a.site_id),
            channels: vec![],
            orgs: accounts::org_chain(&accounts::list_orgs(&state.db).await?, *o),
        },
        Approver::Site => ResourceScope::site(a.site_id),
    };
    Ok(auth.can(Perm::ArticleReview, &scope))
}

/// The actions `auth` may take on the article now (for `actions` in the API and buttons in the UI).
pub async fn available_actions(state: &AppState, auth: &Auth, a: &Article) -> Result<Vec<Action>, AppError> {
    let status = status_of(a)?;
    let steps = steps_for(state, a).await?;
    let scope = article_scope(state, a).await?;
    let mut out = Vec::new();
    for action in Action::ALL.into_iter().filter(|a| a.is_manual()) {
        let future = a.scheduled_at.is_some_and(|t| t > now());
        if domain::transition(status, action, steps.len() as u32, future, "理由").is_err() {
            continue;
        }
        let ok = match action {
            Action::Save | Action::Submit => auth.can(Perm::ArticleEdit, &scope),
            Action::Approve | Action::Reject => {
                let step = steps.get(status.step.saturating_sub(1) as usize);
                let last_author = store::revision(&state.db, a.latest_revision).await?.map(|r| r.created_by);
                match step {
                    Some(s) => {
                        can_approve_step(state, auth, a, s).await?
                            && last_author != Some(auth.user.id)
                            && !store::approved_this_round(&state.db, a.id, auth.user.id).await?
                    }
                    None => false,
                }
            }
            Action::Withdraw | Action::Archive => auth.can(Perm::ArticlePublish, &scope),
            Action::PublishScheduled => false,
        };
        if ok {
            out.push(action);
        }
    }
    Ok(out)
}

/// Runs a state-machine action (`POST …/actions/{action}`).
pub async fn act(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    action: Action,
    comment: &str,
) -> Result<Article, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let scope = article_scope(state, &a).await?;
    let status = status_of(&a)?;
    let steps = steps_for(state, &a).await?;
    // Permission first (403), then whether the state allows it (409).
    match action {
        Action::Save => return Err(AppError::Conflict("保存请使用编辑表单或 PATCH 接口".into())),
        Action::PublishScheduled => {
            return Err(AppError::Forbidden("定时发布由系统按时执行".into()));
        }
        Action::Submit => auth.require(Perm::ArticleEdit, &scope)?,
        Action::Withdraw | Action::Archive => auth.require(Perm::ArticlePublish, &scope)?,
        Action::Approve | Action::Reject => {
            auth.require_anywhere(Perm::ArticleReview)?;
            if status.review == ReviewState::InReview {
                let step = steps
                    .get(status.step.saturating_sub(1) as usize)
                    .ok_or_else(|| AppError::Conflict("审核步骤已变更，请刷新".into()))?;
                if !can_approve_step(state, auth, &a, step).await? {
                    return Err(AppError::Forbidden(format!("当前步骤“{}”不由您审核", step.name)));
                }
                let last_author = store::revision(&state.db, a.latest_revision).await?.map(|r| r.created_by);
                if last_author == Some(auth.user.id) {
                    return Err(AppError::Forbidden("不能审核自己撰写或修改的信息".into()));
                }
                if action == Action::Approve && store::approved_this_round(&state.db, id, auth.user.id).await? {
                    return Err(AppError::Forbidden("同一审核人不能通过同一轮审核的两个步骤".into()));
                }
            }
        }
    }
    let next = transit(state, cms, &a, action, comment, auth.user.id, &auth.user.username, true).await?;
    let step_name = if action == Action::Approve && status.step > 0 {
        steps.get(status.step as usize - 1).map(|s| s.name.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    state
        .audit(
            ctx,
            &format!("article.{}", action.code()),
            &format!("article:{id}"),
            "success",
            format!(
                "《{}》{}{}{}：{} → {}",
                a.title,
                action.label(),
                if step_name.is_empty() { "" } else { "（" },
                if step_name.is_empty() { String::new() } else { format!("{step_name}）") },
                status_label(status),
                status_label(next)
            ) + &if comment.is_empty() { String::new() } else { format!("；意见：{comment}") },
        )
        .await;
    store::article(&state.db, id).await?.ok_or(AppError::NotFound)
}

/// Moves an article by `action` once it is allowed: the pre-publication gate on submission, the
/// transition, its effects, a schedule kept; subscribers are told of a first publication when
/// `tell`. Returns the new status.
#[allow(clippy::too_many_arguments)]
async fn transit(
    state: &AppState,
    cms: &Cms,
    a: &Article,
    action: Action,
    comment: &str,
    user_id: i64,
    username: &str,
    tell: bool,
) -> Result<Status, AppError> {
    let status = status_of(a)?;
    let steps = steps_for(state, a).await?;
    let fields = store::latest_fields(&state.db, a).await?;
    let future = fields.scheduled_at.is_some_and(|t| t > now());
    let (next, effect) =
        domain::transition(status, action, steps.len() as u32, future, comment).map_err(|e| match e {
            domain::TransitionError::CommentRequired(_) => AppError::invalid("comment", e.to_string()),
            other => AppError::Conflict(other.to_string()),
        })?;
    // 发布前检查: what must be fixed stops the submission with every problem listed.
    if action == Action::Submit
        && let Some(e) = crate::compliance::blocking_error(&crate::compliance::gate(state, cms, a, &fields).await?)
    {
        return Err(e);
    }
    apply(state, cms, a, action, next, effect, &fields, Some(user_id), username, comment, tell).await?;
    if next.publication == PubState::Scheduled {
        store::set_schedule(&state.db, a.id, fields.scheduled_at, fields.unpublish_at).await?;
    }
    Ok(next)
}

/// Submits an article an import wrote (文库) as its importer pressing 提交 would: through the
/// pre-publication gate to the channel's review. With `publish` (documents already issued; the
/// caller checked that the importer may publish there) the importer then passes each review step,
/// every one recorded in the history with the reason — and subscribers are not alerted: documents
/// issued long ago, arriving by the thousand, are not news. The caller audits.
pub async fn submit_imported(
    state: &AppState,
    cms: &Cms,
    id: i64,
    user_id: i64,
    username: &str,
    publish: bool,
) -> Result<Status, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut next = transit(state, cms, &a, Action::Submit, "", user_id, username, true).await?;
    while publish && next.review == ReviewState::InReview {
        let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
        let why = "文库导入：已正式印发的文件，批量发布";
        next = transit(state, cms, &a, Action::Approve, why, user_id, username, false).await?;
    }
    Ok(next)
}

pub fn status_label(s: Status) -> String {
    if s.review == ReviewState::InReview {
        format!("{}·{}第{}步", s.publication.label(), s.review.label(), s.step)
    } else {
        format!("{}·{}", s.publication.label(), s.review.label())
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    state: &AppState,
    cms: &Cms,
    a: &Article,
    action: Action,
    next: Status,
    effect: Effect,
    fields: &Fields,
    actor_id: Option<i64>,
    actor: &str,
    comment: &str,
    tell: bool,
) -> Result<(), AppError> {
    let (go_live, listed) = match effect {
        Effect::GoLive => (Some(fields), None),
        Effect::TakeDown | Effect::Unlist => (None, Some(false)),
        Effect::None => (None, None),
    };
    store::change_state(
        &state.db,
        store::StateChange {
            article: a,
            action: action.code(),
            publication: next.publication.code(),
            review: next.review.code(),
            step: i64::from(next.step),
            go_live,
            listed,
            withdraw_reason: (action == Action::Withdraw).then_some(comment),
            actor_id,
            actor,
            comment,
        },
    )
    .await?;
    if effect != Effect::None {
        announce(state, cms, article_tags(state, a).await).await;
    }
    if effect == Effect::GoLive && tell {
        tell_subscribers(state, a, fields).await;
    }
    Ok(())
}

/// Publishes scheduled articles whose time has come and takes down those whose end has come.
/// Runs every second on every node; the optimistic state check in `change_state` makes a second
/// node's attempt a harmless no-op.
pub async fn run_schedule(state: &AppState, cms: &Cms) {
    let t = now();
    for a in store::due_scheduled(&state.db, t).await.unwrap_or_default() {
        let fields = store::latest_fields(&state.db, &a).await.unwrap_or_default();
        system_transition(
            state,
            cms,
            &a,
            Action::PublishScheduled,
            &fields,
            "定时发布",
            "article.publish_scheduled",
            "按计划发布",
        )
        .await;
    }
    for a in store::due_unpublish(&state.db, t).await.unwrap_or_default() {
        system_transition(
            state,
            cms,
            &a,
            Action::Withdraw,
            &Fields::default(),
            "到期下线",
            "article.unpublish_scheduled",
            "到期下线",
        )
        .await;
    }
}

/// A transition the system makes on its own (the scheduler), recorded as user `system`.
#[allow(clippy::too_many_arguments)]
async fn system_transition(
    state: &AppState,
    cms: &Cms,
    a: &Article,
    action: Action,
    fields: &Fields,
    comment: &str,
    audit_action: &str,
    what: &str,
) {
    let Ok(status) = status_of(a) else { return };
    let Ok((next, effect)) = domain::transition(status, action, 1, false, comment) else { return };
    if apply(state, cms, a, action, next, effect, fields, None, "system", comment, true).await.is_ok() {
        let ev = platform::audit::Event {
            username: "system".into(),
            ip: "-".into(),
            action: audit_action.into(),
            target: format!("article:{}", a.id),
            outcome: "success".into(),
            summary: format!("《{}》{what}", a.title),
            ..Default::default()
        };
        if let Err(e) = platform::audit::record(&state.db, &state.audit_key, ev).await {
            tracing::error!(error = %e, "audit write failed");
        }
    }
}

/// 引用/推送: places an article in another channel (possibly on another site).
pub async fn place(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    channel_id: i64,
) -> Result<(), AppError> {
    auth.require_anywhere(Perm::ArticleEdit)?;
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let target =
        store::channel(&state.db, channel_id).await?.ok_or_else(|| AppError::invalid("channel_id", "栏目不存在"))?;
    auth.require(Perm::ArticleEdit, &channel_scope(state, &target).await?)?;
    if !PubState::parse(&a.state).is_some_and(|s| s.is_public() || s == PubState::Scheduled)
        && !auth.can(Perm::ArticleEdit, &article_scope(state, &a).await?)
    {
        return Err(AppError::NotFound);
    }
    store::add_placement(&state.db, &a, &target, auth.user.id).await?;
    store::record_event(
        &state.db,
        &a,
        "place",
        Some(auth.user.id),
        &auth.user.username,
        &format!("推送到栏目 {}", target.name),
    )
    .await?;
    state
        .audit(
            ctx,
            "article.place",
            &format!("article:{id}"),
            "success",
            format!("《{}》推送到栏目 {}（站点 {}）", a.title, target.name, target.site_id),
        )
        .await;
    announce(state, cms, vec![format!("c:{channel_id}"), format!("a:{id}"), format!("sitemap:{}", target.site_id)])
        .await;
    Ok(())
}

pub async fn unplace(
    state: &AppState,
    cms: &Cms,
    ctx: &Ctx,
    auth: &Auth,
    id: i64,
    channel_id: i64,
) -> Result<(), AppError> {
    auth.require_anywhere(Perm::ArticleEdit)?;
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if channel_id == a.channel_id {
        return Err(AppError::Conflict("不能移除信息的主栏目".into()));
    }
    let target = store::channel(&state.db, channel_id).await?.ok_or(AppError::NotFound)?;
    auth.require(Perm::ArticleEdit, &channel_scope(state, &target).await?)?;
    if store::remove_placement(&state.db, id, channel_id).await? == 0 {
        return Err(AppError::NotFound);
    }
    state
        .audit(
            ctx,
            "article.unplace",
            &format!("article:{id}"),
            "success",
            format!("《{}》从栏目 {} 撤下引用", a.title, target.name),
        )
        .await;
    announce(state, cms, vec![format!("c:{channel_id}"), format!("a:{id}"), format!("sitemap:{}", target.site_id)])
        .await;
    Ok(())
}

/// Restores an old revision as a new one (never rewrites history).
pub async fn restore(state: &AppState, ctx: &Ctx, auth: &Auth, id: i64, revision_id: i64) -> Result<i64, AppError> {
    auth.require_anywhere(Perm::ArticleEdit)?;
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    auth.require(Perm::ArticleEdit, &article_scope(state, &a).await?)?;
    let rev =
        store::revision(&state.db, revision_id).await?.filter(|r| r.article_id == id).ok_or(AppError::NotFound)?;
    let status = status_of(&a)?;
    let (next, _) =
        domain::transition(status, Action::Save, 1, false, "").map_err(|e| AppError::Conflict(e.to_string()))?;
    let new_rev =
        store::add_revision(&state.db, id, &rev.fields(), auth.user.id, &format!("恢复自第 {} 号修订", rev.rev_no))
            .await?;
    let a2 = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    store::change_state(
        &state.db,
        store::StateChange {
            article: &a2,
            action: "restore",
            publication: next.publication.code(),
            review: next.review.code(),
            step: 0,
            go_live: None,
            listed: None,
            withdraw_reason: None,
            actor_id: Some(auth.user.id),
            actor: &auth.user.username,
            comment: &format!("恢复第 {} 号修订", rev.rev_no),
        },
    )
    .await?;
    state
        .audit(
            ctx,
            "article.restore",
            &format!("article:{id}"),
            "success",
            format!("《{}》恢复第 {} 号修订", a.title, rev.rev_no),
        )
        .await;
    Ok(new_rev)
}

/// Marks that `auth` opened the edit form; returns who else has it open (within ten minutes).
pub async fn note_editing(state: &AppState, auth: &Auth, a: &Article) -> Result<Option<String>, AppError> {
    let other = match (a.editing_by, a.editing_at) {
        (Some(uid), Some(at)) if uid != auth.user.id && now() - at < 600 => {
            accounts::user_by_id(&state.db, uid).await?.map(|u| {
                format!(
                    "{}（{}）于 {} 打开了本信息的编辑页面，请注意避免相互覆盖。",
                    u.display_name,
                    u.username,
                    platform::fmt_time(at)
                )
            })
        }
        _ => None,
    };
    state
        .db
        .execute(
            platform::db::sql("UPDATE article SET editing_by = $1, editing_at = $2 WHERE id = $3")
                .bind(auth.user.id)
                .bind(now())
                .bind(a.id),
        )
        .await?;
    Ok(other)
}

platform::template_value!(SiteInput, ChannelInput, ArticleInput);

//! CMS back-office pages: sites and channel trees, the article list and editor, article detail with
//! review actions, history, revisions (compare, restore), placements and attachments; the review
//! queue; site template overrides with syntax check, preview and versions; publishing statistics.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::roles::{Perm, ResourceScope};
use platform::web::error::form_errors;
use platform::web::extract::{Form, Path, Query, form_with_lists};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other};
use serde::Deserialize;

use crate::Cms;
use crate::domain::{self, Action, PubState, ReviewState};
use crate::service::{self, ArticleInput, ChannelInput, SiteInput};
use crate::store::{self, Channel, Site};

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/cms/sites.html", include_str!("../templates/admin/sites.html")),
        ("admin/cms/site_form.html", include_str!("../templates/admin/site_form.html")),
        ("admin/cms/site.html", include_str!("../templates/admin/site.html")),
        ("admin/cms/channel_form.html", include_str!("../templates/admin/channel_form.html")),
        ("admin/cms/channel.html", include_str!("../templates/admin/channel.html")),
        ("admin/cms/articles.html", include_str!("../templates/admin/articles.html")),
        ("admin/cms/editor.html", include_str!("../templates/admin/editor.html")),
        ("admin/cms/article.html", include_str!("../templates/admin/article.html")),
        ("admin/cms/compare.html", include_str!("../templates/admin/compare.html")),
        ("admin/cms/review.html", include_str!("../templates/admin/review.html")),
        ("admin/cms/templates.html", include_str!("../templates/admin/templates.html")),
        ("admin/cms/template_edit.html", include_str!("../templates/admin/template_edit.html")),
        ("admin/cms/stats.html", include_str!("../templates/admin/stats.html")),
        ("admin/cms/search.html", include_str!("../templates/admin/search.html")),
        ("public/wk_index.html", include_str!("../templates/public/wk_index.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/cms/sites", get(sites_page).post(site_create))
        .route("/admin/cms/sites/{id}", get(site_page).post(site_update))
        .route("/admin/cms/sites/{id}/channels", post(channel_create))
        .route("/admin/cms/channels/{id}", get(channel_page).post(channel_update))
        .route("/admin/cms/articles", get(articles_page))
        .route("/admin/cms/articles/new", get(new_article_page).post(new_article_submit))
        .route("/admin/cms/articles/{id}", get(article_page))
        .route("/admin/cms/articles/{id}/edit", get(edit_page).post(edit_submit))
        .route("/admin/cms/articles/{id}/act", post(act_submit))
        .route("/admin/cms/articles/{id}/compare", get(compare_page))
        .route("/admin/cms/articles/{id}/restore/{rev}", post(restore_submit))
        .route("/admin/cms/articles/{id}/place", post(place_submit))
        .route("/admin/cms/articles/{id}/unplace/{channel}", post(unplace_submit))
        .route("/admin/cms/articles/{id}/attachments", post(upload).layer(DefaultBodyLimit::max(64 << 20)))
        .route("/admin/cms/attachments/{id}/delete", post(attachment_delete))
        .route("/admin/cms/review", get(review_page))
        .route("/admin/cms/sites/{id}/templates", get(templates_page))
        .route("/admin/cms/sites/{id}/templates/{name}", get(template_page).post(template_submit))
        .route("/admin/cms/sites/{id}/templates/{name}/restore/{version}", post(template_restore))
        .route("/admin/cms/stats", get(crate::stats::stats_page))
        .route("/admin/cms/stats/export.xlsx", get(crate::stats::stats_export))
        .route("/admin/cms/stats/quota", post(crate::stats::quota_submit))
        .route("/admin/cms/search", get(crate::search_admin::page))
        .route("/admin/cms/search/bestbets", post(crate::search_admin::add_bet))
        .route("/admin/cms/search/bestbets/{id}/delete", post(crate::search_admin::delete_bet))
        .route("/admin/cms/search/words", post(crate::search_admin::save_words))
        .route("/admin/cms/search/synonyms", post(crate::search_admin::save_synonyms))
        .route("/admin/cms/search/rebuild", post(crate::search_admin::rebuild_now))
        .route("/static/editor.js", get(editor_js))
        // Attachments are public once their article is; before that only staff who may edit or
        // review it see them, so the route resolves the session like the back office does.
        .route("/files/{id}/{name}", get(crate::public::download))
        .route(
            "/static/vendor/jodit/jodit.min.js",
            get(|h: axum::http::HeaderMap| async move { JODIT_JS.respond(&h, false) }),
        )
        .route(
            "/static/vendor/jodit/jodit.min.css",
            get(|h: axum::http::HeaderMap| async move { JODIT_CSS.respond(&h, false) }),
        )
}

type Ext = Extension<Arc<Cms>>;

fn label_of(list: &[(&str, &str)], code: &str) -> String {
    list.iter().find(|(k, _)| *k == code).map_or_else(|| code.to_owned(), |(_, l)| (*l).to_owned())
}

fn opts(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).collect()
}

async fn org_options(state: &AppState) -> Result<(Vec<(String, String)>, Vec<OrgUnit>), AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut o = vec![(String::new(), "（无）".to_owned())];
    for (u, depth) in platform::web::pages::org_tree(&orgs) {
        o.push((u.code.clone(), format!("{}{}", "　".repeat(depth), u.name)));
    }
    Ok((o, orgs))
}

fn site_url(s: &Site) -> String {
    format!("{}/", s.path_prefix)
}

/// Channels of all sites where `auth` holds `perm`, with their display path.
pub(crate) async fn channels_with(
    state: &AppState,
    auth: &Auth,
    perm: Perm,
) -> Result<Vec<(Channel, String)>, AppError> {
    let sites = store::sites(&state.db).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut out = Vec::new();
    for s in &sites {
        let chans = store::channels_of(&state.db, s.id).await?;
        for c in &chans {
            let scope = ResourceScope {
                site: Some(s.id),
                channels: store::channel_chain(&chans, c.id),
                orgs: c.dept_org_id.map(|o| accounts::org_chain(&orgs, o)).unwrap_or_default(),
            };
            if matches!(c.kind.as_str(), "list" | "topic") && auth.can(perm, &scope) {
                let mut path: Vec<String> = store::channel_chain(&chans, c.id)
                    .iter()
                    .rev()
                    .filter_map(|id| chans.iter().find(|x| x.id == *id).map(|x| x.name.clone()))
                    .collect();
                path.insert(0, s.name.clone());
                out.push((c.clone(), path.join(" / ")));
            }
        }
    }
    Ok(out)
}

fn channel_tree(channels: &[Channel]) -> Vec<(&Channel, usize)> {
    fn walk<'a>(all: &'a [Channel], parent: Option<i64>, depth: usize, out: &mut Vec<(&'a Channel, usize)>) {
        for c in all.iter().filter(|c| c.parent_id == parent) {
            if out.iter().any(|(x, _)| x.id == c.id) || depth > 20 {
                continue;
            }
            out.push((c, depth));
            walk(all, Some(c.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(channels, None, 0, &mut out);
    out
}

// ---- sites ------------------------------------------------------------------------------------------

fn site_input(s: &Site, orgs: &[OrgUnit]) -> SiteInput {
    SiteInput {
        code: s.code.clone(),
        name: s.name.clone(),
        kind: s.kind.clone(),
        site_id_code: s.site_id_code.clone(),
        host: s.host.clone().unwrap_or_default(),
        path_prefix: s.path_prefix.clone(),
        owner_org_code: s
            .owner_org_id
            .and_then(|o| orgs.iter().find(|x| x.id == o))
            .map(|o| o.code.clone())
            .unwrap_or_default(),
        sponsor: s.sponsor.clone(),
        contact: s.contact.clone(),
        icp: s.icp.clone(),
        psb: s.psb.clone(),
        error_link: s.error_link.clone(),
        description: s.description.clone(),
        locale: s.locale.clone(),
        home_blocks: s.home_blocks.split_whitespace().map(str::to_owned).collect(),
    }
}

/// The home-page blocks the modules offer, as the site form lists them.
fn block_options(state: &AppState) -> Vec<(String, String)> {
    state.modules.home_block_kinds().into_iter().map(|b| (b.key.to_owned(), b.label.to_owned())).collect()
}

async fn sites_context(
    state: &AppState,
    staff: &Staff,
    form: &SiteInput,
    errors: BTreeMap<String, String>,
) -> Result<Value, AppError> {
    let mut rows = Vec::new();
    for s in store::sites(&state.db).await? {
        let chans = store::channels_of(&state.db, s.id).await?;
        let manage_any = staff.can(Perm::SiteManage, &ResourceScope::site(s.id))
            || chans.iter().any(|c| {
                staff.can(Perm::ChannelManage, &ResourceScope { site: Some(s.id), channels: vec![c.id], orgs: vec![] })
            });
        if manage_any {
            rows.push(context! { id => s.id, name => s.name.clone(), kind_label => label_of(&domain::SITE_KINDS, &s.kind), site_id_code => s.site_id_code.clone(), url => site_url(&s), channels => chans.len() });
        }
    }
    let (org_opts, _) = org_options(state).await?;
    Ok(context! {
        sites => rows, can_create => staff.can(Perm::SiteManage, &ResourceScope::platform()), form => form, errors => errors,
        form_action => "/admin/cms/sites", kind_options => opts(&domain::SITE_KINDS), org_options => org_opts,
        block_options => block_options(state),
    })
}

async fn sites_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::ChannelManage)?;
    let form = SiteInput {
        kind: "department".into(),
        error_link: "https://zfwzzc.www.gov.cn/".into(),
        ..SiteInput::default()
    };
    state.render(&ctx, "admin/cms/sites.html", sites_context(&state, &staff, &form, BTreeMap::new()).await?)
}

async fn site_create(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f: SiteInput = form_with_lists(pairs, &["home_blocks"])?;
    match service::create_site(&state, &cms, &ctx, &staff, &f).await {
        Ok(id) => Ok(see_other(&format!("/admin/cms/sites/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((status, state.render(&ctx, "admin/cms/sites.html", sites_context(&state, &staff, &f, errors).await?)?)
                .into_response())
        }
    }
}

async fn site_context(
    state: &AppState,
    staff: &Staff,
    site: &Site,
    site_form: &SiteInput,
    site_errors: BTreeMap<String, String>,
    channel_form: &ChannelInput,
    errors: BTreeMap<String, String>,
) -> Result<Value, AppError> {
    let chans = store::channels_of(&state.db, site.id).await?;
    let rows: Vec<Value> = channel_tree(&chans)
        .into_iter()
        .map(|(c, depth)| {
            context! { id => c.id, name => c.name.clone(), slug => c.slug.clone(), depth => depth, kind_label => label_of(&domain::CHANNEL_KINDS, &c.kind),
                update_label => domain::UPDATE_CLASSES.iter().find(|u| u.0 == c.update_class).map_or("", |u| u.1), show_on_home => c.show_on_home, archived => c.archived }
        })
        .collect();
    let (org_opts, _) = org_options(state).await?;
    let mut parents = vec![(String::new(), "（顶级栏目）".to_owned())];
    parents.extend(
        channel_tree(&chans).into_iter().map(|(c, d)| (c.id.to_string(), format!("{}{}", "　".repeat(d), c.name))),
    );
    Ok(context! {
        site => site, site_url => site_url(site), channels => rows,
        can_channel => staff.can(Perm::ChannelManage, &ResourceScope::site(site.id)), can_site => staff.can(Perm::SiteManage, &ResourceScope::site(site.id)),
        site_form => site_form, site_errors => site_errors, channel_form => channel_form, errors => errors,
        kind_options => opts(&domain::CHANNEL_KINDS), update_options => domain::UPDATE_CLASSES.iter().map(|u| (u.0.to_owned(), u.1.to_owned())).collect::<Vec<_>>(),
        org_options => org_opts, parent_options => parents, site_kind_options => opts(&domain::SITE_KINDS),
        block_options => block_options(state),
    })
}

async fn site_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let site = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let chans = store::channels_of(&state.db, id).await?;
    let any = staff.can(Perm::ChannelManage, &ResourceScope::site(id))
        || chans.iter().any(|c| {
            staff.can(Perm::ChannelManage, &ResourceScope { site: Some(id), channels: vec![c.id], orgs: vec![] })
        });
    if !any {
        return Err(AppError::Forbidden("您没有管理该站点的权限".into()));
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    let cf = ChannelInput { kind: "list".into(), update_class: "news".into(), ..ChannelInput::default() };
    let ctxv =
        site_context(&state, &staff, &site, &site_input(&site, &orgs), BTreeMap::new(), &cf, BTreeMap::new()).await?;
    // The site form partial is rendered with the site kind options.
    state.render(&ctx, "admin/cms/site.html", context! { kind_options => opts(&domain::CHANNEL_KINDS), ..ctxv })
}

async fn site_update(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let f: SiteInput = form_with_lists(pairs, &["home_blocks"])?;
    match service::update_site(&state, &cms, &ctx, &staff, id, &f).await {
        Ok(()) => Ok(see_other(&format!("/admin/cms/sites/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let site = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
            let cf = ChannelInput { kind: "list".into(), update_class: "news".into(), ..ChannelInput::default() };
            let v = site_context(&state, &staff, &site, &f, errors, &cf, BTreeMap::new()).await?;
            Ok((status, state.render(&ctx, "admin/cms/site.html", v)?).into_response())
        }
    }
}

#[derive(Deserialize, Default, serde::Serialize, Clone)]
#[serde(default)]
struct ChannelForm {
    parent_id: String,
    name: String,
    slug: String,
    kind: String,
    dept_org_code: String,
    update_class: String,
    link_url: String,
    body: String,
    description: String,
    banner: String,
    archived: Option<String>,
    show_on_home: Option<String>,
    workflow: String,
}

impl ChannelForm {
    fn input(&self) -> ChannelInput {
        ChannelInput {
            parent_id: self.parent_id.trim().parse().ok(),
            name: self.name.clone(),
            slug: self.slug.clone(),
            kind: self.kind.clone(),
            sort_order: None,
            dept_org_code: self.dept_org_code.clone(),
            update_class: self.update_class.clone(),
            link_url: self.link_url.clone(),
            body: self.body.clone(),
            description: self.description.clone(),
            banner: self.banner.clone(),
            archived: self.archived.is_some(),
            show_on_home: self.show_on_home.is_some(),
            workflow: self.workflow.clone(),
        }
    }
}

async fn channel_create(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(site_id): Path<i64>,
    Form(f): Form<ChannelForm>,
) -> Result<Response, AppError> {
    let input = f.input();
    match service::create_channel(&state, &cms, &ctx, &staff, site_id, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/cms/channels/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let site = store::site(&state.db, site_id).await?.ok_or(AppError::NotFound)?;
            let orgs = accounts::list_orgs(&state.db).await?;
            let v =
                site_context(&state, &staff, &site, &site_input(&site, &orgs), BTreeMap::new(), &input, errors).await?;
            Ok((
                status,
                state.render(
                    &ctx,
                    "admin/cms/site.html",
                    context! { kind_options => opts(&domain::CHANNEL_KINDS), ..v },
                )?,
            )
                .into_response())
        }
    }
}

async fn channel_context(
    state: &AppState,
    c: &Channel,
    form: &ChannelInput,
    errors: BTreeMap<String, String>,
) -> Result<Value, AppError> {
    let chans = store::channels_of(&state.db, c.site_id).await?;
    let (org_opts, _) = org_options(state).await?;
    let mut parents = vec![(String::new(), "（顶级栏目）".to_owned())];
    parents.extend(
        channel_tree(&chans)
            .into_iter()
            .filter(|(x, _)| x.id != c.id)
            .map(|(x, d)| (x.id.to_string(), format!("{}{}", "　".repeat(d), x.name))),
    );
    Ok(context! {
        channel => c, form => form, errors => errors, kind_options => opts(&domain::CHANNEL_KINDS),
        update_options => domain::UPDATE_CLASSES.iter().map(|u| (u.0.to_owned(), u.1.to_owned())).collect::<Vec<_>>(),
        org_options => org_opts, parent_options => parents,
    })
}

async fn channel_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let c = store::channel(&state.db, id).await?.ok_or(AppError::NotFound)?;
    staff.require(Perm::ChannelManage, &service::channel_scope(&state, &c).await?)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let form = ChannelInput {
        parent_id: c.parent_id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        kind: c.kind.clone(),
        sort_order: Some(c.sort_order),
        dept_org_code: c
            .dept_org_id
            .and_then(|o| orgs.iter().find(|x| x.id == o))
            .map(|o| o.code.clone())
            .unwrap_or_default(),
        update_class: c.update_class.clone(),
        link_url: c.link_url.clone(),
        body: c.body.clone(),
        description: c.description.clone(),
        banner: c.banner.clone(),
        archived: c.archived,
        show_on_home: c.show_on_home,
        workflow: c.workflow.clone(),
    };
    state.render(&ctx, "admin/cms/channel.html", channel_context(&state, &c, &form, BTreeMap::new()).await?)
}

async fn channel_update(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ChannelForm>,
) -> Result<Response, AppError> {
    let mut input = f.input();
    let c = store::channel(&state.db, id).await?.ok_or(AppError::NotFound)?;
    input.sort_order = Some(c.sort_order);
    match service::update_channel(&state, &cms, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/cms/channels/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((
                status,
                state.render(&ctx, "admin/cms/channel.html", channel_context(&state, &c, &input, errors).await?)?,
            )
                .into_response())
        }
    }
}

// ---- articles ---------------------------------------------------------------------------------------

#[derive(Deserialize, Default, serde::Serialize, Clone)]
#[serde(default)]
struct ListQuery {
    q: String,
    state: String,
    review_state: String,
    channel_id: Option<String>,
    mine: Option<String>,
    page: Option<String>,
}

async fn articles_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let page = platform::web::api::page_of(q.page.as_deref().and_then(|p| p.parse::<i64>().ok()));
    let channel_id = q.channel_id.as_deref().and_then(|c| c.parse().ok());
    // Editors see what they may act on: the articles of the channels they may edit.
    let editable = channels_with(&state, &staff, Perm::ArticleEdit).await?;
    if let Some(cid) = channel_id
        && !editable.iter().any(|(c, _)| c.id == cid)
    {
        return Err(AppError::Forbidden("您没有该栏目的编辑权限".into()));
    }
    let filter = service::article_list_filter(
        &staff,
        service::list_scope(&staff, &editable),
        channel_id,
        q.mine.is_some(),
        q.state.clone(),
        q.review_state.clone(),
        q.q.clone(),
    );
    let (rows, total) = store::admin_list(&state.db, &filter, 20, (page - 1) * 20).await?;
    let names: BTreeMap<i64, String> = editable.iter().map(|(c, p)| (c.id, p.clone())).collect();
    let all = store::all_channels(&state.db).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|a| {
            context! {
                id => a.id, title => a.title.clone(), pub_at => a.pub_at, updated_at => a.updated_at, review_state => a.review_state.clone(),
                channel_name => names.get(&a.channel_id).cloned().or_else(|| all.iter().find(|c| c.id == a.channel_id).map(|c| c.name.clone())).unwrap_or_default(),
                state_label => PubState::parse(&a.state).map_or("", PubState::label),
                review_label => ReviewState::parse(&a.review_state).map_or("", ReviewState::label),
            }
        })
        .collect();
    let mut qs_q = q.clone();
    qs_q.page = None;
    state.render(&ctx, "admin/cms/articles.html", context! {
        rows => rows, total => total, page => page, pages => ((total + 19) / 20).max(1), mine => filter.created_by.is_some(),
        f => context! { q => q.q, state => q.state, review_state => q.review_state, channel_id => channel_id },
        qs => serde_urlencoded::to_string(&qs_q).unwrap_or_default(),
        state_options => PubState::ALL.iter().map(|s| (s.code(), s.label())).collect::<Vec<_>>(),
        review_options => ReviewState::ALL.iter().map(|s| (s.code(), s.label())).collect::<Vec<_>>(),
    })
}

/// The editor form as the browser posts it: checkboxes and numbers arrive as strings.
#[derive(Deserialize, Default, serde::Serialize, Clone)]
#[serde(default)]
struct EditorForm {
    channel_id: String,
    title: String,
    subtitle: String,
    source: String,
    author: String,
    editor: String,
    summary: String,
    body: String,
    cover: String,
    /// The number of the body image chosen as cover (radio buttons); wins over the typed address.
    cover_pick: String,
    keywords: String,
    doc_number: String,
    link_url: String,
    validity: String,
    pinned: Option<String>,
    pin_order: String,
    pub_at: String,
    scheduled_at: String,
    unpublish_at: String,
    is_repost: Option<String>,
    base_revision: String,
}

impl EditorForm {
    fn input(&self) -> Result<ArticleInput, AppError> {
        let pin_order = if self.pin_order.trim().is_empty() {
            None
        } else {
            Some(self.pin_order.trim().parse::<i64>().map_err(|_| AppError::invalid("pin_order", "置顶顺序应为整数"))?)
        };
        Ok(ArticleInput {
            channel_id: self.channel_id.trim().parse().ok(),
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            source: self.source.clone(),
            author: self.author.clone(),
            editor: self.editor.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            cover: self.cover.clone(),
            cover_image: self.cover_pick.trim().parse().ok(),
            keywords: self.keywords.clone(),
            doc_number: self.doc_number.clone(),
            link_url: self.link_url.clone(),
            validity: self.validity.clone(),
            pinned: self.pinned.is_some(),
            pin_order,
            pub_at: self.pub_at.clone(),
            scheduled_at: self.scheduled_at.clone(),
            unpublish_at: self.unpublish_at.clone(),
            is_repost: self.is_repost.is_some(),
            base_revision: self.base_revision.trim().parse().ok(),
        })
    }

    fn from_fields(f: &store::Fields, base_revision: i64) -> Self {
        EditorForm {
            channel_id: String::new(),
            title: f.title.clone(),
            subtitle: f.subtitle.clone(),
            source: f.source.clone(),
            author: f.author.clone(),
            editor: f.editor.clone(),
            summary: f.summary.clone(),
            body: f.body.clone(),
            cover: f.cover.clone(),
            cover_pick: String::new(),
            keywords: f.keywords.clone(),
            doc_number: f.doc_number.clone(),
            link_url: f.link_url.clone(),
            validity: f.validity.clone(),
            pinned: f.pinned.then(|| "true".into()),
            pin_order: f.pin_order.to_string(),
            pub_at: platform::format_datetime(f.pub_at),
            scheduled_at: platform::format_datetime(f.scheduled_at),
            unpublish_at: platform::format_datetime(f.unpublish_at),
            is_repost: f.is_repost.then(|| "true".into()),
            base_revision: base_revision.to_string(),
        }
    }
}

fn validity_options() -> Vec<(&'static str, &'static str)> {
    domain::Validity::ALL.iter().map(|v| (v.code(), v.label())).collect()
}

async fn editor_context(
    state: &AppState,
    staff: &Staff,
    article: Option<&store::Article>,
    form: &EditorForm,
    errors: BTreeMap<String, String>,
    warning: Option<String>,
) -> Result<Value, AppError> {
    let mut channel_options = vec![(String::new(), "请选择栏目".to_owned())];
    if article.is_none() {
        channel_options.extend(
            channels_with(state, staff, Perm::ArticleEdit).await?.into_iter().map(|(c, p)| (c.id.to_string(), p)),
        );
    }
    let cover_choices = crate::sanitize::image_sources(&form.body);
    Ok(
        context! { article => article, form => form, errors => errors, channel_options => channel_options, validity_options => validity_options(), editing_warning => warning, cover_choices },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    channel_id: Option<String>,
}

async fn new_article_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Query(q): Query<NewQuery>,
) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::ArticleEdit)?;
    let form = EditorForm {
        channel_id: q.channel_id.unwrap_or_default(),
        validity: "valid".into(),
        editor: staff.user.display_name.clone(),
        ..EditorForm::default()
    };
    state.render(
        &ctx,
        "admin/cms/editor.html",
        editor_context(&state, &staff, None, &form, BTreeMap::new(), None).await?,
    )
}

async fn new_article_submit(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Form(f): Form<EditorForm>,
) -> Result<Response, AppError> {
    let result = match f.input() {
        Ok(input) => service::create_article(&state, &cms, &ctx, &staff, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(see_other(&format!("/admin/cms/articles/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((
                status,
                state.render(
                    &ctx,
                    "admin/cms/editor.html",
                    editor_context(&state, &staff, None, &f, errors, None).await?,
                )?,
            )
                .into_response())
        }
    }
}

async fn load_for_edit(state: &AppState, staff: &Staff, id: i64) -> Result<store::Article, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    staff.require(Perm::ArticleEdit, &service::article_scope(state, &a).await?)?;
    Ok(a)
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let a = load_for_edit(&state, &staff, id).await?;
    let fields = store::latest_fields(&state.db, &a).await?;
    let warning = service::note_editing(&state, &staff, &a).await?;
    let form = EditorForm::from_fields(&fields, a.latest_revision);
    state.render(
        &ctx,
        "admin/cms/editor.html",
        editor_context(&state, &staff, Some(&a), &form, BTreeMap::new(), warning).await?,
    )
}

async fn edit_submit(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<EditorForm>,
) -> Result<Response, AppError> {
    let result = match f.input() {
        Ok(input) => service::save_article(&state, &cms, &ctx, &staff, id, &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/cms/articles/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
            Ok((
                status,
                state.render(
                    &ctx,
                    "admin/cms/editor.html",
                    editor_context(&state, &staff, Some(&a), &f, errors, None).await?,
                )?,
            )
                .into_response())
        }
    }
}

async fn article_context(
    state: &AppState,
    staff: &Staff,
    id: i64,
    errors: BTreeMap<String, String>,
    comment: &str,
) -> Result<Value, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let scope = service::article_scope(state, &a).await?;
    let can_edit = staff.can(Perm::ArticleEdit, &scope);
    let actions = service::available_actions(state, staff, &a).await?;
    if !can_edit
        && actions.is_empty()
        && !staff.can(Perm::ArticleReview, &scope)
        && !staff.can(Perm::ArticlePublish, &scope)
    {
        return Err(AppError::Forbidden("您没有查看该信息的权限".into()));
    }
    let status = service::status_of(&a)?;
    let steps = service::steps_for(state, &a).await?;
    let step_name = (status.review == ReviewState::InReview)
        .then(|| steps.get(status.step as usize - 1).map(|s| s.name.clone()))
        .flatten();
    let latest = store::latest_fields(&state.db, &a).await?;
    let sites = store::sites(&state.db).await?;
    let all = store::all_channels(&state.db).await?;
    let chan_name = |cid: i64| all.iter().find(|c| c.id == cid).map(|c| c.name.clone()).unwrap_or_default();
    let placements: Vec<Value> = store::placements(&state.db, id)
        .await?
        .iter()
        .map(|p| context! { channel_id => p.channel_id, channel_name => chan_name(p.channel_id), primary => p.channel_id == a.channel_id,
            site_name => sites.iter().find(|s| s.id == p.site_id).map(|s| s.name.clone()).unwrap_or_default() })
        .collect();
    let placed: Vec<i64> = store::placements(&state.db, id).await?.iter().map(|p| p.channel_id).collect();
    let mut place_options = Vec::new();
    if PubState::parse(&a.state).is_some_and(|s| s != PubState::Archived) {
        for (c, path) in channels_with(state, staff, Perm::ArticleEdit).await? {
            if !placed.contains(&c.id) {
                place_options.push((c.id.to_string(), path));
            }
        }
    }
    let users: BTreeMap<i64, String> =
        accounts::list_users(&state.db, "", 10_000, 0).await?.0.into_iter().map(|u| (u.id, u.display_name)).collect();
    let history: Vec<Value> = store::events(&state.db, id)
        .await?
        .iter()
        .map(|e| {
            let label = Action::parse(&e.action).map_or_else(|| match e.action.as_str() { "create" => "新建", "place" => "推送", "restore" => "恢复版本", _ => "操作" }.to_owned(), |x| x.label().to_owned());
            context! { at => e.at, actor => e.actor.clone(), action_label => label, comment => e.comment.clone(),
                change => if e.from_state == e.to_state { String::new() } else { format!("{} → {}", state_pair(&e.from_state), state_pair(&e.to_state)) } }
        })
        .collect();
    let revisions: Vec<Value> = store::revisions(&state.db, id)
        .await?
        .iter()
        .map(|r| context! { id => r.id, rev_no => r.rev_no, created_at => r.created_at, note => r.note.clone(), author => users.get(&r.created_by).cloned().unwrap_or_default() })
        .collect();
    let attachments = store::attachments(&state.db, id).await?;
    let org_name = match a.org_id {
        Some(o) => accounts::org_by_id(&state.db, o).await?.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    // 发布前检查 of the latest revision, for its author before submitting and for its reviewers.
    let checks = match state.modules.get::<crate::Cms>() {
        Some(cms) => crate::compliance::gate(state, &cms, &a, &latest).await?,
        None => Vec::new(),
    };
    let checks: Vec<Value> = checks
        .iter()
        .map(|p| context! { blocking => p.severity == platform::content_check::Severity::Blocking, severity => p.severity.label(),
            message => p.message.clone(), excerpt => p.excerpt.clone() })
        .collect();
    let public_url = PubState::parse(&a.state)
        .filter(|s| s.is_public())
        .and_then(|_| sites.iter().find(|s| s.id == a.site_id))
        .map(|s| format!("{}/a/{}.html", s.path_prefix, a.id));
    Ok(context! {
        article => a.clone(), state_label => PubState::parse(&a.state).map_or("", PubState::label), review_label => ReviewState::parse(&a.review_state).map_or("", ReviewState::label),
        step_name => step_name, latest => latest, channel_name => chan_name(a.channel_id), org_name => org_name,
        actions => actions.iter().map(|x| context! { code => x.code(), label => x.label() }).collect::<Vec<_>>(),
        can_edit => can_edit, placements => placements, place_options => place_options, history => history, revisions => revisions,
        attachments => attachments, errors => errors, comment => comment, public_url => public_url, checks => checks,
    })
}

fn state_pair(s: &str) -> String {
    let (p, r) = s.split_once('/').unwrap_or((s, ""));
    let pl = PubState::parse(p).map_or_else(|| p.to_owned(), |x| x.label().to_owned());
    let rl = ReviewState::parse(r).map_or_else(|| r.to_owned(), |x| x.label().to_owned());
    format!("{pl}·{rl}")
}

async fn article_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    state.render(&ctx, "admin/cms/article.html", article_context(&state, &staff, id, BTreeMap::new(), "").await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActForm {
    action: String,
    comment: String,
}

async fn act_submit(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    let action = Action::parse(&f.action)
        .filter(|a| a.is_manual() && *a != Action::Save)
        .ok_or_else(|| AppError::BadRequest("未知的操作".into()))?;
    match service::act(&state, &cms, &ctx, &staff, id, action, f.comment.trim()).await {
        Ok(_) => Ok(see_other(&format!("/admin/cms/articles/{id}?ok={}", action.code()))),
        Err(e) => {
            let (status, mut errors) = form_errors(e)?;
            if errors.keys().any(|k| k != "comment" && k != "form") {
                errors.insert("form".into(), "发布前检查未通过：请按下方“发布前检查”所列修改后再提交".into());
            }
            Ok((
                status,
                state.render(
                    &ctx,
                    "admin/cms/article.html",
                    article_context(&state, &staff, id, errors, &f.comment).await?,
                )?,
            )
                .into_response())
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

async fn compare_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>, AppError> {
    let a = store::article(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let scope = service::article_scope(&state, &a).await?;
    if !staff.can(Perm::ArticleEdit, &scope) && !staff.can(Perm::ArticleReview, &scope) {
        return Err(AppError::Forbidden("您没有查看该信息的权限".into()));
    }
    let revs = store::revisions(&state.db, id).await?;
    let pick = |s: &Option<String>, default: usize| -> Option<&store::Revision> {
        match s.as_deref().and_then(|v| v.parse::<i64>().ok()) {
            Some(rid) => revs.iter().find(|r| r.id == rid),
            None => revs.get(default),
        }
    };
    let (ra, rb) = match (pick(&q.a, 1).or(revs.first()), pick(&q.b, 0)) {
        (Some(x), Some(y)) => (x, y),
        _ => return Err(AppError::NotFound),
    };
    let (fa, fb) = (ra.fields(), rb.fields());
    let pairs: [(&str, String, String); 8] = [
        ("标题", fa.title.clone(), fb.title.clone()),
        ("副标题", fa.subtitle.clone(), fb.subtitle.clone()),
        ("来源", fa.source.clone(), fb.source.clone()),
        ("文号", fa.doc_number.clone(), fb.doc_number.clone()),
        ("摘要", fa.summary.clone(), fb.summary.clone()),
        (
            "正文",
            crate::sanitize::plain_text(&fa.body.replace("</p>", "</p>\n")).replace(" ", "\n"),
            crate::sanitize::plain_text(&fb.body.replace("</p>", "</p>\n")).replace(" ", "\n"),
        ),
        ("有效性", fa.validity.clone(), fb.validity.clone()),
        ("关键词", fa.keywords.clone(), fb.keywords.clone()),
    ];
    let fields: Vec<Value> = pairs
        .iter()
        .map(|(label, x, y)| {
            let diff = similar::TextDiff::from_lines(x.as_str(), y.as_str());
            let changes: Vec<Value> = diff
                .iter_all_changes()
                .map(|c| {
                    let (kind, kind_label) = match c.tag() {
                        similar::ChangeTag::Delete => ("del", "删除："),
                        similar::ChangeTag::Insert => ("ins", "新增："),
                        similar::ChangeTag::Equal => ("eq", ""),
                    };
                    context! { kind => kind, kind_label => kind_label, text => c.value().to_owned() }
                })
                .collect();
            context! { label => *label, same => x == y, changes => changes }
        })
        .collect();
    state.render(
        &ctx,
        "admin/cms/compare.html",
        context! { id => id, a_no => ra.rev_no, b_no => rb.rev_no, fields => fields },
    )
}

async fn restore_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, rev)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    service::restore(&state, &ctx, &staff, id, rev).await?;
    Ok(see_other(&format!("/admin/cms/articles/{id}?ok=saved")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlaceForm {
    channel_id: String,
}

async fn place_submit(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<PlaceForm>,
) -> Result<Response, AppError> {
    let cid = f.channel_id.trim().parse::<i64>().map_err(|_| AppError::invalid("channel_id", "请选择栏目"));
    let result = match cid {
        Ok(c) => service::place(&state, &cms, &ctx, &staff, id, c).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/cms/articles/{id}?ok=pushed"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            Ok((
                status,
                state.render(&ctx, "admin/cms/article.html", article_context(&state, &staff, id, errors, "").await?)?,
            )
                .into_response())
        }
    }
}

async fn unplace_submit(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, channel)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    service::unplace(&state, &cms, &ctx, &staff, id, channel).await?;
    Ok(see_other(&format!("/admin/cms/articles/{id}?ok=removed")))
}

/// Attachment upload (multipart; the form sends its `_csrf` field first, where the CSRF check reads
/// it without buffering the file).
async fn upload(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    load_for_edit(&state, &staff, id).await?;
    let mut outcome = Err(AppError::invalid("file", "请选择要上传的文件"));
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().unwrap_or("附件").to_owned();
        outcome = match field.bytes().await {
            Ok(bytes) => add_attachment(&state, &cms, &ctx, &staff, id, &filename, &bytes).await,
            Err(_) => Err(AppError::invalid(
                "file",
                format!("文件过大或上传中断（上限 {} MB）", upload_limit(&state).await >> 20),
            )),
        };
        break;
    }
    match outcome {
        Ok(_) => Ok(see_other(&format!("/admin/cms/articles/{id}?ok=uploaded"))),
        Err(AppError::Invalid(errs)) => {
            let message = errs.into_iter().next().map(|e| e.message).unwrap_or_default();
            let errors = BTreeMap::from([("file".to_owned(), message)]);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                state.render(&ctx, "admin/cms/article.html", article_context(&state, &staff, id, errors, "").await?)?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// The largest attachment the system settings allow, in bytes.
async fn upload_limit(state: &AppState) -> usize {
    platform::web::ops::load_settings(state).await.upload_max_mb as usize * (1 << 20)
}

/// Attaches a file to an article the caller may edit (the form and the API): the name cleaned,
/// size and type checked by the file's own bytes, stored by its digest with its text for search,
/// audited, and the article's pages refreshed. Returns the attachment's id.
pub(crate) async fn add_attachment(
    state: &AppState,
    cms: &Arc<Cms>,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    name: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let a = load_for_edit(state, staff, id).await?;
    let limit = upload_limit(state).await;
    let filename: String = name.chars().filter(|c| !c.is_control() && *c != '/' && *c != '\\').take(120).collect();
    let filename = if filename.trim().is_empty() { "附件".to_owned() } else { filename };
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "请选择要上传的文件"));
    }
    if bytes.len() > limit {
        return Err(AppError::invalid("file", format!("文件超过 {} MB 的上限", limit >> 20)));
    }
    let mime = crate::files::sniff(&filename, bytes).map_err(|m| AppError::invalid("file", m))?;
    let dir = cms.files_dir.clone();
    let data = bytes.to_vec();
    // Storing and text extraction (a zip inflate for DOCX) are blocking work.
    let (sha, text) = tokio::task::spawn_blocking(move || {
        crate::files::store_attachment(&dir, &data).map(|sha| (sha, doctext::text_of(mime, &data)))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let aid = store::insert_attachment(
        &state.db,
        &store::NewAttachment {
            article_id: Some(id),
            filename: &filename,
            mime,
            size: bytes.len() as i64,
            sha: &sha,
            user: staff.user.id,
            text: &text,
        },
    )
    .await?;
    state
        .audit(
            ctx,
            "attachment.upload",
            &format!("article:{id}"),
            "success",
            format!("为《{}》上传附件 {filename}（{} 字节，编号 {aid}）", a.title, bytes.len()),
        )
        .await;
    service::announce(state, cms, vec![format!("a:{id}")]).await;
    Ok(aid)
}

/// Removes an attachment of an article the caller may edit (the form and the API); returns the
/// article's id.
pub(crate) async fn remove_attachment(
    state: &AppState,
    cms: &Arc<Cms>,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
) -> Result<i64, AppError> {
    // Whether the caller edits anything at all is said before whether the attachment exists.
    staff.require_anywhere(Perm::ArticleEdit)?;
    let att = store::attachment(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let article_id = att.article_id.ok_or(AppError::NotFound)?;
    load_for_edit(state, staff, article_id).await?;
    store::delete_attachment(&state.db, id).await?;
    state
        .audit(
            ctx,
            "attachment.delete",
            &format!("article:{article_id}"),
            "success",
            format!("删除附件 {}", att.filename),
        )
        .await;
    service::announce(state, cms, vec![format!("a:{article_id}")]).await;
    Ok(article_id)
}

async fn attachment_delete(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let article_id = remove_attachment(&state, &cms, &ctx, &staff, id).await?;
    Ok(see_other(&format!("/admin/cms/articles/{article_id}?ok=removed")))
}

// ---- review queue ------------------------------------------------------------------------------------

/// Articles waiting at a step the user may approve, across all sites and channels.
pub async fn review_queue(state: &AppState, auth: &Auth) -> Result<Vec<(store::Article, String)>, AppError> {
    let mut out = Vec::new();
    for a in store::in_review(&state.db, 500).await? {
        let actions = service::available_actions(state, auth, &a).await?;
        if actions.contains(&Action::Approve) {
            let steps = service::steps_for(state, &a).await?;
            let step =
                steps.get((a.review_step as usize).saturating_sub(1)).map(|s| s.name.clone()).unwrap_or_default();
            out.push((a, step));
        }
    }
    Ok(out)
}

/// An editor's and a reviewer's to-dos on the workbench and beside the menu entries.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    let todo = |label, count, href: String, urgent, nav| platform::web::Todo {
        section: "内容管理",
        label,
        count,
        href,
        urgent,
        nav,
    };
    let mut out = Vec::new();
    if auth.holds_anywhere(Perm::ArticleReview) {
        let n = i64::try_from(review_queue(state, auth).await?.len()).unwrap_or(i64::MAX);
        out.push(todo("待审核信息", n, "/admin/cms/review".to_owned(), false, Some("/admin/cms/review")));
    }
    if auth.holds_anywhere(Perm::ArticleEdit) {
        let mine = |review: &str| {
            platform::db::sql("SELECT COUNT(*) FROM article WHERE created_by = $1 AND review_state = $2")
                .bind(auth.user.id)
                .bind(review.to_owned())
        };
        let returned = state.db.count(mine("rejected")).await?;
        let editing = state.db.count(mine("editing")).await?;
        let list = "/admin/cms/articles";
        out.push(todo("被退回待修改", returned, format!("{list}?mine=1&review_state=rejected"), true, Some(list)));
        out.push(todo("我的草稿", editing, format!("{list}?mine=1&review_state=editing"), false, None));
    }
    Ok(out)
}

async fn review_page(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Html<String>, AppError> {
    staff.require_anywhere(Perm::ArticleReview)?;
    let sites = store::sites(&state.db).await?;
    let all = store::all_channels(&state.db).await?;
    let items: Vec<Value> = review_queue(&state, &staff)
        .await?
        .into_iter()
        .map(|(a, step)| {
            let site = sites.iter().find(|s| s.id == a.site_id).map(|s| s.name.clone()).unwrap_or_default();
            let ch = all.iter().find(|c| c.id == a.channel_id).map(|c| c.name.clone()).unwrap_or_default();
            context! { id => a.id, title => a.title, where => format!("{site} / {ch}"), step => step, updated_at => a.updated_at }
        })
        .collect();
    state.render(&ctx, "admin/cms/review.html", context! { items => items })
}

// ---- templates --------------------------------------------------------------------------------------

async fn templates_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::TemplateManage, &ResourceScope::site(id))?;
    let site = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let live = store::live_templates(&state.db, id).await?;
    let names: Vec<Value> = crate::render::DEFAULT_TEMPLATES
        .iter()
        .map(|(n, _)| context! { name => *n, version => live.iter().find(|t| t.name == *n).map(|t| t.version) })
        .collect();
    state.render(&ctx, "admin/cms/templates.html", context! { site => site, names => names })
}

fn known_template(name: &str) -> Result<&'static str, AppError> {
    crate::render::DEFAULT_TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s).ok_or(AppError::NotFound)
}

async fn template_context(
    state: &AppState,
    site: &Site,
    name: &str,
    source: &str,
    error: Option<String>,
    preview: Option<String>,
    saved: Option<i64>,
) -> Result<Value, AppError> {
    let versions = store::template_versions(&state.db, site.id, name).await?;
    Ok(
        context! { site => site, name => name, source => source, error => error, preview => preview, saved => saved, versions => versions },
    )
}

async fn template_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, name)): Path<(i64, String)>,
) -> Result<Html<String>, AppError> {
    staff.require(Perm::TemplateManage, &ResourceScope::site(id))?;
    let site = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let default = known_template(&name)?;
    let live = store::live_templates(&state.db, id).await?;
    let source = live.iter().find(|t| t.name == name).map_or_else(|| default.to_owned(), |t| t.source.clone());
    state.render(
        &ctx,
        "admin/cms/template_edit.html",
        template_context(&state, &site, &name, &source, None, None, None).await?,
    )
}

/// Compiles the site's templates with `name` replaced by `source`, then renders the home page with
/// them against the real data. Errors carry the template name, line and message.
async fn check_template(state: &AppState, cms: &Cms, site: &Site, name: &str, source: &str) -> Result<String, String> {
    let mut overrides: Vec<(String, String)> = store::live_templates(&state.db, site.id)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|t| (t.name, t.source))
        .collect();
    overrides.retain(|(n, _)| n != name);
    overrides.push((name.to_owned(), source.to_owned()));
    let describe = |e: minijinja::Error| -> String {
        format!(
            "{}{}：{}",
            e.name().unwrap_or(name),
            e.line().map(|l| format!(" 第 {l} 行")).unwrap_or_default(),
            e.detail().map_or_else(|| e.kind().to_string(), str::to_owned)
        )
    };
    let env = crate::render::build_env(&overrides).map_err(describe)?;
    for (n, _) in crate::render::DEFAULT_TEMPLATES {
        env.get_template(n).map_err(describe)?;
    }
    let _ = cms;
    // A dry render under the fuel limit catches runtime errors (unknown filters, runaway loops).
    let page = match name {
        "article.html" => store::site_items(&state.db, site.id, 1, 0)
            .await
            .ok()
            .and_then(|v| v.first().map(|i| crate::render::PageReq::Article { id: i.id })),
        "channel.html" => store::channels_of(&state.db, site.id).await.ok().and_then(|v| {
            v.iter().find(|c| c.kind == "list").map(|c| crate::render::PageReq::Channel { id: c.id, page: 1 })
        }),
        "sitemap.html" => Some(crate::render::PageReq::Sitemap),
        "error.html" => Some(crate::render::PageReq::NotFound),
        _ => None,
    };
    let page = match page {
        Some(p) => p,
        None => crate::render::PageReq::Home(crate::public::module_blocks(state, site).await),
    };
    let channels = store::channels_of(&state.db, site.id).await.map_err(|e| e.to_string())?;
    let preview_renderer = crate::render::Renderer::with_env(site.id, env, channels, &cms.files_dir);
    let links = crate::render::fixture_links();
    let r =
        preview_renderer.render_strict(&state.db, site, "preview", &links, &page).await.map_err(|e| e.to_string())?;
    r.map_err(describe)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TemplateForm {
    source: String,
    op: String,
}

async fn template_submit(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, name)): Path<(i64, String)>,
    Form(f): Form<TemplateForm>,
) -> Result<Response, AppError> {
    staff.require(Perm::TemplateManage, &ResourceScope::site(id))?;
    let site = store::site(&state.db, id).await?.ok_or(AppError::NotFound)?;
    known_template(&name)?;
    let outcome = if f.op == "preview" {
        if f.source.len() > 200_000 {
            return Err(AppError::invalid("source", "模板内容过长"));
        }
        match check_template(&state, &cms, &site, &name, &f.source).await {
            Ok(html) => {
                let v = template_context(&state, &site, &name, &f.source, None, Some(html), None).await?;
                return Ok(state.render(&ctx, "admin/cms/template_edit.html", v)?.into_response());
            }
            Err(msg) => {
                state
                    .audit(&ctx, "template.check", &format!("site:{}/{name}", site.code), "failure", msg.clone())
                    .await;
                Err(AppError::invalid("source", msg))
            }
        }
    } else {
        save_template(&state, &cms, &ctx, &staff, id, &name, &f.source).await
    };
    match outcome {
        Ok(version) => {
            let v = template_context(&state, &site, &name, &f.source, None, None, Some(version)).await?;
            Ok(state.render(&ctx, "admin/cms/template_edit.html", v)?.into_response())
        }
        Err(AppError::Invalid(errs)) => {
            let msg = errs.into_iter().next().map(|e| e.message).unwrap_or_default();
            let v = template_context(&state, &site, &name, &f.source, Some(msg), None, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, state.render(&ctx, "admin/cms/template_edit.html", v)?)
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// Saves a site's override of template `name` after compiling it and a dry render under the fuel
/// limit (the form and the API); a template that fails is refused with the reason (and the failed
/// check audited). Returns the new version.
pub(crate) async fn save_template(
    state: &AppState,
    cms: &Arc<Cms>,
    ctx: &Ctx,
    staff: &Staff,
    site_id: i64,
    name: &str,
    source: &str,
) -> Result<i64, AppError> {
    staff.require(Perm::TemplateManage, &ResourceScope::site(site_id))?;
    let site = store::site(&state.db, site_id).await?.ok_or(AppError::NotFound)?;
    known_template(name)?;
    if source.len() > 200_000 {
        return Err(AppError::invalid("source", "模板内容过长"));
    }
    if let Err(msg) = check_template(state, cms, &site, name, source).await {
        state.audit(ctx, "template.check", &format!("site:{}/{name}", site.code), "failure", msg.clone()).await;
        return Err(AppError::invalid("source", msg));
    }
    service::save_site_template(state, cms, ctx, staff, &site, name, source, None).await
}

/// Makes an earlier version of a site's template the current one (a new version with its text).
pub(crate) async fn restore_template(
    state: &AppState,
    cms: &Arc<Cms>,
    ctx: &Ctx,
    staff: &Staff,
    site_id: i64,
    name: &str,
    version: i64,
) -> Result<i64, AppError> {
    staff.require(Perm::TemplateManage, &ResourceScope::site(site_id))?;
    let site = store::site(&state.db, site_id).await?.ok_or(AppError::NotFound)?;
    let v = store::template_versions(&state.db, site_id, name)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or(AppError::NotFound)?;
    service::save_site_template(state, cms, ctx, staff, &site, name, &v.source, Some(version)).await
}

async fn template_restore(
    State(state): State<AppState>,
    Extension(cms): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, name, version)): Path<(i64, String, i64)>,
) -> Result<Response, AppError> {
    restore_template(&state, &cms, &ctx, &staff, id, &name, version).await?;
    Ok(see_other(&format!("/admin/cms/sites/{id}/templates/{name}?ok=saved")))
}

static EDITOR_JS: std::sync::LazyLock<platform::web::encoding::StaticAsset> = std::sync::LazyLock::new(|| {
    platform::web::encoding::StaticAsset::new(include_bytes!("../static/editor.js"), "text/javascript; charset=utf-8")
});

// The rich-text editor (Jodit, MIT, vendored; see its VERSION file), compiled into the binary like
// every other asset so a deployment cannot miss it.
static JODIT_JS: std::sync::LazyLock<platform::web::encoding::StaticAsset> = std::sync::LazyLock::new(|| {
    platform::web::encoding::StaticAsset::new(
        include_bytes!("../static/vendor/jodit/jodit.min.js"),
        "text/javascript; charset=utf-8",
    )
});
static JODIT_CSS: std::sync::LazyLock<platform::web::encoding::StaticAsset> = std::sync::LazyLock::new(|| {
    platform::web::encoding::StaticAsset::new(
        include_bytes!("../static/vendor/jodit/jodit.min.css"),
        "text/css; charset=utf-8",
    )
});

async fn editor_js(headers: axum::http::HeaderMap) -> Response {
    EDITOR_JS.respond(&headers, false)
}

platform::template_value!(EditorForm, ChannelForm);

//! 公众参与 in the JSON API: every back-office action on consultations, surveys and interviews,
//! and public read endpoints (a consultation with its visible opinions and report, a survey's
//! published results, an interview's transcript) that need no token.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::routing::{get, post, put};
use platform::accounts;
use platform::roles::Perm;
use platform::web::api::{ApiRoute, CommentBody, parse_optional_body, schema_of};
use platform::web::extract::{Json, Path};
use platform::web::{AppError, AppState, Ctx, Staff};
use serde_json::{Value, json};

use crate::consultation::{self, AdoptionInput, ConsultationInput};
use crate::domain::{CAction, IState, SState};
use crate::interview::{self, InterviewInput, ModerateInput, PostInput};
use crate::survey::{self, SurveyInput};
use crate::{Participation, live};

type Ext = Extension<Arc<Participation>>;

pub fn routes() -> Vec<ApiRoute> {
    let r = |m, p, s, perm, body, h| ApiRoute::new("公众参与", m, p, s, perm, body, h);
    let edit = Some(Perm::ParticipationEdit);
    vec![
        r("get", "/api/v1/consultations", "本单位的意见征集（全部状态）", edit, None, get(c_list)),
        r(
            "post",
            "/api/v1/consultations",
            "新建意见征集（草稿）",
            edit,
            Some(schema_of::<ConsultationInput>),
            post(c_create),
        ),
        r("get", "/api/v1/consultations/{id}", "一期意见征集：草案、状态、意见统计和办理过程", edit, None, get(c_one)),
        r(
            "put",
            "/api/v1/consultations/{id}",
            "修改意见征集（草稿或征集中；征集中修改正文记为修订）",
            edit,
            Some(schema_of::<ConsultationInput>),
            put(c_update),
        ),
        r(
            "post",
            "/api/v1/consultations/{id}/actions/{action}",
            "执行操作：submit 送审、close 提前结束、publish_report 发布采纳情况",
            edit,
            Some(schema_of::<CommentBody>),
            post(c_act),
        ),
        r(
            "post",
            "/api/v1/consultations/{id}/review/{decision}",
            "审核员审核送审的征集：approve 通过（到开始时间自动开始）、return 退回修改（须写明意见）",
            Some(Perm::ParticipationReview),
            Some(schema_of::<CommentBody>),
            post(c_review),
        ),
        r(
            "get",
            "/api/v1/consultations/{id}/comments",
            "一期征集收到的全部意见（含待审核、被隐藏的；含联系方式，查看留痕）",
            edit,
            None,
            get(c_comments),
        ),
        r(
            "put",
            "/api/v1/consultation-comments/{id}",
            "审核一条意见：visible 公开、rejected 不予公开",
            edit,
            Some(schema_of::<DecisionBody>),
            put(comment_moderate),
        ),
        r(
            "post",
            "/api/v1/consultations/{id}/adoption",
            "填写采纳情况（同类意见可一并处理）",
            edit,
            Some(schema_of::<AdoptionInput>),
            post(c_adoption),
        ),
        r(
            "put",
            "/api/v1/consultations/{id}/report",
            "保存采纳情况说明和正式文件链接",
            edit,
            Some(schema_of::<ReportBody>),
            put(c_report),
        ),
        r("get", "/api/v1/surveys", "本单位的网上调查", edit, None, get(s_list)),
        r("post", "/api/v1/surveys", "新建问卷（草稿）", edit, Some(schema_of::<SurveyInput>), post(s_create)),
        r("get", "/api/v1/surveys/{id}", "一份问卷：题目、状态、结果", edit, None, get(s_one)),
        r(
            "put",
            "/api/v1/surveys/{id}",
            "修改问卷（发布后题目不再改变）",
            edit,
            Some(schema_of::<SurveyInput>),
            put(s_update),
        ),
        r("post", "/api/v1/surveys/{id}/actions/{action}", "publish 发布、close 结束调查", edit, None, post(s_act)),
        r("get", "/api/v1/interviews", "本单位的在线访谈和网上听政", edit, None, get(i_list)),
        r("post", "/api/v1/interviews", "新建访谈（草稿）", edit, Some(schema_of::<InterviewInput>), post(i_create)),
        r("get", "/api/v1/interviews/{id}", "一期访谈：预告、全部消息（含待审提问）", edit, None, get(i_one)),
        r(
            "put",
            "/api/v1/interviews/{id}",
            "修改访谈预告或回顾",
            edit,
            Some(schema_of::<InterviewInput>),
            put(i_update),
        ),
        r(
            "post",
            "/api/v1/interviews/{id}/actions/{action}",
            "announce 发布预告、start 开始直播、end 结束直播",
            edit,
            None,
            post(i_act),
        ),
        r(
            "post",
            "/api/v1/interviews/{id}/messages",
            "发布主持人、嘉宾、陈述人发言或公告；reply_to 答复网友提问",
            edit,
            Some(schema_of::<PostInput>),
            post(i_post),
        ),
        r(
            "put",
            "/api/v1/interview-messages/{id}",
            "审核或修改消息：approve 采用、reject 不采用、delete 撤回、edit 修改",
            edit,
            Some(schema_of::<ModerateInput>),
            put(i_moderate),
        ),
        r(
            "get",
            "/api/v1/public/consultations/{id}",
            "公开接口：一期意见征集、公开的意见和采纳情况",
            None,
            None,
            get(pub_consultation),
        )
        .public(),
        r("get", "/api/v1/public/surveys/{id}/results", "公开接口：已公布的调查结果", None, None, get(pub_results))
            .public(),
        r(
            "get",
            "/api/v1/public/interviews/{id}/transcript",
            "公开接口：访谈文字实录",
            None,
            None,
            get(pub_transcript),
        )
        .public(),
    ]
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
#[schemars(extend("required" = ["decision"]))]
struct DecisionBody {
    /// visible 公开、rejected 不予公开
    #[serde(default)]
    #[schemars(regex(pattern = "^(visible|rejected)$"))]
    decision: String,
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
struct ReportBody {
    /// 采纳情况说明
    #[serde(default)]
    intro: String,
    /// 正式文件发布后的链接
    #[serde(default)]
    final_url: String,
}

async fn my_orgs(state: &AppState, staff: &Staff) -> Result<Option<Vec<i64>>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    Ok(staff.units_with(Perm::ParticipationEdit, &orgs))
}

async fn c_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = my_orgs(&state, &staff).await?;
    let items = consultation::list(&state.db, false, orgs.as_deref(), 500).await?;
    Ok(Json(
        json!({ "items": items.iter().map(|c| json!({ "id": c.id, "title": c.title, "org_id": c.org_id, "state": c.state_now().code(), "opens_at": c.opens_at, "closes_at": c.closes_at })).collect::<Vec<_>>() }),
    ))
}

async fn c_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<ConsultationInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let id = consultation::create(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!({ "id": id, "state": "draft" })))
}

async fn c_one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let c = consultation::get(&state.db, id).await?;
    consultation::require(&state, &staff, &c, Perm::ParticipationEdit).await?;
    let counts = consultation::adoption_counts(&state.db, id).await?;
    let history = platform::workflow::events(&state.db, &consultation::FLOW, id).await?;
    Ok(Json(
        json!({ "consultation": c, "state_now": c.state_now().code(), "paragraphs": c.paragraphs(), "opinions": counts, "adoption_rate": counts.adoption_rate(), "history": history }),
    ))
}

async fn c_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ConsultationInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    consultation::update(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn c_act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let b: CommentBody = parse_optional_body(&body)?;
    let a = CAction::parse(&action).filter(|a| !a.is_review() && *a != CAction::Open).ok_or(AppError::NotFound)?;
    let to = consultation::act(&state, &ctx, &staff, id, a, &b.comment).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn c_review(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, decision)): Path<(i64, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationReview)?;
    let b: CommentBody = parse_optional_body(&body)?;
    let a = CAction::parse(&decision).filter(|a| a.is_review()).ok_or(AppError::NotFound)?;
    let to = consultation::act(&state, &ctx, &staff, id, a, &b.comment).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn c_comments(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let c = consultation::get(&state.db, id).await?;
    consultation::require(&state, &staff, &c, Perm::ParticipationEdit).await?;
    let list = consultation::comments(&state.db, id, false).await?;
    let placed = consultation::placed(&c, &list);
    state
        .audit(&ctx, "participation.comment.read", &format!("consultation:{id}"), "success", "查看意见及联系方式")
        .await;
    Ok(Json(json!({ "items": list.iter().map(|cm| json!({
        "id": cm.id, "paragraph": placed.get(&cm.id), "anchor": cm.anchor(), "body": cm.body, "name": cm.author_name, "contact": cm.contact.0,
        "state": cm.state, "flags": cm.flags, "adoption": cm.adoption, "reason": cm.adoption_reason, "created_at": cm.created_at,
    })).collect::<Vec<_>>() })))
}

async fn comment_moderate(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<DecisionBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    consultation::moderate(&state, &ctx, &staff, id, &b.decision).await?;
    Ok(Json(json!({ "id": id, "state": b.decision })))
}

async fn c_adoption(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<AdoptionInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let n = consultation::decide(&state, &ctx, &staff, id, &b).await?;
    Ok(Json(json!({ "updated": n })))
}

async fn c_report(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(b): Json<ReportBody>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    consultation::save_report_intro(&state, &ctx, &staff, id, &b.intro, &b.final_url).await?;
    Ok(Json(json!({ "id": id })))
}

async fn s_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = my_orgs(&state, &staff).await?;
    let items = survey::list(&state.db, false, orgs.as_deref(), 500).await?;
    Ok(Json(
        json!({ "items": items.iter().map(|s| json!({ "id": s.id, "title": s.title, "org_id": s.org_id, "state": s.state, "phase": s.phase(), "responses": s.responses })).collect::<Vec<_>>() }),
    ))
}

async fn s_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<SurveyInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let id = survey::create(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!({ "id": id, "state": "draft" })))
}

async fn s_one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let s = survey::get(&state.db, id).await?;
    survey::require(&state, &staff, &s).await?;
    let results = survey::results(&state.db, &s).await?;
    Ok(Json(json!({ "survey": s, "questions": s.question_list(), "phase": s.phase(), "results": results })))
}

async fn s_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<SurveyInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    survey::update(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn s_act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    if !matches!(action.as_str(), "publish" | "close") {
        return Err(AppError::NotFound);
    }
    let to = survey::act(&state, &ctx, &staff, id, &action).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn i_list(State(state): State<AppState>, staff: Staff) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = my_orgs(&state, &staff).await?;
    let items = interview::list(&state.db, false, orgs.as_deref(), 500).await?;
    Ok(Json(
        json!({ "items": items.iter().map(|i| json!({ "id": i.id, "title": i.title, "kind": i.kind, "org_id": i.org_id, "state": i.state, "starts_at": i.starts_at })).collect::<Vec<_>>() }),
    ))
}

async fn i_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Json(input): Json<InterviewInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let id = interview::create(&state, &ctx, &staff, &input).await?;
    Ok(Json(json!({ "id": id, "state": "draft" })))
}

async fn i_one(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let i = interview::get(&state.db, id).await?;
    interview::require_edit(&state, &staff, &i).await?;
    let msgs = interview::all_messages(&state.db, id).await?;
    Ok(Json(json!({ "interview": i, "guests": i.guest_list(), "messages": msgs })))
}

async fn i_update(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<InterviewInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    interview::update(&state, &ctx, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn i_act(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    if !matches!(action.as_str(), "announce" | "start" | "end") {
        return Err(AppError::NotFound);
    }
    let to = interview::act(&state, &ctx, &px, &staff, id, &action).await?;
    Ok(Json(json!({ "id": id, "state": to.code() })))
}

async fn i_post(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<PostInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    interview::post(&state, &ctx, &px, &staff, id, &input, None).await?;
    Ok(Json(json!({ "interview": id })))
}

async fn i_moderate(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Json(input): Json<ModerateInput>,
) -> Result<Json<Value>, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    interview::moderate(&state, &ctx, &px, &staff, id, &input).await?;
    Ok(Json(json!({ "id": id })))
}

async fn pub_consultation(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let c = consultation::get(&state.db, id).await?;
    let st = c.state_now();
    if !st.is_public() {
        return Err(AppError::NotFound);
    }
    let visible = consultation::comments(&state.db, id, true).await?;
    let placed = consultation::placed(&c, &visible);
    let all = consultation::comments(&state.db, id, false).await?;
    let counts = consultation::adoption_counts(&state.db, id).await?;
    let report = (st == crate::domain::CState::Reported)
        .then(|| json!({ "intro": c.report_intro, "groups": consultation::report_groups(&all), "opinions": counts, "adoption_rate": counts.adoption_rate(), "final_url": c.final_url }));
    Ok(Json(json!({
        "id": c.id, "title": c.title, "kind": c.kind, "short_reason": c.short_reason, "explanation": c.explanation,
        "opens_at": c.opens_at, "closes_at": c.closes_at, "state": st.code(), "paragraphs": c.paragraphs(), "received": counts.received,
        "comments": visible.iter().map(|cm| json!({ "id": cm.id, "paragraph": placed.get(&cm.id), "quote": cm.anchor().quote, "name": cm.public_name(), "body": cm.public_body(), "created_at": cm.created_at })).collect::<Vec<_>>(),
        "report": report,
    })))
}

async fn pub_results(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let s = survey::get(&state.db, id).await?;
    if s.state() == SState::Draft || !s.results_public() {
        return Err(AppError::NotFound);
    }
    let results = survey::results(&state.db, &s).await?;
    Ok(Json(
        json!({ "id": s.id, "title": s.title, "responses": s.responses, "closes_at": s.closes_at, "results": results }),
    ))
}

async fn pub_transcript(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>, AppError> {
    let i = interview::get(&state.db, id).await?;
    if i.state() == IState::Draft {
        return Err(AppError::NotFound);
    }
    let msgs: Vec<live::Wire> = interview::shown(&state.db, id).await?.iter().map(live::Wire::of).collect();
    Ok(Json(
        json!({ "id": i.id, "title": i.title, "kind": i.kind, "state": i.state, "starts_at": i.starts_at, "guests": i.guest_list(), "recap": i.recap, "messages": msgs, "rev": i.rev }),
    ))
}

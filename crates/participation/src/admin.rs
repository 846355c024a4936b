//! 公众参与 in the back office: consultations (draft, review, corrections while open, the
//! moderator's queue, adoption decisions in groups, the report and the spreadsheet), surveys (the
//! questionnaire builder that works without script, publication, results, export) and interviews
//! (announcement, the live console: questions to approve, posting as host, guest or hearing
//! participant, answering, editing and withdrawing).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension, Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts::{self, OrgUnit};
use platform::roles::Perm;
use platform::web::error::{form_errors, form_errors_at};
use platform::web::extract::{Form, Path};
use platform::web::{AppError, AppState, Auth, Ctx, Staff, see_other, sv};

use crate::consultation::{self, AdoptionInput, ConsultationInput};
use crate::domain::{
    self, Adoption, CAction, CState, CommentState, ConsultationKind, IState, Question, QuestionKind, SState, ShowIf,
    Speaker,
};
use crate::interview::{self, InterviewInput, ModerateInput, PostInput};
use crate::survey::{self, SurveyInput};
use crate::{Participation, charts};

type Ext = Extension<Arc<Participation>>;

pub fn templates() -> Vec<(&'static str, &'static str)> {
    vec![
        ("admin/cy_consultations.html", include_str!("../templates/admin/cy_consultations.html")),
        ("admin/cy_consultation.html", include_str!("../templates/admin/cy_consultation.html")),
        ("admin/cy_consultation_form.html", include_str!("../templates/admin/cy_consultation_form.html")),
        ("admin/cy_moderation.html", include_str!("../templates/admin/cy_moderation.html")),
        ("admin/cy_surveys.html", include_str!("../templates/admin/cy_surveys.html")),
        ("admin/cy_survey.html", include_str!("../templates/admin/cy_survey.html")),
        ("admin/cy_interviews.html", include_str!("../templates/admin/cy_interviews.html")),
        ("admin/cy_interview.html", include_str!("../templates/admin/cy_interview.html")),
        ("public/cy_index.html", include_str!("../templates/public/cy_index.html")),
        ("public/cy_consultations.html", include_str!("../templates/public/cy_consultations.html")),
        ("public/cy_consultation.html", include_str!("../templates/public/cy_consultation.html")),
        ("public/cy_surveys.html", include_str!("../templates/public/cy_surveys.html")),
        ("public/cy_survey.html", include_str!("../templates/public/cy_survey.html")),
        ("public/cy_interviews.html", include_str!("../templates/public/cy_interviews.html")),
        ("public/cy_interview.html", include_str!("../templates/public/cy_interview.html")),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/participation/consultations", get(consultations))
        .route("/admin/participation/consultations/new", get(consultation_new).post(consultation_create))
        .route("/admin/participation/consultations/{id}", get(consultation_page).post(consultation_save))
        .route("/admin/participation/consultations/{id}/act", post(consultation_act))
        .route("/admin/participation/consultations/{id}/review", post(consultation_review))
        .route("/admin/participation/consultations/{id}/adoption", post(adoption))
        .route("/admin/participation/consultations/{id}/report", post(report_save))
        .route("/admin/participation/consultations/{id}/opinions.xlsx", get(opinions_xlsx))
        .route("/admin/participation/review", get(review_queue))
        .route("/admin/participation/moderation", get(moderation))
        .route("/admin/participation/comments/{id}", post(comment_decide))
        .route("/admin/participation/surveys", get(surveys))
        .route("/admin/participation/surveys/new", get(survey_new).post(survey_create))
        .route("/admin/participation/surveys/{id}", get(survey_page).post(survey_save))
        .route("/admin/participation/surveys/{id}/act", post(survey_act))
        .route("/admin/participation/surveys/{id}/responses.xlsx", get(responses_xlsx))
        .route("/admin/participation/interviews", get(interviews))
        .route("/admin/participation/interviews/new", get(interview_new).post(interview_create))
        .route("/admin/participation/interviews/{id}", get(interview_page).post(interview_save))
        .route("/admin/participation/interviews/{id}/act", post(interview_act))
        .route(
            "/admin/participation/interviews/{id}/messages",
            post(interview_post).layer(DefaultBodyLimit::max(interview::PHOTO_RULES.max_total_bytes + (1 << 20))),
        )
        .route("/admin/participation/messages/{id}", post(message_moderate))
}

/// The workbench's counts: opinions and questions waiting for a moderator, consultations waiting
/// for review.
pub async fn todos(state: &AppState, auth: &Auth) -> Result<Vec<platform::web::Todo>, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut out = Vec::new();
    let todo = |label, count, href: &str, nav: Option<&'static str>| platform::web::Todo {
        section: "公众参与",
        label,
        count,
        href: href.to_owned(),
        urgent: false,
        nav,
    };
    if auth.holds_anywhere(Perm::ParticipationEdit) {
        let mine = auth.units_with(Perm::ParticipationEdit, &orgs);
        let waiting = consultation::queue(&state.db, mine.as_deref(), 1000).await?.len() as i64;
        out.push(todo(
            "征集意见待审核",
            waiting,
            "/admin/participation/moderation",
            Some("/admin/participation/moderation"),
        ));
        let q = platform::db::sql(
            "SELECT COUNT(*) FROM interview_message m JOIN interview i ON i.id = m.interview_id WHERE m.state = 'pending' AND i.state IN ('announced', 'live')",
        )
        .and_within("i.org_id", mine.as_deref());
        out.push(todo(
            "访谈提问待审核",
            state.db.count(q).await?,
            "/admin/participation/interviews",
            Some("/admin/participation/interviews"),
        ));
    }
    if auth.holds_anywhere(Perm::ParticipationReview) {
        let mine = auth.units_with(Perm::ParticipationReview, &orgs);
        let q = platform::db::sql("SELECT COUNT(*) FROM consultation WHERE state = 'pending'")
            .and_within("org_id", mine.as_deref());
        out.push(todo(
            "意见征集待审核",
            state.db.count(q).await?,
            "/admin/participation/review",
            Some("/admin/participation/review"),
        ));
    }
    Ok(out)
}

/// The org units where `auth` writes (for the unit choice and lists).
fn units(auth: &Auth, orgs: &[OrgUnit], perm: Perm) -> Vec<(String, String)> {
    let mine = auth.units_with(perm, orgs);
    orgs.iter()
        .filter(|o| mine.as_ref().is_none_or(|m| m.contains(&o.id)))
        .map(|o| (o.code.clone(), o.name.clone()))
        .collect()
}

fn org_name(orgs: &[OrgUnit], id: i64) -> String {
    orgs.iter().find(|o| o.id == id).map(|o| o.name.clone()).unwrap_or_default()
}

fn render(
    state: &AppState,
    ctx: &Ctx,
    status: axum::http::StatusCode,
    name: &str,
    page: Value,
) -> Result<Response, AppError> {
    Ok((status, state.render(ctx, name, page)?).into_response())
}

// ---- consultations ----------------------------------------------------------------------------

async fn consultations(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::ParticipationEdit, &orgs);
    let mut rows = Vec::new();
    for c in consultation::list(&state.db, false, mine.as_deref(), 500).await? {
        let counts = consultation::adoption_counts(&state.db, c.id).await?;
        let st = c.state_now();
        rows.push(context! { id => c.id, title => c.title.clone(), agency => org_name(&orgs, c.org_id), state_label => st.label(), kind_label => c.kind().label(),
            opens_at => c.opens_at, closes_at => c.closes_at, received => counts.received });
    }
    render(&state, &ctx, axum::http::StatusCode::OK, "admin/cy_consultations.html", context! { rows, review => false })
}

async fn review_queue(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationReview)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::ParticipationReview, &orgs);
    let rows: Vec<Value> = consultation::list(&state.db, false, mine.as_deref(), 500)
        .await?
        .iter()
        .filter(|c| c.stored_state() == CState::Pending)
        .map(|c| context! { id => c.id, title => c.title.clone(), agency => org_name(&orgs, c.org_id), state_label => "待审核", kind_label => c.kind().label(),
            opens_at => c.opens_at, closes_at => c.closes_at, received => 0 })
        .collect();
    render(&state, &ctx, axum::http::StatusCode::OK, "admin/cy_consultations.html", context! { rows, review => true })
}

fn consultation_form(
    orgs: &[OrgUnit],
    auth: &Auth,
    input: &ConsultationInput,
    errors: BTreeMap<String, String>,
    id: Option<i64>,
) -> Value {
    let kinds: Vec<(&str, &str)> = ConsultationKind::ALL.iter().map(|k| (k.code(), k.label())).collect();
    context! { form => sv(input), errors, id, units => units(auth, orgs, Perm::ParticipationEdit), kinds }
}

async fn consultation_new(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let first = units(&staff, &orgs, Perm::ParticipationEdit).first().map(|u| u.0.clone()).unwrap_or_default();
    let page = consultation_form(&orgs, &staff, &ConsultationInput::blank(&first), BTreeMap::new(), None);
    render(&state, &ctx, axum::http::StatusCode::OK, "admin/cy_consultation_form.html", page)
}

async fn consultation_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<ConsultationInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    match consultation::create(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/participation/consultations/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let orgs = accounts::list_orgs(&state.db).await?;
            render(
                &state,
                &ctx,
                status,
                "admin/cy_consultation_form.html",
                consultation_form(&orgs, &staff, &input, errors, None),
            )
        }
    }
}

async fn consultation_view(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    c: &consultation::Consultation,
    form: Option<(&ConsultationInput, BTreeMap<String, String>)>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let scope = accounts::org_scope(&orgs, c.org_id);
    let can_edit = auth.can(Perm::ParticipationEdit, &scope);
    let can_review = auth.can(Perm::ParticipationReview, &scope);
    if !can_edit && !can_review {
        return Err(AppError::Forbidden("您没有管理这期征集的权限".into()));
    }
    let st = c.state_now();
    let list = consultation::comments(&state.db, c.id, false).await?;
    let placed = consultation::placed(c, &list);
    let comments: Vec<Value> = list
        .iter()
        .map(|cm| {
            let at = placed.get(&cm.id).copied().unwrap_or(0);
            let a = cm.anchor();
            context! { id => cm.id, body => cm.body.clone(), name => cm.author_name.clone(), state => cm.state.clone(),
                state_label => CommentState::parse(&cm.state).map(|s| s.label()), flags => cm.flags, at => cm.created_at,
                place => if a.para_no == 0 { "全文".to_owned() } else if at == 0 { "原段落已删除".to_owned() } else { format!("第 {at} 段") },
                quote => a.quote, adoption => cm.adoption().map(|a| a.label()), reason => cm.adoption_reason.clone() }
        })
        .collect();
    let mut per_para: BTreeMap<usize, usize> = BTreeMap::new();
    for at in placed.values() {
        *per_para.entry(*at).or_default() += 1;
    }
    let counts = consultation::adoption_counts(&state.db, c.id).await?;
    // The history as people read it: each action by its Chinese name.
    let history: Vec<Value> = platform::workflow::events(&state.db, &consultation::FLOW, c.id)
        .await?
        .iter()
        .map(|e| {
            let label = match e.action.as_str() {
                "create" => "新建",
                "edit" => "修改",
                "revise" => "修订草案",
                a => CAction::parse(a).map_or(a, |a| a.label()),
            };
            context! { at => e.at, actor => e.actor.clone(), action => label, comment => e.comment.clone() }
        })
        .collect();
    let input = ConsultationInput::of(c, &orgs);
    let (form, errors) = match form {
        Some((f, e)) => (f.clone(), e),
        None => (input, BTreeMap::new()),
    };
    let editable = can_edit && matches!(c.stored_state(), CState::Draft | CState::Open);
    let actions: Vec<(&str, &str)> = [CAction::Submit, CAction::Close, CAction::PublishReport]
        .into_iter()
        .filter(|a| can_edit && domain::c_transition(st, *a).is_some())
        .map(|a| (a.code(), a.label()))
        .collect();
    let adoptions: Vec<(&str, &str)> = Adoption::ALL.iter().map(|a| (a.code(), a.label())).collect();
    let page = context! {
        c => sv(c), agency => org_name(&orgs, c.org_id), state => st.code(), state_label => st.label(), kind_label => c.kind().label(),
        paragraphs => sv(c.paragraphs()), per_para => sv(&per_para), comments, counts => sv(counts), rate => counts.adoption_rate(), history,
        editable, can_review => can_review && st == CState::Pending, actions, adoptions, deciding => can_edit && st == CState::Closed,
        kinds => ConsultationKind::ALL.iter().map(|k| (k.code(), k.label())).collect::<Vec<_>>(), units => units(auth, &orgs, Perm::ParticipationEdit),
        form => sv(&form), errors, id => c.id,
    };
    render(state, ctx, status, "admin/cy_consultation.html", page)
}

async fn consultation_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if !staff.holds_anywhere(Perm::ParticipationEdit) {
        staff.require_anywhere(Perm::ParticipationReview)?;
    }
    let c = consultation::get(&state.db, id).await?;
    consultation_view(&state, &ctx, &staff, &c, None, axum::http::StatusCode::OK).await
}

async fn consultation_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<ConsultationInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    match consultation::update(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/participation/consultations/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let c = consultation::get(&state.db, id).await?;
            consultation_view(&state, &ctx, &staff, &c, Some((&input, errors)), status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
}

async fn act_result(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    id: i64,
    r: Result<CState, AppError>,
) -> Result<Response, AppError> {
    match r {
        Ok(to) => Ok(see_other(&format!(
            "/admin/participation/consultations/{id}?ok={}",
            if to == CState::Pending { "submitted" } else { "saved" }
        ))),
        Err(AppError::Conflict(m)) => {
            let c = consultation::get(&state.db, id).await?;
            let errors = BTreeMap::from([("action".to_owned(), m)]);
            let form = ConsultationInput::of(&c, &accounts::list_orgs(&state.db).await?);
            consultation_view(state, ctx, staff, &c, Some((&form, errors)), axum::http::StatusCode::CONFLICT).await
        }
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let c = consultation::get(&state.db, id).await?;
            let form = ConsultationInput::of(&c, &accounts::list_orgs(&state.db).await?);
            consultation_view(state, ctx, staff, &c, Some((&form, errors)), status).await
        }
    }
}

async fn consultation_act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let a = CAction::parse(&f.action)
        .filter(|a| !a.is_review() && *a != CAction::Open)
        .ok_or_else(|| AppError::BadRequest("未知操作".into()))?;
    let r = consultation::act(&state, &ctx, &staff, id, a, &f.comment).await;
    act_result(&state, &ctx, &staff, id, r).await
}

async fn consultation_review(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationReview)?;
    let a =
        CAction::parse(&f.action).filter(|a| a.is_review()).ok_or_else(|| AppError::BadRequest("未知操作".into()))?;
    let r = consultation::act(&state, &ctx, &staff, id, a, &f.comment).await;
    act_result(&state, &ctx, &staff, id, r).await
}

async fn adoption(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let input = AdoptionInput {
        comments: pairs.iter().filter(|(k, _)| k == "comments").filter_map(|(_, v)| v.parse().ok()).collect(),
        adoption: get("adoption"),
        reason: get("reason"),
    };
    match consultation::decide(&state, &ctx, &staff, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/admin/participation/consultations/{id}?ok=saved#opinions"))),
        Err(e) => {
            // A decision outside the closed period is shown where the page shows errors.
            let (status, errors) = form_errors_at(e, "action")?;
            let c = consultation::get(&state.db, id).await?;
            let form = ConsultationInput::of(&c, &accounts::list_orgs(&state.db).await?);
            consultation_view(&state, &ctx, &staff, &c, Some((&form, errors)), status).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct ReportForm {
    #[serde(default)]
    intro: String,
    #[serde(default)]
    final_url: String,
}

async fn report_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ReportForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    match consultation::save_report_intro(&state, &ctx, &staff, id, &f.intro, &f.final_url).await {
        Ok(()) => Ok(see_other(&format!("/admin/participation/consultations/{id}?ok=saved#report"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let c = consultation::get(&state.db, id).await?;
            let form = ConsultationInput::of(&c, &accounts::list_orgs(&state.db).await?);
            consultation_view(&state, &ctx, &staff, &c, Some((&form, errors)), status).await
        }
    }
}

async fn opinions_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let c = consultation::get(&state.db, id).await?;
    consultation::require(&state, &staff, &c, Perm::ParticipationEdit).await?;
    let list = consultation::comments(&state.db, id, false).await?;
    let bytes = consultation::export_xlsx(&c, &list)?;
    state
        .audit(
            &ctx,
            "participation.comment.export",
            &format!("consultation:{id}"),
            "success",
            format!("导出 {} 条意见", list.len()),
        )
        .await;
    Ok(platform::web::download(
        &format!("consultation-{id}-opinions.xlsx"),
        Some(&format!("{}-意见汇总.xlsx", c.title)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

async fn moderation(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::ParticipationEdit, &orgs);
    let rows: Vec<Value> = consultation::queue(&state.db, mine.as_deref(), 200)
        .await?
        .into_iter()
        .map(|(cm, title)| context! { id => cm.id, cid => cm.consultation_id, title, body => cm.body.clone(), name => cm.author_name.clone(),
            quote => cm.anchor().quote, flags => cm.flags, state_label => CommentState::parse(&cm.state).map(|s| s.label()), at => cm.created_at })
        .collect();
    render(&state, &ctx, axum::http::StatusCode::OK, "admin/cy_moderation.html", context! { rows })
}

#[derive(serde::Deserialize, Default)]
struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    back: String,
}

async fn comment_decide(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let cm = consultation::moderate(&state, &ctx, &staff, id, &f.decision).await?;
    let back = if f.back == "consultation" {
        format!("/admin/participation/consultations/{}?ok=saved#opinions", cm.consultation_id)
    } else {
        "/admin/participation/moderation?ok=saved".to_owned()
    };
    Ok(see_other(&back))
}

// ---- surveys ----------------------------------------------------------------------------------

async fn surveys(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::ParticipationEdit, &orgs);
    let rows: Vec<Value> = survey::list(&state.db, false, mine.as_deref(), 500)
        .await?
        .iter()
        .map(|s| context! { id => s.id, title => s.title.clone(), agency => org_name(&orgs, s.org_id), state_label => s.state().label(), phase => s.phase(),
            opens_at => s.opens_at, closes_at => s.closes_at, responses => s.responses })
        .collect();
    render(&state, &ctx, axum::http::StatusCode::OK, "admin/cy_surveys.html", context! { rows })
}

/// The builder's form fields → the survey: `qN_kind`, `qN_title`, `qN_options` and `qN_rows` (one
/// per line), `qN_required`, `qN_min`, `qN_max`, `qN_show` (`Q.O`: show when question Q has
/// option O); `add` asks for one more blank question, `remove` = N drops one.
pub fn survey_of_form(pairs: &[(String, String)]) -> (SurveyInput, bool) {
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let count: usize = get("count").parse().unwrap_or(0).min(100);
    let remove: usize = get("remove").parse().unwrap_or(0);
    let lines = |s: String| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let mut questions = Vec::new();
    for n in 1..=count {
        if n == remove {
            continue;
        }
        let p = |f: &str| get(&format!("q{n}_{f}"));
        let kind = QuestionKind::parse(&p("kind")).unwrap_or(QuestionKind::Single);
        let show_if = p("show")
            .split_once('.')
            .and_then(|(q, o)| Some(ShowIf { question: q.parse().ok()?, option: o.parse().ok()? }));
        questions.push(Question {
            kind,
            title: p("title"),
            options: lines(p("options")),
            rows: lines(p("rows")),
            required: !p("required").is_empty(),
            min: p("min").parse().unwrap_or(0),
            max: p("max").parse().unwrap_or(if kind == QuestionKind::Scale { 5 } else { 0 }),
            show_if,
        });
    }
    let adding = !get("add").is_empty() || remove > 0;
    if !get("add").is_empty() {
        questions.push(Question {
            kind: QuestionKind::Single,
            title: String::new(),
            options: Vec::new(),
            rows: Vec::new(),
            required: true,
            min: 0,
            max: 0,
            show_if: None,
        });
    }
    let input = SurveyInput {
        org: get("org"),
        title: get("title"),
        intro: get("intro"),
        questions,
        opens_at: get("opens_at"),
        closes_at: get("closes_at"),
        live_results: !get("live_results").is_empty(),
        per_address_daily: get("per_address_daily").parse().unwrap_or(20),
    };
    (input, adding)
}

fn survey_form(
    orgs: &[OrgUnit],
    auth: &Auth,
    input: &SurveyInput,
    errors: BTreeMap<String, String>,
    s: Option<&survey::Survey>,
) -> Value {
    let kinds: Vec<(&str, &str)> = QuestionKind::ALL.iter().map(|k| (k.code(), k.label())).collect();
    let questions: Vec<Value> = input
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            context! { n => i + 1, q => sv(q), options => q.options.join("\n"), rows => q.rows.join("\n"),
            show => q.show_if.as_ref().map(|c| format!("{}.{}", c.question, c.option)).unwrap_or_default() }
        })
        .collect();
    // Conditions may point at any option of an earlier choice question.
    let conditions: Vec<(String, String)> = input
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| matches!(q.kind, QuestionKind::Single | QuestionKind::Multiple))
        .flat_map(|(i, q)| {
            q.options
                .iter()
                .enumerate()
                .map(move |(j, o)| (format!("{}.{}", i + 1, j + 1), format!("第 {} 题选“{}”", i + 1, o)))
        })
        .collect();
    let locked = s.is_some_and(|s| s.state() != SState::Draft);
    context! { form => sv(input), questions, count => input.questions.len(), kinds, conditions, errors, units => units(auth, orgs, Perm::ParticipationEdit),
    s => s.map(sv), locked }
}

async fn survey_new(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let first = units(&staff, &orgs, Perm::ParticipationEdit).first().map(|u| u.0.clone()).unwrap_or_default();
    let blank = Question {
        kind: QuestionKind::Single,
        title: String::new(),
        options: Vec::new(),
        rows: Vec::new(),
        required: true,
        min: 0,
        max: 0,
        show_if: None,
    };
    let input = SurveyInput { org: first, questions: vec![blank], per_address_daily: 20, ..SurveyInput::default() };
    render(
        &state,
        &ctx,
        axum::http::StatusCode::OK,
        "admin/cy_survey.html",
        survey_form(&orgs, &staff, &input, BTreeMap::new(), None),
    )
}

async fn survey_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let (input, adding) = survey_of_form(&pairs);
    if adding {
        return render(
            &state,
            &ctx,
            axum::http::StatusCode::OK,
            "admin/cy_survey.html",
            survey_form(&orgs, &staff, &input, BTreeMap::new(), None),
        );
    }
    match survey::create(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/participation/surveys/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            render(&state, &ctx, status, "admin/cy_survey.html", survey_form(&orgs, &staff, &input, errors, None))
        }
    }
}

async fn survey_detail(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    s: &survey::Survey,
    input: &SurveyInput,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut page = survey_form(&orgs, auth, input, errors, Some(s));
    let results = survey::results(&state.db, s).await?;
    let charts: Vec<Value> = results
        .iter()
        .map(|r| context! { r => sv(r), chart => (!r.bars.is_empty()).then(|| charts::bars(&format!("第 {} 题", r.no), &r.bars)),
            columns => s.question_list().get(r.no - 1).map(|q| q.options.clone()).unwrap_or_default() })
        .collect();
    let actions: Vec<(&str, &str)> = match s.state() {
        SState::Draft => vec![("publish", "发布调查")],
        SState::Open => vec![("close", "结束调查")],
        SState::Closed => vec![],
    };
    page = context! { ..page, ..context! { results => charts, actions, id => s.id, history => platform::workflow::events(&state.db, &survey::FLOW, s.id).await? } };
    render(state, ctx, status, "admin/cy_survey.html", page)
}

async fn survey_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let s = survey::get(&state.db, id).await?;
    survey::require(&state, &staff, &s).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    survey_detail(&state, &ctx, &staff, &s, &SurveyInput::of(&s, &orgs), BTreeMap::new(), axum::http::StatusCode::OK)
        .await
}

async fn survey_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let s = survey::get(&state.db, id).await?;
    survey::require(&state, &staff, &s).await?;
    let (input, adding) = survey_of_form(&pairs);
    if adding {
        return survey_detail(&state, &ctx, &staff, &s, &input, BTreeMap::new(), axum::http::StatusCode::OK).await;
    }
    match survey::update(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/participation/surveys/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            survey_detail(&state, &ctx, &staff, &s, &input, errors, status).await
        }
    }
}

async fn survey_act(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    survey::act(&state, &ctx, &staff, id, &f.action).await?;
    Ok(see_other(&format!("/admin/participation/surveys/{id}?ok=saved")))
}

async fn responses_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let s = survey::get(&state.db, id).await?;
    survey::require(&state, &staff, &s).await?;
    let bytes = survey::export_xlsx(&state.db, &s).await?;
    state
        .audit(
            &ctx,
            "participation.survey.export",
            &format!("survey:{id}"),
            "success",
            format!("导出 {} 份答卷", s.responses),
        )
        .await;
    Ok(platform::web::download(
        &format!("survey-{id}-responses.xlsx"),
        Some(&format!("{}-答卷.xlsx", s.title)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

// ---- interviews -------------------------------------------------------------------------------

async fn interviews(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let mine = staff.units_with(Perm::ParticipationEdit, &orgs);
    let mut rows = Vec::new();
    for i in interview::list(&state.db, false, mine.as_deref(), 500).await? {
        let waiting = state
            .db
            .count(
                platform::db::sql(
                    "SELECT COUNT(*) FROM interview_message WHERE interview_id = $1 AND state = 'pending'",
                )
                .bind(i.id),
            )
            .await?;
        rows.push(context! { id => i.id, title => i.title.clone(), agency => org_name(&orgs, i.org_id), kind_label => i.kind().label(), state_label => i.state().label(), starts_at => i.starts_at, waiting });
    }
    render(&state, &ctx, axum::http::StatusCode::OK, "admin/cy_interviews.html", context! { rows })
}

async fn interview_detail(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    i: Option<&interview::Interview>,
    input: &InterviewInput,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    interview_console(state, ctx, auth, i, input, errors, status, Value::UNDEFINED).await
}

/// The interview's page with the console's post form holding `posted` (what a rejected post
/// typed, so nothing is lost).
#[allow(clippy::too_many_arguments)]
async fn interview_console(
    state: &AppState,
    ctx: &Ctx,
    auth: &Auth,
    i: Option<&interview::Interview>,
    input: &InterviewInput,
    errors: BTreeMap<String, String>,
    status: axum::http::StatusCode,
    posted: Value,
) -> Result<Response, AppError> {
    let orgs = accounts::list_orgs(&state.db).await?;
    let mut page = context! { form => sv(input), errors, units => units(auth, &orgs, Perm::ParticipationEdit), i => i.map(sv), posted };
    if let Some(i) = i {
        let msgs = interview::all_messages(&state.db, i.id).await?;
        let pending: Vec<Value> = msgs
            .iter()
            .filter(|m| m.state == "pending")
            .map(|m| context! { m => sv(m), name => m.public_name() })
            .collect();
        let questions: Vec<(i64, String)> = msgs
            .iter()
            .filter(|m| m.speaker == "public" && matches!(m.state.as_str(), "pending" | "shown"))
            .map(|m| (m.id, format!("#{} {}：{}", m.id, staff_name(m), m.body.chars().take(30).collect::<String>())))
            .collect();
        let stream: Vec<Value> = msgs
            .iter()
            .filter(|m| m.state == "shown")
            .map(|m| context! { m => sv(m), label => Speaker::parse(&m.speaker).map(|s| s.label()), name => staff_name(m) })
            .collect();
        let speakers: Vec<(&str, &str)> = [Speaker::Host, Speaker::Guest, Speaker::Participant, Speaker::Notice]
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect();
        let people: Vec<String> = i.guest_list().iter().map(|g| g.name.clone()).collect();
        page = context! { ..page, ..context! { id => i.id, state => i.state().code(), state_label => i.state().label(), next => i.state().next().map(|n| (n.0, n.1)),
        pending, questions, stream, speakers, people, ended => i.state() == IState::Ended } };
    }
    render(state, ctx, status, "admin/cy_interview.html", page)
}

fn staff_name(m: &interview::Message) -> String {
    if m.name.trim().is_empty() && m.speaker == "public" { "网友".to_owned() } else { m.name.clone() }
}

async fn interview_new(State(state): State<AppState>, ctx: Ctx, staff: Staff) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let orgs = accounts::list_orgs(&state.db).await?;
    let first = units(&staff, &orgs, Perm::ParticipationEdit).first().map(|u| u.0.clone()).unwrap_or_default();
    let input = InterviewInput { org: first, kind: "interview".into(), ..InterviewInput::default() };
    interview_detail(&state, &ctx, &staff, None, &input, BTreeMap::new(), axum::http::StatusCode::OK).await
}

async fn interview_create(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Form(input): Form<InterviewInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    match interview::create(&state, &ctx, &staff, &input).await {
        Ok(id) => Ok(see_other(&format!("/admin/participation/interviews/{id}?ok=created"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            interview_detail(&state, &ctx, &staff, None, &input, errors, status).await
        }
    }
}

async fn interview_page(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let i = interview::get(&state.db, id).await?;
    interview::require_edit(&state, &staff, &i).await?;
    let orgs = accounts::list_orgs(&state.db).await?;
    interview_detail(
        &state,
        &ctx,
        &staff,
        Some(&i),
        &InterviewInput::of(&i, &orgs),
        BTreeMap::new(),
        axum::http::StatusCode::OK,
    )
    .await
}

async fn interview_save(
    State(state): State<AppState>,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<InterviewInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let i = interview::get(&state.db, id).await?;
    match interview::update(&state, &ctx, &staff, id, &input).await {
        Ok(()) => Ok(see_other(&format!("/admin/participation/interviews/{id}?ok=saved"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            interview_detail(&state, &ctx, &staff, Some(&i), &input, errors, status).await
        }
    }
}

async fn interview_act(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    interview::act(&state, &ctx, &px, &staff, id, &f.action).await?;
    Ok(see_other(&format!("/admin/participation/interviews/{id}?ok=saved")))
}

/// A message posted from the console: a multipart form, so it may carry a photo.
async fn interview_post(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let (fields, uploads) = platform::web::extract::read_multipart(mp).await?;
    ctx.require_form_token(fields.get("_csrf").map_or("", String::as_str))?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let input = PostInput {
        speaker: get("speaker"),
        name: get("name"),
        body: get("body"),
        reply_to: get("reply_to").trim().parse().ok(),
    };
    let alt = get("photo_alt");
    let photo = uploads.iter().find(|u| u.field == "photo").map(|u| interview::PhotoUpload {
        file_name: &u.name,
        bytes: &u.bytes,
        alt: &alt,
    });
    match interview::post(&state, &ctx, &px, &staff, id, &input, photo).await {
        Ok(()) => Ok(see_other(&format!("/admin/participation/interviews/{id}#console"))),
        Err(e) => {
            let (status, errors) = form_errors(e)?;
            let i = interview::get(&state.db, id).await?;
            let orgs = accounts::list_orgs(&state.db).await?;
            let posted = context! { post => sv(&input), photo_alt => alt };
            let form = InterviewInput::of(&i, &orgs);
            interview_console(&state, &ctx, &staff, Some(&i), &form, errors, status, posted).await
        }
    }
}

async fn message_moderate(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    staff: Staff,
    Path(id): Path<i64>,
    Form(input): Form<ModerateInput>,
) -> Result<Response, AppError> {
    staff.require_anywhere(Perm::ParticipationEdit)?;
    let m = interview::message(&state.db, id).await?;
    interview::moderate(&state, &ctx, &px, &staff, id, &input).await?;
    Ok(see_other(&format!("/admin/participation/interviews/{}#console", m.interview_id)))
}

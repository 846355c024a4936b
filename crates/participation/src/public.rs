//! 公众参与 for citizens under `/canyu/`, inside the portal frame and usable without JavaScript:
//! consultations with their numbered draft, opinions on a paragraph (or, with script, on the
//! selected words), reader flags and the adoption report; surveys with their form and results;
//! interviews with the question form and the stream (refreshed by hand, or live through
//! server-sent events where script runs).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use platform::accounts;
use platform::intake::{self, Claim};
use platform::web::error::form_errors;
use platform::web::extract::{Path, Query};
use platform::web::portal::Section;
use platform::web::{AppError, AppState, Ctx, sv};
use serde::Deserialize;

use crate::consultation::{self, CommentInput, Consultation};
use crate::domain::{self, Answer, Answers, CState, CommentState, IState, QuestionKind};
use crate::interview::{self, AskInput};
use crate::survey::{self, Survey};
use crate::{Participation, charts, live};

type Ext = Extension<Arc<Participation>>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/canyu/", get(index))
        .route("/canyu/consultations/", get(consultations))
        .route("/canyu/consultations/{id}", get(consultation_page))
        .route("/canyu/consultations/{id}/comments", post(comment_submit))
        .route("/canyu/consultations/{id}/comments/{cid}/flag", post(flag))
        .route("/canyu/surveys/", get(surveys))
        .route("/canyu/surveys/{id}", get(survey_page).post(survey_submit))
        .route("/canyu/interviews/", get(interviews))
        .route("/canyu/interviews/{id}", get(interview_page))
        .route("/canyu/interviews/{id}/questions", post(ask_submit))
        .route("/canyu/interviews/{id}/live", get(live))
        .route("/canyu/interviews/photos/{file}", get(photo))
}

/// Participation's part of the portal.
pub static SECTION: Section = Section {
    name: "公众参与",
    root: "/canyu/",
    nav: &[("/canyu/consultations/", "意见征集"), ("/canyu/surveys/", "网上调查"), ("/canyu/interviews/", "在线访谈")],
};

async fn html(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    status: StatusCode,
    page: Value,
    private: bool,
) -> Result<Response, AppError> {
    state.public_response(ctx, &SECTION, name, status, page, private).await
}

/// A page whose one inline script (a convenience it works without) the policy lets run, and
/// whose player may load the named streams.
fn with_policy(mut page: Response, script: Option<&str>, media: &[&str]) -> Response {
    platform::web::headers::set_public_policy(page.headers_mut(), script, media);
    page
}

async fn org_names(state: &AppState) -> Result<BTreeMap<i64, String>, AppError> {
    Ok(accounts::list_orgs(&state.db).await?.into_iter().map(|o| (o.id, o.name)).collect())
}

fn consultation_row(c: &Consultation, orgs: &BTreeMap<i64, String>) -> Value {
    let st = c.state_now();
    context! {
        id => c.id, title => c.title.clone(), agency => orgs.get(&c.org_id).cloned().unwrap_or_default(),
        opens_at => c.opens_at, closes_at => c.closes_at, state => st.code(), state_label => st.label(),
        kind_label => c.kind().label(),
    }
}

fn survey_row(s: &Survey, orgs: &BTreeMap<i64, String>) -> Value {
    context! {
        id => s.id, title => s.title.clone(), agency => orgs.get(&s.org_id).cloned().unwrap_or_default(),
        opens_at => s.opens_at, closes_at => s.closes_at, phase => s.phase(), responses => s.responses,
        results_public => s.results_public(),
    }
}

fn interview_row(i: &interview::Interview, orgs: &BTreeMap<i64, String>) -> Value {
    context! {
        id => i.id, title => i.title.clone(), agency => orgs.get(&i.org_id).cloned().unwrap_or_default(),
        starts_at => i.starts_at, state => i.state().code(), state_label => i.state().label(), kind_label => i.kind().label(),
        guests => i.guest_list().iter().filter(|g| g.role == "guest").map(|g| format!("{}（{}）", g.name, g.post)).collect::<Vec<_>>().join("、"),
    }
}

async fn index(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let orgs = org_names(&state).await?;
    let consultations: Vec<Value> =
        consultation::list(&state.db, true, None, 5).await?.iter().map(|c| consultation_row(c, &orgs)).collect();
    let surveys: Vec<Value> =
        survey::list(&state.db, true, None, 5).await?.iter().map(|s| survey_row(s, &orgs)).collect();
    let interviews: Vec<Value> =
        interview::list(&state.db, true, None, 5).await?.iter().map(|i| interview_row(i, &orgs)).collect();
    html(
        &state,
        &ctx,
        "public/cy_index.html",
        StatusCode::OK,
        context! { title => "公众参与", consultations, surveys, interviews, nav_current => "/canyu/" },
        false,
    )
    .await
}

async fn consultations(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let orgs = org_names(&state).await?;
    let items: Vec<Value> =
        consultation::list(&state.db, true, None, 200).await?.iter().map(|c| consultation_row(c, &orgs)).collect();
    let crumbs = vec![(String::new(), "意见征集".to_owned())];
    html(
        &state,
        &ctx,
        "public/cy_consultations.html",
        StatusCode::OK,
        context! { title => "意见征集", items, nav_current => "/canyu/consultations/", crumbs },
        false,
    )
    .await
}

/// The script that lets a reader comment on the words they select (the form works without it by
/// choosing a paragraph).
const SELECT_SCRIPT: &str = "(function(){var f=document.getElementById('comment-form'),d=document.getElementById('draft');if(!f||!d||!window.getSelection)return;\
function pick(){var s=window.getSelection();if(!s||s.isCollapsed||!s.rangeCount)return;var r=s.getRangeAt(0),n=r.startContainer;var p=(n.nodeType===1?n:n.parentNode).closest('[data-no]');\
if(!p||!d.contains(p))return;var pre=document.createRange();pre.selectNodeContents(p);pre.setEnd(r.startContainer,r.startOffset);var at=pre.toString().length;\
var q=p.contains(r.endContainer)?s.toString():p.textContent.slice(at);var lead=q.length-q.replace(/^\\s+/,'').length;q=q.trim();if(!q)return;\
f.elements.para.value=p.dataset.no;f.elements.quote.value=q.slice(0,300);f.elements.offset.value=at+lead;var t=document.getElementById('quote-note');\
t.textContent='已选中第 '+p.dataset.no+' 段：“'+q.slice(0,60)+'”，请在下方填写意见。';t.hidden=false;}\
d.addEventListener('mouseup',pick);d.addEventListener('keyup',pick);d.addEventListener('touchend',pick);})();";

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(default)]
    sent: String,
    #[serde(default)]
    para: String,
}

async fn consultation_view(
    state: &AppState,
    ctx: &Ctx,
    c: &Consultation,
    form: &CommentInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    sent: &str,
) -> Result<Response, AppError> {
    let st = c.state_now();
    if !st.is_public() {
        return Err(AppError::NotFound);
    }
    let orgs = org_names(state).await?;
    let all = consultation::comments(&state.db, c.id, false).await?;
    let visible: Vec<&consultation::Comment> =
        all.iter().filter(|cm| cm.state == CommentState::Visible.code()).collect();
    let visible_owned: Vec<consultation::Comment> = visible.iter().map(|c| (*c).clone()).collect();
    let placed = consultation::placed(c, &visible_owned);
    let comment_view = |cm: &consultation::Comment| {
        let a = cm.anchor();
        context! { id => cm.id, name => cm.public_name(), body => cm.public_body(), at => cm.created_at, quote => a.quote, flags => cm.flags,
        adoption => cm.adoption().map(|a| a.label()), reason => cm.adoption_reason.clone() }
    };
    let paras: Vec<Value> = c
        .paragraphs()
        .iter()
        .map(|p| {
            let here: Vec<Value> =
                visible.iter().filter(|cm| placed.get(&cm.id) == Some(&p.no)).map(|cm| comment_view(cm)).collect();
            context! { no => p.no, heading => p.heading, text => p.text.clone(), comments => here }
        })
        .collect();
    let general: Vec<Value> =
        visible.iter().filter(|cm| placed.get(&cm.id) == Some(&0)).map(|cm| comment_view(cm)).collect();
    let counts = consultation::adoption_counts(&state.db, c.id).await?;
    let report = (st == CState::Reported).then(|| {
        context! { intro => c.report_intro.clone(), groups => sv(consultation::report_groups(&all)), counts => sv(counts),
                   rate => counts.adoption_rate(), at => c.reported_at }
    });
    let embedded = match c.survey_id {
        Some(sid) => survey::get(&state.db, sid)
            .await
            .ok()
            .filter(|s| s.state() != domain::SState::Draft)
            .map(|s| context! { id => s.id, title => s.title }),
        None => None,
    };
    let para_options: Vec<(usize, String)> = c
        .paragraphs()
        .iter()
        .filter(|p| !p.heading)
        .map(|p| (p.no, format!("第 {} 段：{}", p.no, p.text.chars().take(24).collect::<String>())))
        .collect();
    let page = context! {
        title => c.title.clone(), c => sv(c), agency => orgs.get(&c.org_id).cloned().unwrap_or_default(), state => st.code(), state_label => st.label(),
        kind => c.kind().code(), kind_label => c.kind().label(), days => domain::period_days(c.opens_at, c.closes_at),
        paras, general, received => counts.received, shown => visible.len(), report, embedded, para_options,
        form => sv(form), errors, captcha => sv(state.captcha.issue()), once => intake::submission_token(), sent,
        select_script => SELECT_SCRIPT, nav_current => "/canyu/consultations/",
        crumbs => vec![("/canyu/consultations/".to_owned(), "意见征集".to_owned()), (String::new(), c.title.clone())],
    };
    let open = st == CState::Open;
    let resp = html(state, ctx, "public/cy_consultation.html", status, page, open || !sent.is_empty()).await?;
    Ok(if open { with_policy(resp, Some(SELECT_SCRIPT), &[]) } else { resp })
}

async fn consultation_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let c = consultation::get(&state.db, id).await?;
    let form = CommentInput { para: q.para, ..CommentInput::default() };
    let sent = match q.sent.as_str() {
        "pending" => "您的意见已提交，经审核后公开。感谢参与！",
        "visible" => "您的意见已提交并公开。感谢参与！",
        "flagged" => "已收到您的举报，我们会尽快核实。",
        _ => "",
    };
    // The flag buttons' sender is known by the browser's token, set here on a first visit, so a
    // first flag and a second one are the same browser (such a page is kept by no shared cache).
    let (_, cookie) = platform::intake::browser_voter(&state, &headers);
    let mut res = consultation_view(&state, &ctx, &c, &form, BTreeMap::new(), StatusCode::OK, sent).await?;
    if let Some(v) = cookie {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn comment_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let c = consultation::get(&state.db, id).await?;
    if !c.state_now().is_public() {
        return Err(AppError::NotFound);
    }
    let once = match intake::claim(&state.db, "consultation", fields.get(intake::SUBMISSION_FIELD).map(String::as_str))
        .await?
    {
        Claim::First(s) => s,
        Claim::Repeat(s) => {
            return Ok(s.redirect(&state, &format!("/canyu/consultations/{id}?sent=pending#comment-form")));
        }
    };
    let input = CommentInput {
        para: get("para"),
        quote: get("quote"),
        offset: get("offset"),
        body: get("body"),
        name: get("name"),
        contact: get("contact"),
    };
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            (BTreeMap::from([("captcha".to_owned(), e.to_owned())]), StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match consultation::add_comment(&state, &c, &input, &ctx.ip).await {
                Ok(st) => {
                    let to = format!("/canyu/consultations/{id}?sent={}#comment-form", st.code());
                    once.settle(&state.db, &serde_json::json!({ "state": st.code() })).await?;
                    return Ok(once.redirect(&state, &to));
                }
                Err(AppError::Conflict(m)) => (BTreeMap::from([("form".to_owned(), m)]), StatusCode::CONFLICT),
                Err(e) => {
                    let (status, errors) = form_errors(e)?;
                    (errors, status)
                }
            }
        };
    once.release(&state.db).await?;
    consultation_view(&state, &ctx, &c, &input, errors, status, "").await
}

#[derive(Debug, Default, Deserialize)]
struct FlagForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn flag(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, cid)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<FlagForm>,
) -> Result<Response, AppError> {
    ctx.require_form_token(&f.csrf)?;
    let c = consultation::get(&state.db, id).await?;
    if !c.state_now().is_public() {
        return Err(AppError::NotFound);
    }
    let (who, cookie) = platform::intake::voter_or_address(&state, &headers, &ctx.ip);
    consultation::flag(&state, &c, cid, &who).await?;
    let mut resp = platform::web::see_other(&format!("/canyu/consultations/{id}?sent=flagged"));
    if let Some(v) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

async fn surveys(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let orgs = org_names(&state).await?;
    let items: Vec<Value> =
        survey::list(&state.db, true, None, 200).await?.iter().map(|s| survey_row(s, &orgs)).collect();
    let crumbs = vec![(String::new(), "网上调查".to_owned())];
    html(
        &state,
        &ctx,
        "public/cy_surveys.html",
        StatusCode::OK,
        context! { title => "网上调查", items, nav_current => "/canyu/surveys/", crumbs },
        false,
    )
    .await
}

/// A question as the form and the results show it.
fn question_view(n: usize, q: &domain::Question, qs: &[domain::Question], given: Option<&Answer>) -> Value {
    let chosen: Vec<usize> = match given {
        Some(Answer::Choices(c)) => c.clone(),
        _ => Vec::new(),
    };
    let text = match given {
        Some(Answer::Text(t)) => t.clone(),
        _ => String::new(),
    };
    let condition = q.show_if.as_ref().and_then(|c| {
        let o = qs.get(c.question - 1)?.options.get(c.option - 1)?;
        Some(format!("第 {} 题选择“{}”时回答", c.question, o))
    });
    let hint = match q.kind {
        QuestionKind::Multiple if q.max > 0 => format!("可选 {}–{} 项", q.min.max(1), q.max),
        QuestionKind::Multiple => "可多选".to_owned(),
        QuestionKind::Scale => format!("1 分最低，{} 分最高", q.max),
        QuestionKind::Ranking => {
            format!("请为每一项选择名次（1 为最优先，各项名次不能相同，共 {} 项）", q.options.len())
        }
        QuestionKind::Matrix => "每一行选择一项".to_owned(),
        _ => String::new(),
    };
    context! {
        no => n, kind => q.kind.code(), kind_label => q.kind.label(), title => q.title.clone(), options => q.options.clone(),
        rows => q.rows.clone(), required => q.required, scale => (1..=q.max).collect::<Vec<_>>(), chosen, text, condition, hint,
        ranks => (1..=q.options.len()).collect::<Vec<_>>(),
    }
}

fn results_view(results: &[domain::QuestionResult], qs: &[domain::Question]) -> Vec<Value> {
    results
        .iter()
        .map(|r| {
            let chart =
                (!r.bars.is_empty()).then(|| charts::bars(&format!("第 {} 题结果：{}", r.no, r.title), &r.bars));
            let columns = qs.get(r.no - 1).map(|q| q.options.clone()).unwrap_or_default();
            context! { r => sv(r), chart, columns }
        })
        .collect()
}

async fn survey_view(
    state: &AppState,
    ctx: &Ctx,
    s: &Survey,
    given: &Answers,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    notice: &str,
) -> Result<Response, AppError> {
    if s.state() == domain::SState::Draft {
        return Err(AppError::NotFound);
    }
    let orgs = org_names(state).await?;
    let qs = s.question_list();
    let questions: Vec<Value> =
        qs.iter().enumerate().map(|(i, q)| question_view(i + 1, q, &qs, given.0.get(&(i + 1)))).collect();
    let results =
        if s.results_public() { Some(results_view(&survey::results(&state.db, s).await?, &qs)) } else { None };
    let page = context! {
        title => s.title.clone(), s => sv(s), agency => orgs.get(&s.org_id).cloned().unwrap_or_default(), phase => s.phase(),
        accepting => s.accepting(), questions, results, errors, notice, once => intake::submission_token(),
        nav_current => "/canyu/surveys/", crumbs => vec![("/canyu/surveys/".to_owned(), "网上调查".to_owned()), (String::new(), s.title.clone())],
    };
    html(state, ctx, "public/cy_survey.html", status, page, true).await
}

#[derive(Debug, Default, Deserialize)]
struct SurveyQuery {
    #[serde(default)]
    sent: String,
}

async fn survey_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<SurveyQuery>,
) -> Result<Response, AppError> {
    let s = survey::get(&state.db, id).await?;
    let notice = match q.sent.as_str() {
        "1" => "问卷已提交，感谢您的参与！",
        "again" => "您已经提交过这份问卷，每人只能提交一次。",
        _ => "",
    };
    let (_, cookie) = platform::intake::browser_voter(&state, &headers);
    let mut resp = survey_view(&state, &ctx, &s, &Answers::default(), BTreeMap::new(), StatusCode::OK, notice).await?;
    if let Some(v) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Reads the form's answers: `qN` (one value, or several for a multiple choice), `qN_rR` (a
/// matrix row), `qN_oO` (an option's rank).
pub fn answers_of_form(qs: &[domain::Question], pairs: &[(String, String)]) -> Answers {
    let mut a = Answers::default();
    let values = |key: &str| pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.trim()).collect::<Vec<_>>();
    let num = |v: &str| v.parse::<usize>().unwrap_or(0);
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        let key = format!("q{n}");
        let ans = match q.kind {
            QuestionKind::Text => values(&key).first().map(|t| Answer::Text((*t).to_owned())),
            QuestionKind::Single | QuestionKind::Scale | QuestionKind::Multiple => {
                let v: Vec<usize> = values(&key).into_iter().filter(|v| !v.is_empty()).map(num).collect();
                (!v.is_empty()).then_some(Answer::Choices(v))
            }
            QuestionKind::Matrix => {
                let v: Vec<usize> =
                    (1..=q.rows.len()).map(|r| values(&format!("q{n}_r{r}")).first().map_or(0, |x| num(x))).collect();
                v.iter().any(|x| *x > 0).then_some(Answer::Choices(v))
            }
            QuestionKind::Ranking => {
                let v: Vec<usize> = (1..=q.options.len())
                    .map(|o| values(&format!("q{n}_o{o}")).first().map_or(0, |x| num(x)))
                    .collect();
                v.iter().any(|x| *x > 0).then_some(Answer::Choices(v))
            }
        };
        if let Some(ans) = ans {
            a.0.insert(n, ans);
        }
    }
    a
}

async fn survey_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let field = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    ctx.require_form_token(&field("_csrf"))?;
    let s = survey::get(&state.db, id).await?;
    if s.state() == domain::SState::Draft {
        return Err(AppError::NotFound);
    }
    let given = answers_of_form(&s.question_list(), &pairs);
    let once = match intake::claim(&state.db, "survey", Some(&field(intake::SUBMISSION_FIELD))).await? {
        Claim::First(o) => o,
        Claim::Repeat(o) => return Ok(o.redirect(&state, &format!("/canyu/surveys/{id}?sent=1"))),
    };
    let (who, cookie) = platform::intake::browser_voter(&state, &headers);
    let outcome: Result<(), (BTreeMap<String, String>, StatusCode)> =
        match domain::check_answers(&s.question_list(), &given) {
            Err(errs) => {
                Err((errs.into_iter().map(|(n, m)| (format!("q{n}"), m)).collect(), StatusCode::UNPROCESSABLE_ENTITY))
            }
            Ok(kept) => match survey::respond(&state, &s, &kept, &who, &ctx.ip).await {
                Ok(first) => {
                    once.settle(&state.db, &serde_json::json!({ "survey": id })).await?;
                    let mut resp = once
                        .redirect(&state, &format!("/canyu/surveys/{id}?sent={}", if first { "1" } else { "again" }));
                    if let Some(v) = cookie {
                        resp.headers_mut().append(header::SET_COOKIE, v);
                    }
                    return Ok(resp);
                }
                Err(AppError::TooManyRequests(m)) => {
                    Err((BTreeMap::from([("form".to_owned(), m)]), StatusCode::TOO_MANY_REQUESTS))
                }
                Err(AppError::Conflict(m)) => Err((BTreeMap::from([("form".to_owned(), m)]), StatusCode::CONFLICT)),
                Err(e) => return Err(e),
            },
        };
    once.release(&state.db).await?;
    let Err((errors, status)) = outcome else { return Err(AppError::Internal("unreachable".into())) };
    survey_view(&state, &ctx, &s, &given, errors, status, "").await
}

async fn interviews(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let orgs = org_names(&state).await?;
    let items: Vec<Value> =
        interview::list(&state.db, true, None, 200).await?.iter().map(|i| interview_row(i, &orgs)).collect();
    let crumbs = vec![(String::new(), "在线访谈".to_owned())];
    html(
        &state,
        &ctx,
        "public/cy_interviews.html",
        StatusCode::OK,
        context! { title => "在线访谈", items, nav_current => "/canyu/interviews/", crumbs },
        false,
    )
    .await
}

/// The stream's script: receives changes from `/canyu/interviews/{id}/live` and puts each in its
/// place (added, replaced or removed); without it the page is refreshed by hand.
pub const LIVE_SCRIPT: &str = "(function(){var l=document.getElementById('stream');if(!l||!window.EventSource)return;\
var s=new EventSource(l.dataset.src+'?since='+l.dataset.rev),st=document.getElementById('live-status');\
s.onopen=function(){if(st)st.textContent='正在实时更新，无需刷新页面';};\
s.onmessage=function(e){var m=JSON.parse(e.data),o=document.getElementById('m-'+m.id);if(m.state!=='shown'){if(o)o.remove();return;}\
var n=document.createElement('li');n.id='m-'+m.id;n.className='msg msg-'+m.speaker+(m.answer?' msg-answer':'');\
var w=document.createElement('p');w.className='who';w.textContent=m.speaker_label+(m.name?' '+m.name:'')+' '+m.at+(m.followup?' 补充答复':'');\
n.appendChild(w);if(m.body){var b=document.createElement('p');b.className='body';b.textContent=m.body;n.appendChild(b);}\
if(m.photo){var g=document.createElement('img');g.className='msg-photo';g.src=m.photo;g.alt=m.photo_alt;g.loading='lazy';n.appendChild(g);}\
if(o){o.replaceWith(n);}else{l.appendChild(n);}};})();";

#[derive(Debug, Default, Deserialize)]
struct InterviewQuery {
    #[serde(default)]
    sent: String,
}

async fn interview_view(
    state: &AppState,
    ctx: &Ctx,
    i: &interview::Interview,
    form: &AskInput,
    errors: BTreeMap<String, String>,
    status: StatusCode,
    notice: &str,
) -> Result<Response, AppError> {
    let st = i.state();
    if st == IState::Draft {
        return Err(AppError::NotFound);
    }
    let orgs = org_names(state).await?;
    let msgs: Vec<Value> =
        interview::shown(&state.db, i.id).await?.iter().map(live::Wire::of).map(|w| sv(&w)).collect();
    let guests: Vec<Value> = i.guest_list().iter().map(sv).collect();
    let streaming = matches!(st, IState::Announced | IState::Live);
    let page = context! {
        title => i.title.clone(), i => sv(i), agency => orgs.get(&i.org_id).cloned().unwrap_or_default(), state => st.code(),
        state_label => st.label(), kind_label => i.kind().label(), guests, msgs, streaming, takes_questions => st.takes_questions(),
        form => sv(form), errors, notice, captcha => sv(state.captcha.issue()), once => intake::submission_token(),
        live_script => LIVE_SCRIPT, nav_current => "/canyu/interviews/",
        video_type => platform::media::StreamKind::of(&i.video_url).mime(),
        crumbs => vec![("/canyu/interviews/".to_owned(), "在线访谈".to_owned()), (String::new(), i.title.clone())],
    };
    let resp = html(state, ctx, "public/cy_interview.html", status, page, true).await?;
    Ok(if streaming || !i.video_url.is_empty() {
        with_policy(resp, streaming.then_some(LIVE_SCRIPT), &[i.video_url.as_str()])
    } else {
        resp
    })
}

async fn interview_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<InterviewQuery>,
) -> Result<Response, AppError> {
    let i = interview::get(&state.db, id).await?;
    let notice = if q.sent == "1" { "您的问题已提交，经主持人审核后在访谈中展示。" } else { "" };
    interview_view(&state, &ctx, &i, &AskInput::default(), BTreeMap::new(), StatusCode::OK, notice).await
}

async fn ask_submit(
    State(state): State<AppState>,
    Extension(px): Ext,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(fields): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    ctx.require_form_token(&get("_csrf"))?;
    let i = interview::get(&state.db, id).await?;
    if i.state() == IState::Draft {
        return Err(AppError::NotFound);
    }
    let to = format!("/canyu/interviews/{id}?sent=1#ask");
    let once =
        match intake::claim(&state.db, "interview", fields.get(intake::SUBMISSION_FIELD).map(String::as_str)).await? {
            Claim::First(s) => s,
            Claim::Repeat(s) => return Ok(s.redirect(&state, &to)),
        };
    let input = AskInput { name: get("name"), contact: get("contact"), body: get("body") };
    let (errors, status) =
        if let Err(e) = state.captcha.redeem(&state.db, &get("captcha_token"), &get("captcha")).await? {
            (BTreeMap::from([("captcha".to_owned(), e.to_owned())]), StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match interview::ask(&state, &px, &i, &input, &ctx.ip).await {
                Ok(()) => {
                    once.settle(&state.db, &serde_json::json!({ "interview": id })).await?;
                    return Ok(once.redirect(&state, &to));
                }
                Err(AppError::Conflict(m)) => (BTreeMap::from([("form".to_owned(), m)]), StatusCode::CONFLICT),
                Err(e) => {
                    let (status, errors) = form_errors(e)?;
                    (errors, status)
                }
            }
        };
    once.release(&state.db).await?;
    interview_view(&state, &ctx, &i, &input, errors, status, "").await
}

#[derive(Debug, Default, Deserialize)]
struct LiveQuery {
    #[serde(default)]
    since: Option<i64>,
}

/// The stream of changes after `since` (or the `Last-Event-ID` a reconnecting browser sends).
async fn live(
    State(state): State<AppState>,
    Extension(px): Ext,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<LiveQuery>,
) -> Result<Response, AppError> {
    let i = interview::get(&state.db, id).await?;
    if i.state() == IState::Draft {
        return Err(AppError::NotFound);
    }
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let since = q.since.unwrap_or(0).max(last.unwrap_or(0)).max(0);
    let mut resp = px.hub.stream(state.db.clone(), id, since, i.rev).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies must not buffer the stream.
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

/// A photo of the stream, while a shown message of a public interview carries it: a withdrawn
/// photo stops being served (a browser may keep it an hour).
async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let shown = state
        .db
        .count(
            platform::db::sql(
                "SELECT COUNT(*) FROM interview_message m JOIN interview i ON i.id = m.interview_id \
                 WHERE m.photo = $1 AND m.state = 'shown' AND i.state <> 'draft'",
            )
            .bind(file.as_str()),
        )
        .await?;
    if shown == 0 {
        return Err(AppError::NotFound);
    }
    let dir = &state.config.data_dir;
    platform::blobs::picture_response(dir, interview::PHOTO_AREA, &file, &headers, "public, max-age=3600")
        .await
        .ok_or(AppError::NotFound)
}

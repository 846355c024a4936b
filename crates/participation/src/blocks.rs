//! What participation shows outside `/canyu/`: the home-page block 公众参与 (open consultations,
//! surveys and interviews), and the figures of the website annual report (政府网站工作年度报表:
//! 征集调查期数, 收到意见数量, 公布调查结果期数, 在线访谈期数, 网民提问数量, 答复网民提问数量).

use platform::db::Db;
use platform::module::{BlockFigure, BlockItem, Figure, FigureQuery, HomeBlock, HomeBlockKind};
use platform::web::AppError;

use crate::{consultation, interview, survey};

pub const LATEST: HomeBlockKind = HomeBlockKind {
    key: "participation.latest",
    label: "公众参与（意见征集、网上调查、在线访谈）",
};
/// 活动直播: event coverage live now, coming, and the latest past (the 直播 page shows it too).
pub const COVERAGE: HomeBlockKind = HomeBlockKind { key: "participation.coverage", label: "活动直播" };
pub const KINDS: [HomeBlockKind; 2] = [LATEST, COVERAGE];

pub async fn home_block(db: &Db, key: &str) -> Result<Option<HomeBlock>, AppError> {
    if key == COVERAGE.key {
        return coverage(db).await;
    }
    if key != LATEST.key {
        return Ok(None);
    }
    let mut items = Vec::new();
    for c in consultation::list(db, true, None, 3).await? {
        items.push(BlockItem {
            url: format!("/canyu/consultations/{}", c.id),
            text: format!("【意见征集】{}", c.title),
            note: c.state_now().label().to_owned(),
        });
    }
    for s in survey::list(db, true, None, 2).await? {
        items.push(BlockItem {
            url: format!("/canyu/surveys/{}", s.id),
            text: format!("【网上调查】{}", s.title),
            note: s.phase().to_owned(),
        });
    }
    for i in interview::list(db, true, None, 2).await? {
        items.push(BlockItem {
            url: format!("/canyu/interviews/{}", i.id),
            text: format!("【{}】{}", i.kind().label(), i.title),
            note: i.state().label().to_owned(),
        });
    }
    if items.is_empty() {
        return Ok(None);
    }
    let now = platform::db::now();
    let year_start = platform::parse_date(&format!("{}-01-01", platform::calendar::today().year())).unwrap_or(0);
    let (opened, opinions, _) = consultation::counts(db, year_start, now + 1).await?;
    Ok(Some(HomeBlock {
        title: "公众参与".into(),
        url: "/canyu/".into(),
        items,
        figures: vec![
            BlockFigure { label: "本年意见征集".into(), value: format!("{opened} 期") },
            BlockFigure { label: "收到意见".into(), value: format!("{opinions} 条") },
        ],
    }))
}

async fn coverage(db: &Db) -> Result<Option<HomeBlock>, AppError> {
    use crate::domain::{IKind, IState};
    let orgs: std::collections::BTreeMap<i64, String> =
        platform::accounts::list_orgs(db).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let mut events: Vec<interview::Interview> =
        interview::list(db, true, None, 200).await?.into_iter().filter(|i| i.kind() == IKind::Coverage).collect();
    // Live first, then coming, then past; each newest first (the list's own order).
    events.sort_by_key(|i| match i.state() {
        IState::Live => 0,
        IState::Announced => 1,
        _ => 2,
    });
    let items: Vec<BlockItem> = events
        .iter()
        .take(10)
        .map(|i| {
            let live = i.state() == IState::Live;
            let mut note: Vec<String> = if live { Vec::new() } else { vec![i.state().label().to_owned()] };
            note.extend(orgs.get(&i.org_id).cloned());
            note.push(platform::fmt_time(i.starts_at).get(..16).unwrap_or("").to_owned());
            if !i.video_url.is_empty() {
                note.push("有视频".to_owned());
            }
            BlockItem {
                url: format!("/canyu/interviews/{}", i.id),
                text: format!("{}{}", if live { "【直播中】" } else { "" }, i.title),
                note: note.join(" · "),
            }
        })
        .collect();
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(HomeBlock { title: COVERAGE.label.into(), url: "/zhibo/".into(), items, figures: Vec::new() }))
}

/// The annual report's participation figures for a period (the whole platform).
pub async fn figures(db: &Db, q: FigureQuery) -> Result<Vec<Figure>, AppError> {
    let (c_opened, c_opinions, c_reported) = consultation::counts(db, q.from, q.to).await?;
    let (s_opened, s_responses, s_published) = survey::counts(db, q.from, q.to).await?;
    let (held, asked, answered) = interview::counts(db, q.from, q.to).await?;
    let f = |key, label, value: i64, unit| Figure { key, label, value: value as f64, unit };
    Ok(vec![
        f("participation.calls", "征集调查期数", c_opened + s_opened, "期"),
        f("participation.opinions", "收到意见数量", c_opinions + s_responses, "条"),
        f("participation.results_published", "公布调查结果期数", c_reported + s_published, "期"),
        f("participation.interviews", "在线访谈期数", held, "期"),
        f("participation.questions", "网民提问数量", asked, "条"),
        f("participation.answered", "答复网民提问数量", answered, "条"),
    ])
}

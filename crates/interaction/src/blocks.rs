//! What letters show outside the mailboxes: the portal's 最新答复 block (the newest published
//! replies of a site's mailboxes with this year's figures) and the figures other modules read
//! (supervision, annual reports). Only published, redacted text leaves this module.

use platform::module::{BlockFigure, BlockItem, Figure, FigureQuery, HomeBlock, HomeBlockKind};
use platform::web::AppError;

use crate::domain::{self, Counts};
use crate::store::{self, PublicFilter};

pub const ANSWERED: HomeBlockKind =
    HomeBlockKind { key: "letters.answered", label: "来信最新答复（本年来信办理情况）" };
pub const KINDS: [HomeBlockKind; 1] = [ANSWERED];

/// How many replies the block lists.
const SHOWN: usize = 6;

fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |v| format!("{v:.1}%"))
}

async fn counts_of(
    db: &platform::db::Db,
    from: &str,
    to: &str,
    mailboxes: &[i64],
    unit: Option<i64>,
) -> Result<Counts, AppError> {
    let today = platform::calendar::date_text(platform::calendar::today());
    let mut total = Counts::default();
    for (_, u, c) in store::counts(db, from, to, mailboxes, &today).await? {
        if unit.is_none_or(|x| x == u) {
            total += c;
        }
    }
    Ok(total)
}

/// The block for the site's own mailboxes; `None` for a site that has none.
pub async fn home_block(db: &platform::db::Db, key: &str, site_id: i64) -> Result<Option<HomeBlock>, AppError> {
    if key != ANSWERED.key {
        return Ok(None);
    }
    let boxes: Vec<store::Mailbox> =
        store::mailboxes(db).await?.into_iter().filter(|m| m.active && m.site_id == Some(site_id)).collect();
    if boxes.is_empty() {
        return Ok(None);
    }
    let mut latest = Vec::new();
    for m in &boxes {
        let (rows, _) = store::public_list(db, Some(m.id), &PublicFilter::default(), SHOWN as i64, 0).await?;
        latest.extend(rows);
    }
    latest.sort_by(|a, b| b.replied_at.cmp(&a.replied_at).then(b.id.cmp(&a.id)));
    latest.truncate(SHOWN);
    let year = platform::calendar::today().year();
    let ids: Vec<i64> = boxes.iter().map(|m| m.id).collect();
    let f = domain::figures(counts_of(db, &format!("{year:04}-01-01"), &format!("{year:04}-12-31"), &ids, None).await?);
    // One mailbox: its own page; several: the mailboxes' front page.
    let url = match boxes.as_slice() {
        [one] => format!("/hudong/{}/", one.code),
        _ => "/hudong/".to_owned(),
    };
    Ok(Some(HomeBlock {
        title: match boxes.as_slice() {
            [one] => format!("{}选登", one.name),
            _ => "来信选登".to_owned(),
        },
        url,
        items: latest
            .into_iter()
            .map(|l| BlockItem {
                url: format!("/hudong/letters/{}", l.no),
                text: l.public_subject,
                note: l.replied_at.map(platform::fmt_date).unwrap_or_default(),
            })
            .collect(),
        figures: vec![
            BlockFigure { label: "本年来信".into(), value: f.counts.received.to_string() },
            BlockFigure { label: "已办结".into(), value: f.counts.completed.to_string() },
            BlockFigure { label: "按期办结率".into(), value: rate(f.on_time_rate) },
        ],
    }))
}

/// Letters received in the period (every mailbox, or one site's — the counts take a list of
/// mailboxes, and an empty list means none; one handling unit's when asked) and how they went.
pub async fn figures(db: &platform::db::Db, q: FigureQuery) -> Result<Vec<Figure>, AppError> {
    let (from, to) = (platform::fmt_date(q.from), platform::fmt_date(q.to - 1));
    let boxes: Vec<i64> = store::mailboxes(db)
        .await?
        .iter()
        .filter(|m| q.site_id.is_none_or(|s| m.site_id == Some(s)))
        .map(|m| m.id)
        .collect();
    let f = domain::figures(counts_of(db, &from, &to, &boxes, q.org_id).await?);
    let mut out = vec![
        Figure { key: "letters.received", label: "收到来信", value: f.counts.received as f64, unit: "件" },
        Figure { key: "letters.completed", label: "办结来信", value: f.counts.completed as f64, unit: "件" },
        Figure { key: "letters.overdue", label: "当前超期", value: f.counts.overdue_now as f64, unit: "件" },
        Figure { key: "letters.published", label: "公开答复数量", value: f.counts.published as f64, unit: "件" },
    ];
    if let Some(d) = f.avg_workdays {
        out.push(Figure { key: "letters.avg_workdays", label: "平均办理时间", value: d, unit: "工作日" });
    }
    // A rate of nothing is left out rather than reported as 0 %.
    for (key, label, r) in [
        ("letters.on_time_rate", "按期办结率", f.on_time_rate),
        ("letters.satisfaction_rate", "满意率", f.satisfaction_rate),
    ] {
        if let Some(v) = r {
            out.push(Figure { key, label, value: v, unit: "%" });
        }
    }
    Ok(out)
}

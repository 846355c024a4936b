//! What disclosure shows outside `/gongkai/`: the portal's home-page block 政府信息公开 (the newest
//! catalogue items, with this year's requests received and answered), and the figures other
//! modules read (supervision, the website annual report).

use platform::db::{Db, sql};
use platform::module::{BlockFigure, BlockItem, Figure, FigureQuery, HomeBlock, HomeBlockKind};
use platform::web::AppError;

use crate::catalogue::Item;

pub const LATEST: HomeBlockKind =
    HomeBlockKind { key: "disclosure.latest", label: "政府信息公开（最新公开目录）" };
pub const KINDS: [HomeBlockKind; 1] = [LATEST];

/// Requests received and requests answered in the period (`to` exclusive), of `units` or all.
async fn counts(db: &Db, from: &str, to: &str, units: Option<&[i64]>) -> Result<(i64, i64), AppError> {
    let scope = |q: platform::db::Q| q.and_within("org_id", units);
    let received = db
        .count(scope(
            sql("SELECT COUNT(*) FROM disclosure_request WHERE submitted_on >= $1 AND submitted_on < $2")
                .bind(from)
                .bind(to),
        ))
        .await?;
    let answered = db
        .count(scope(
            sql("SELECT COUNT(*) FROM disclosure_request WHERE decided_on >= $1 AND decided_on < $2")
                .bind(from)
                .bind(to),
        ))
        .await?;
    Ok((received, answered))
}

pub async fn home_block(db: &Db, key: &str, _site_id: i64) -> Result<Option<HomeBlock>, AppError> {
    if key != LATEST.key {
        return Ok(None);
    }
    let items: Vec<Item> =
        db.fetch_all(sql("SELECT * FROM disclosure_item ORDER BY published_on DESC, id DESC LIMIT 6")).await?;
    let year = platform::calendar::today().year();
    let (received, answered) = counts(db, &format!("{year}-01-01"), &format!("{}-01-01", year + 1), None).await?;
    Ok(Some(HomeBlock {
        title: "政府信息公开".into(),
        url: "/gongkai/catalogue".into(),
        items: items
            .iter()
            .map(|i| BlockItem {
                url: format!("/gongkai/items/{}", i.id),
                text: i.title.clone(),
                note: i.published_on.clone(),
            })
            .collect(),
        figures: vec![
            BlockFigure { label: "本年收到公开申请".into(), value: format!("{received} 件") },
            BlockFigure { label: "本年已答复".into(), value: format!("{answered} 件") },
        ],
    }))
}

/// `disclosure.received` and `disclosure.answered` for a period (unix seconds), optionally for
/// one org unit with its sub-units.
pub async fn figures(db: &Db, cal: &platform::calendar::WorkCalendar, q: FigureQuery) -> Result<Vec<Figure>, AppError> {
    let (from, to) = (platform::fmt_date(q.from), platform::fmt_date(q.to));
    let units: Option<Vec<i64>> = match q.org_id {
        Some(root) => {
            let orgs = platform::accounts::list_orgs(db).await?;
            Some(
                orgs.iter()
                    .filter(|o| platform::accounts::org_chain(&orgs, o.id).contains(&root))
                    .map(|o| o.id)
                    .collect(),
            )
        }
        None => None,
    };
    let (received, answered) = counts(db, &from, &to, units.as_deref()).await?;
    // Answered by the regulation's due day, of those answered in the period: each request's clock
    // replayed on the calendar (补正, consultation and fee pauses, extensions), since the stored due
    // day is cleared once a request is decided.
    let decided: Vec<(String, String)> = db
        .fetch_all(
            sql("SELECT clock, decided_on FROM disclosure_request WHERE decided_on >= $1 AND decided_on < $2")
                .bind(from.as_str())
                .bind(to.as_str())
                .and_within("org_id", units.as_deref()),
        )
        .await?;
    let on_time = decided
        .iter()
        .filter(|(clock, decided_on)| {
            let r = crate::store::Request { clock: clock.clone(), ..Default::default() };
            let due = crate::domain::clock(&r.clock_events(), cal).due;
            match (due, platform::calendar::date(decided_on)) {
                (Some(due), Some(day)) => day <= due,
                // Decided while the clock stood (补正 awaited): nothing was late.
                (None, Some(_)) => true,
                _ => false,
            }
        })
        .count() as i64;
    // The catalogue's items and interpretations published in the period (信息公开目录信息更新量,
    // 解读信息发布总数), as the website annual report counts them.
    let published = sql("SELECT COUNT(*) FROM disclosure_item WHERE published_on >= $1 AND published_on < $2")
        .bind(from.as_str())
        .bind(to.as_str())
        .and_within("org_id", units.as_deref());
    let interpretations = sql(
        "SELECT COUNT(DISTINCT i.id) FROM disclosure_item i JOIN disclosure_interpretation x ON x.interpretation_id = i.id \
         WHERE i.published_on >= $1 AND i.published_on < $2",
    )
    .bind(from.as_str())
    .bind(to.as_str())
    .and_within("i.org_id", units.as_deref());
    let (published, interpretations) = (db.count(published).await?, db.count(interpretations).await?);
    // A rate of nothing is left out rather than reported as 0 %.
    let on_time_rate = (answered > 0).then(|| Figure {
        key: "disclosure.on_time_rate",
        label: "依申请公开按期答复率",
        value: (on_time as f64 * 1000.0 / answered as f64).round() / 10.0,
        unit: "%",
    });
    Ok(vec![
        Figure {
            key: "disclosure.catalogue_published",
            label: "信息公开目录信息更新量",
            value: published as f64,
            unit: "条",
        },
        Figure {
            key: "disclosure.interpretations",
            label: "解读信息发布总数",
            value: interpretations as f64,
            unit: "条",
        },
        Figure {
            key: "disclosure.received", label: "收到政府信息公开申请", value: received as f64, unit: "件"
        },
        Figure {
            key: "disclosure.answered", label: "答复政府信息公开申请", value: answered as f64, unit: "件"
        },
    ]
    .into_iter()
    .chain(on_time_rate)
    .collect())
}

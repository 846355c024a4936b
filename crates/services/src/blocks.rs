//! What online services show outside the hall: the portal's home-page blocks (热门办事事项 and
//! 办件公示 with this year's totals) and the figures other modules read (supervision, annual
//! reports). Everything here reads the statistics tally, never the million application rows.

use platform::module::{BlockFigure, BlockItem, Figure, FigureQuery, HomeBlock, HomeBlockKind};
use platform::web::AppError;

use crate::store::{self, Item, ItemCounts};

pub const POPULAR: HomeBlockKind = HomeBlockKind { key: "services.popular", label: "热门办事事项" };
pub const GONGSHI: HomeBlockKind =
    HomeBlockKind { key: "services.gongshi", label: "办件公示（本年办件量）" };
pub const KINDS: [HomeBlockKind; 2] = [POPULAR, GONGSHI];

/// The most applied-for items of the last 90 days, most first, among `items` that `fits` keeps.
pub async fn popular<'a>(
    db: &platform::db::Db,
    items: &'a [Item],
    n: usize,
    fits: impl Fn(&Item) -> bool,
) -> Result<Vec<&'a Item>, AppError> {
    let today = platform::calendar::today();
    let from = platform::calendar::date_text(today - time::Duration::days(90));
    let mut counts = store::item_counts(db, &from, &platform::calendar::date_text(today)).await?;
    counts.sort_by(|a, b| b.received.cmp(&a.received).then(a.item_id.cmp(&b.item_id)));
    Ok(counts.iter().filter_map(|c| items.iter().find(|i| i.id == c.item_id && fits(i))).take(n).collect())
}

/// This year's applications so far, summed over items.
async fn this_year(db: &platform::db::Db) -> Result<ItemCounts, AppError> {
    let year = platform::calendar::today().year();
    let rows = store::item_counts(db, &format!("{year:04}-01-01"), &format!("{year:04}-12-31")).await?;
    Ok(sum(&rows))
}

fn sum(rows: &[ItemCounts]) -> ItemCounts {
    rows.iter().fold(ItemCounts::default(), |mut t, c| {
        t.received += c.received;
        t.completed += c.completed;
        t.on_time += c.on_time;
        t.workdays += c.workdays;
        t.rated += c.rated;
        t.rating_sum += c.rating_sum;
        t.bad += c.bad;
        t
    })
}

/// A per-cent figure with one decimal, or `—` when nothing was counted.
fn pct(n: i64, d: i64) -> String {
    if d > 0 { format!("{:.1}%", n as f64 * 100.0 / d as f64) } else { "—".into() }
}

/// A block for any site: the hall serves the whole group.
pub async fn home_block(db: &platform::db::Db, key: &str, _site_id: i64) -> Result<Option<HomeBlock>, AppError> {
    match key {
        k if k == POPULAR.key => {
            let items = store::items(db, true).await?;
            let top = popular(db, &items, 8, |_| true).await?;
            Ok(Some(HomeBlock {
                title: "热门办事事项".into(),
                url: "/banshi/".into(),
                items: top
                    .into_iter()
                    .map(|i| BlockItem {
                        url: format!("/banshi/items/{}", i.code),
                        text: i.name.clone(),
                        note: if i.online { "可在线办理".into() } else { String::new() },
                    })
                    .collect(),
                figures: Vec::new(),
            }))
        }
        k if k == GONGSHI.key => {
            let year = this_year(db).await?;
            let (rows, _) = store::recent(db, 6, 0).await?;
            let items = store::items(db, false).await?;
            let item_name = |id: i64| items.iter().find(|i| i.id == id).map(|i| i.name.clone()).unwrap_or_default();
            Ok(Some(HomeBlock {
                title: "办件公示".into(),
                url: "/banshi/gongshi".into(),
                // The item and where the case stands; the full page lists numbers and masked applicants.
                items: rows
                    .iter()
                    .map(|a| BlockItem {
                        url: "/banshi/gongshi".into(),
                        text: item_name(a.item_id),
                        note: crate::domain::State::parse(&a.state).map(|s| s.label()).unwrap_or_default().into(),
                    })
                    .collect(),
                figures: vec![
                    BlockFigure { label: "本年受理".into(), value: year.received.to_string() },
                    BlockFigure { label: "本年办结".into(), value: year.completed.to_string() },
                    BlockFigure { label: "按期办结率".into(), value: pct(year.on_time, year.completed) },
                ],
            }))
        }
        _ => Ok(None),
    }
}

/// Applications received in the period (all units, or one unit's items) and how they went.
pub async fn figures(db: &platform::db::Db, q: FigureQuery) -> Result<Vec<Figure>, AppError> {
    let (from, to) = (platform::fmt_date(q.from), platform::fmt_date(q.to - 1));
    let rows = store::item_counts(db, &from, &to).await?;
    let rows: Vec<ItemCounts> = rows.into_iter().filter(|c| q.org_id.is_none_or(|o| o == c.org_id)).collect();
    let t = sum(&rows);
    let mut out = vec![
        Figure { key: "services.received", label: "受理办件", value: t.received as f64, unit: "件" },
        Figure { key: "services.completed", label: "办结办件", value: t.completed as f64, unit: "件" },
        Figure { key: "services.rated", label: "评价数", value: t.rated as f64, unit: "件" },
        Figure { key: "services.bad", label: "差评数", value: t.bad as f64, unit: "件" },
    ];
    // A rate of nothing is left out rather than reported as 0 %.
    if t.completed > 0 {
        let rate = (t.on_time as f64 * 1000.0 / t.completed as f64).round() / 10.0;
        out.push(Figure { key: "services.on_time_rate", label: "按期办结率", value: rate, unit: "%" });
    }
    // The website annual report's 办事服务 figures: the catalogue and applications by applicant.
    let items = platform::db::sql("SELECT COUNT(*) FROM service_item WHERE published")
        .and_within("org_id", q.org_id.map(|o| vec![o]).as_deref());
    let online = platform::db::sql("SELECT COUNT(*) FROM service_item WHERE published AND online")
        .and_within("org_id", q.org_id.map(|o| vec![o]).as_deref());
    let by_kind = |kind: &'static str| {
        platform::db::sql(
            "SELECT COUNT(*) FROM application WHERE applicant_kind = $1 AND submitted_at >= $2 AND submitted_at < $3",
        )
        .bind(kind)
        .bind(q.from)
        .bind(q.to)
        .and_within("org_id", q.org_id.map(|o| vec![o]).as_deref())
    };
    for (key, label, query, unit) in [
        ("services.items", "政务服务事项数量", items, "项"),
        ("services.items_online", "可全程在线办理政务服务事项数量", online, "项"),
        ("services.applications_person", "自然人办件量", by_kind("person"), "件"),
        ("services.applications_org", "法人办件量", by_kind("org"), "件"),
    ] {
        out.push(Figure { key, label, value: db.count(query).await? as f64, unit });
    }
    Ok(out)
}

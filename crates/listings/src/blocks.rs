//! What 供求信息 shows outside `/gongqiu/`: the home-page block of the newest listings on every
//! board, and its figures for the annual report and the supervision module (listings published
//! and contacts asked for in a period).

use platform::db::Db;
use platform::module::{BlockFigure, BlockItem, Figure, FigureQuery, HomeBlock, HomeBlockKind};
use platform::web::AppError;

use crate::store::{self, Filter};

pub const LATEST: HomeBlockKind =
    HomeBlockKind { key: "listings.latest", label: "供求信息（人才劳务、农产品、创业）" };
pub const KINDS: [HomeBlockKind; 1] = [LATEST];

pub async fn home_block(db: &Db, key: &str) -> Result<Option<HomeBlock>, AppError> {
    if key != LATEST.key {
        return Ok(None);
    }
    let now = platform::db::now();
    let rows = store::live(db, &Filter::default(), now, 8).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let items = rows
        .iter()
        .map(|l| BlockItem {
            url: format!("/gongqiu/l/{}", l.id),
            text: format!("【{}】{}", l.kind().label(), l.title),
            note: platform::fmt_date(l.published_at.unwrap_or(l.created_at)),
        })
        .collect();
    let (from, to) = platform::year_bounds(platform::current_year());
    let published: i64 = store::stats(db, from, to, now).await?.iter().map(|r| r.published).sum();
    Ok(Some(HomeBlock {
        title: "供求信息".into(),
        url: "/gongqiu/".into(),
        items,
        figures: vec![BlockFigure { label: "本年发布".into(), value: format!("{published} 条") }],
    }))
}

pub async fn figures(db: &Db, q: FigureQuery) -> Result<Vec<Figure>, AppError> {
    if q.org_id.is_some() {
        // Listings belong to the group, not to a unit.
        return Ok(Vec::new());
    }
    let rows = store::stats(db, q.from, q.to, platform::db::now()).await?;
    let f = |key, label, value: i64, unit| Figure { key, label, value: value as f64, unit };
    Ok(vec![
        f("listings.published", "发布供求信息", rows.iter().map(|r| r.published).sum(), "条"),
        f("listings.reveals", "供求信息联系方式查看", rows.iter().map(|r| r.reveals).sum(), "次"),
    ])
}

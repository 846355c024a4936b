//! The demo's 错敏词 dictionary: wrong names of the city's institutions and places and common
//! errors in official writing, as a 市政府办公厅 would start it; and the portal's pre-warning
//! address.

use platform::db::sql;
use platform::web::AppState;
use platform::web::portal::group_sites;

/// (wrong, correct, serious, note)
pub const WORDS: [(&str, &str, bool, &str); 11] = [
    ("哈尔滨市人民政俯", "哈尔滨市人民政府", true, "机关名称错误"),
    ("哈尔宾", "哈尔滨", true, "地名错误"),
    ("黑龙江省哈尔滨市人民政府办公厅厅", "黑龙江省哈尔滨市人民政府办公厅", true, "机关名称错误"),
    ("中华人民共和国国务院办公厅厅", "国务院办公厅", true, "机关名称错误"),
    ("道里区人民政俯", "道里区人民政府", true, "机关名称错误"),
    ("既使", "即使", false, "常见错别字"),
    ("再接再励", "再接再厉", false, "常见错别字"),
    ("按步就班", "按部就班", false, "常见错别字"),
    ("迫不急待", "迫不及待", false, "常见错别字"),
    ("一愁莫展", "一筹莫展", false, "常见错别字"),
    ("截止目前", "截至目前", false, "“截至”表示到某一时间为止"),
];

pub async fn load(state: &AppState, demo: &platform::module::DemoSetup) -> anyhow::Result<Vec<String>> {
    let now = platform::db::now();
    let mut n = 0;
    for (wrong, correct, serious, note) in WORDS.iter() {
        n += state
            .db
            .execute(
                sql("INSERT INTO wording_rule (wrong, correct, severity, note, created_by, created_at, updated_at) \
                     VALUES ($1,$2,$3,$4,'demo',$5,$5) ON CONFLICT (wrong) DO NOTHING")
                .bind(*wrong)
                .bind(*correct)
                .bind(if *serious { "serious" } else { "general" })
                .bind(*note)
                .bind(now),
            )
            .await?;
    }
    if let Some(portal) = group_sites(&state.db).await?.first() {
        crate::monitor::save_settings(
            &state.db,
            &crate::monitor::SiteSettings {
                site_id: portal.id,
                probe_url: String::new(),
                warning_email: "wzb@harbin.gov.cn".into(),
            },
        )
        .await?;
    }
    let subscribers = demo_subscribers(state, i64::from(demo.size("subscribers"))).await?;
    let mut lines = vec![format!("错敏词库：{n} 条"), format!("信息订阅：{subscribers} 位已确认的订阅者")];
    lines.extend(crate::ratings::demo::load(&state.db, demo).await?);
    lines.extend(crate::evaluation::load_demo(state).await?);
    Ok(lines)
}

/// Confirmed subscribers of the portal's columns (by mail and SMS, every frequency), so the office
/// sees figures and a publication sends real alerts into the outbox.
async fn demo_subscribers(state: &AppState, count: i64) -> anyhow::Result<i64> {
    let Some(portal) = group_sites(&state.db).await?.into_iter().next() else { return Ok(0) };
    if count == 0 || state.db.count(sql("SELECT COUNT(*) FROM subscriber")).await? > 0 {
        return Ok(0);
    }
    let topics = state.modules.subscription_topics(state, portal.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let topics: Vec<String> = topics.into_iter().take(8).map(|t| t.key).collect();
    if topics.is_empty() {
        return Ok(0);
    }
    let now = platform::db::now();
    let frequencies = ["immediate", "daily", "daily", "weekly"];
    let mut n = 0;
    for i in 0..count {
        let (channel, address) = if i % 4 == 3 {
            ("sms", format!("139{:08}", 45_000_000 + i % 50_000_000))
        } else {
            ("mail", format!("reader{i:03}@example.com"))
        };
        let ids: Vec<(i64,)> = state
            .db
            .fetch_all(
                sql("INSERT INTO subscriber (site_id, channel, address, address_hash, frequency, state, nonce, created_at, confirmed_at) \
                     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7) RETURNING id")
                .bind(portal.id)
                .bind(channel)
                .bind(platform::sealed::seal(&address))
                .bind(platform::sealed::lookup_hash(&address))
                .bind(frequencies[(i % 4) as usize])
                .bind(platform::security::random_token(12))
                .bind(now - (count - i).min(120) * 3 * 86_400),
            )
            .await?;
        let Some((id,)) = ids.first().copied() else { continue };
        for (j, t) in topics.iter().enumerate() {
            if (i as usize + j).is_multiple_of(3) || j == 0 {
                state
                    .db
                    .execute(
                        sql("INSERT INTO subscription (subscriber_id, topic) VALUES ($1, $2)")
                            .bind(id)
                            .bind(t.as_str()),
                    )
                    .await?;
            }
        }
        n += 1;
    }
    Ok(n)
}

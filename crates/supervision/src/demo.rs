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

pub async fn load(state: &AppState, _demo: &platform::module::DemoSetup) -> anyhow::Result<Vec<String>> {
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
    Ok(vec![format!("错敏词库：{n} 条")])
}

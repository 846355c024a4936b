//! The service hall's findings for the compliance monitor: published items whose guide (办事指南)
//! lacks key elements, from the same completeness check the catalogue page shows. The hall
//! belongs to the portal site.

use platform::accounts;
use platform::module::{ComplianceQuery, Finding};
use platform::web::{AppError, AppState};

use crate::{service, store};

pub async fn findings(state: &AppState, q: ComplianceQuery) -> Result<Vec<Finding>, AppError> {
    let Some(portal) = platform::web::portal::portal_site_id(&state.db).await.and_then(|s| i64::try_from(s).ok())
    else {
        return Ok(Vec::new());
    };
    if q.site_id.is_some_and(|s| s != portal) {
        return Ok(Vec::new());
    }
    let orgs = accounts::list_orgs(&state.db).await?;
    Ok(store::items(&state.db, true)
        .await?
        .iter()
        .filter_map(|i| {
            let missing = service::completeness(i, &orgs);
            (!missing.is_empty()).then(|| Finding {
                indicator: "guide_incomplete".into(),
                site_id: Some(portal),
                subject: format!("事项“{}”", i.name),
                detail: format!("办事指南缺少：{}", missing.join("、")),
                fix_url: format!("/admin/services/items/{}", i.id),
                warning: false,
            })
        })
        .collect())
}

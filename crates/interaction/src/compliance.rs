//! The letters' findings for the compliance monitor: a consultation letter left unanswered for
//! more than three months within the past year (a veto item under 国办秘函〔2019〕19号, pre-warned
//! from the 75th day) and letters past their handling deadline (a deduction).

use platform::db::sql;
use platform::module::{ComplianceQuery, Finding};
use platform::web::{AppError, AppState};

use crate::store;

const DAY: i64 = 86_400;
/// 超过3个月: counted as 90 days, the reading monitors use.
pub const UNANSWERED_DAYS: i64 = 90;
/// Warned this many days before the veto line.
pub const WARN_DAYS: i64 = 15;

/// The states in which a letter still owes its writer an answer: open ones, and those not yet
/// screened (an unscreened letter is unanswered too), as the state machine defines them.
fn unanswered_states() -> String {
    let codes: Vec<String> = crate::domain::State::ALL
        .into_iter()
        .filter(|s| s.is_open() || *s == crate::domain::State::Submitted)
        .map(|s| format!("'{}'", s.code()))
        .collect();
    format!("({})", codes.join(","))
}

#[derive(sqlx::FromRow)]
struct OpenLetter {
    id: i64,
    no: String,
    mailbox_id: i64,
    submitted_at: i64,
    due_date: Option<String>,
}

pub async fn findings(state: &AppState, q: ComplianceQuery) -> Result<Vec<Finding>, AppError> {
    let boxes = store::mailboxes(&state.db).await?;
    let site_of = |mailbox: i64| boxes.iter().find(|m| m.id == mailbox).and_then(|m| m.site_id);
    let letters: Vec<OpenLetter> = state
        .db
        .fetch_all(
            sql(format!(
                "SELECT id, no, mailbox_id, submitted_at, due_date FROM letter WHERE state IN {} AND submitted_at >= $1",
                unanswered_states()
            ))
            .bind(q.now - 365 * DAY),
        )
        .await?;
    let today = platform::fmt_date(q.now);
    let mut out = Vec::new();
    for l in letters {
        let site_id = site_of(l.mailbox_id);
        if q.site_id.is_some_and(|s| site_id != Some(s)) {
            continue;
        }
        let days = (q.now - l.submitted_at) / DAY;
        let fix_url = format!("/admin/letters/{}", l.id);
        if days >= UNANSWERED_DAYS - WARN_DAYS {
            let warning = days <= UNANSWERED_DAYS;
            out.push(Finding {
                indicator: "letter_unanswered_3m".into(),
                site_id,
                subject: format!("来信 {}", l.no),
                detail: if warning {
                    format!("已 {days} 天未答复，{} 天后超过 3 个月", UNANSWERED_DAYS - days + 1)
                } else {
                    format!("已 {days} 天未答复（超过 3 个月）")
                },
                fix_url: fix_url.clone(),
                warning,
            });
        }
        if let Some(due) = l.due_date.filter(|d| d.as_str() < today.as_str()) {
            out.push(Finding {
                indicator: "letter_overdue".into(),
                site_id,
                subject: format!("来信 {}", l.no),
                detail: format!("办理期限 {due} 已过，尚未答复"),
                fix_url,
                warning: false,
            });
        }
    }
    Ok(out)
}

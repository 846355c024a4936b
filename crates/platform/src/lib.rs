//! The platform every Zhengwu subsystem stands on: configuration, the database layer for SQLite and
//! PostgreSQL, the organisation tree, accounts and scoped roles (with 三员分立), sign-in and sessions,
//! the tamper-evident audit log, the back-office shell (server-rendered pages) and the JSON API
//! conventions (problem+json errors, OpenAPI, tokens).
//!
//! Where things live: pure rules in `roles` and `security`; storage in `accounts` and `audit`;
//! HTTP in `web` (middleware, extractors, errors, templates) with the platform's own pages in
//! `web::pages` and its JSON API in `web::api`. Subsystems (CMS, letters, online services …) plug in
//! through [`module::Module`]; the shared machinery they use is here too: `workflow`, `outbox`,
//! `jobs`, `feed`, `intake`, `calendar`, `sealed`, `privacy`.

/// Lets a serde type be used directly as a template value (`context! { user => user }`).
#[macro_export]
macro_rules! template_value {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$t> for minijinja::Value {
            fn from(v: $t) -> Self {
                minijinja::Value::from(minijinja::value::Serde(v))
            }
        }
        impl From<&$t> for minijinja::Value {
            fn from(v: &$t) -> Self {
                minijinja::Value::from(minijinja::value::Serde(v))
            }
        }
    )+};
}

pub mod accounts;
pub mod analytics;
pub mod audit;
pub mod blobs;
pub mod calendar;
pub mod changes;
pub mod charts;
pub mod codes;
pub mod content_check;
pub mod db;
pub mod feed;
pub mod fetch;
pub mod i18n;
pub mod intake;
pub mod jobs;
pub mod links;
pub mod mail;
pub mod media;
pub mod module;
pub mod outbox;
pub mod privacy;
pub mod relations;
pub mod roles;
pub mod sealed;
pub mod security;
pub mod sms;
pub mod web;
pub mod workflow;

/// Formats Unix seconds as Beijing time, `YYYY-MM-DD HH:MM`, the form government pages use.
pub fn fmt_time(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let t = t.to_offset(offset);
            format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
        }
        Err(_) => String::new(),
    }
}

/// Formats Unix seconds as a Beijing date, `YYYY-MM-DD`.
pub fn fmt_date(unix: i64) -> String {
    fmt_time(unix).chars().take(10).collect()
}

/// Parses `YYYY-MM-DD` (Beijing) into Unix seconds at local midnight.
pub fn parse_date(s: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), &fmt).ok()?;
    Some(d.midnight().assume_offset(time::UtcOffset::from_hms(8, 0, 0).ok()?).unix_timestamp())
}

/// Parses `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` (as `datetime-local` sends) in Beijing time.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim().replace('T', " ");
    let (d, t) = s.split_once(' ').unwrap_or((&s, "00:00"));
    let day = parse_date(d)?;
    let (h, m) = t.split_once(':')?;
    let h: i64 = h.parse().ok().filter(|h| (0..24).contains(h))?;
    let m: i64 = m.get(..2).unwrap_or(m).parse().ok().filter(|m| (0..60).contains(m))?;
    Some(day + h * 3600 + m * 60)
}

/// Unix seconds as a `datetime-local` field's value (`YYYY-MM-DDTHH:MM`, Beijing), or empty.
pub fn format_datetime(t: Option<i64>) -> String {
    t.map(|t| fmt_time(t).replace(' ', "T")).unwrap_or_default()
}

/// The year it is now in Beijing.
pub fn current_year() -> i32 {
    fmt_date(db::now()).get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026)
}

/// A calendar year in Beijing as unix seconds: from its first moment (inclusive) to the next
/// year's (exclusive).
pub fn year_bounds(year: i32) -> (i64, i64) {
    let start = |y: i32| parse_date(&format!("{y:04}-01-01")).unwrap_or(0);
    (start(year), start(year + 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_beijing() {
        assert_eq!(super::fmt_time(0), "1970-01-01 08:00");
        assert_eq!(super::parse_date("2026-01-01"), Some(1_767_196_800));
        assert_eq!(super::fmt_date(1_767_196_800), "2026-01-01");
        assert_eq!(super::year_bounds(2026), (1_767_196_800, 1_767_196_800 + 365 * 86_400));
        assert_eq!(super::parse_date("2026-13-01"), None);
    }
}

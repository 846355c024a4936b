//! Working days (工作日) as Chinese administrative deadlines count them: Monday to Friday, minus
//! statutory holidays, plus the weekend days the State Council turns into working days (调休).
//! One implementation for letters, applications, disclosure requests and proposals. Pure: the
//! calendar data comes in (shipped years in `data/holidays.txt`, later years added by
//! administrators) and dates come out.
//!
//! Semantics used everywhere: a deadline of N working days from a start date is the N-th working
//! day *after* the start date (the start day itself does not count, as 《政府信息公开条例》 and local
//! rules count "自收到之日起" periods), and a pause stops the clock for the working days it covers.

use std::collections::BTreeMap;

use time::{Date, Duration, Month, Weekday};

/// What a day is, when the notice says anything about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// 法定节假日（含调休放假）.
    Holiday,
    /// 调休上班日 on a weekend.
    Workday,
}

#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    days: BTreeMap<Date, (DayKind, String)>,
}

/// Parses `YYYY-MM-DD`.
pub fn date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

const SHIPPED: &str = include_str!("../data/holidays.txt");

impl WorkCalendar {
    /// The calendar shipped with Zhengwu (2025 and 2026).
    pub fn shipped() -> Self {
        let mut c = WorkCalendar::default();
        c.load_text(SHIPPED);
        c
    }

    /// Adds lines of the `YYYY-MM-DD 休|班 名称` format; returns how many were understood.
    pub fn load_text(&mut self, text: &str) -> usize {
        let mut n = 0;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut parts = line.split_whitespace();
            let (Some(d), Some(k)) = (parts.next().and_then(date), parts.next()) else { continue };
            let kind = match k {
                "休" => DayKind::Holiday,
                "班" => DayKind::Workday,
                _ => continue,
            };
            self.set(d, kind, parts.collect::<Vec<_>>().join(" "));
            n += 1;
        }
        n
    }

    pub fn set(&mut self, day: Date, kind: DayKind, name: String) {
        self.days.insert(day, (kind, name));
    }

    pub fn remove(&mut self, day: Date) {
        self.days.remove(&day);
    }

    /// Years for which an official schedule is loaded. Deadlines reaching past them are still
    /// computed (weekends only) but should be shown as provisional.
    pub fn known_years(&self) -> Vec<i32> {
        let mut y: Vec<i32> = self.days.keys().map(|d| d.year()).collect();
        y.dedup();
        y
    }

    pub fn covers(&self, day: Date) -> bool {
        self.known_years().contains(&day.year())
    }

    pub fn is_workday(&self, day: Date) -> bool {
        match self.days.get(&day) {
            Some((DayKind::Workday, _)) => true,
            Some((DayKind::Holiday, _)) => false,
            None => !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// Every holiday and make-up working day, in date order.
    pub fn special_days(&self) -> impl Iterator<Item = (Date, DayKind, &str)> {
        self.days.iter().map(|(d, (k, n))| (*d, *k, n.as_str()))
    }

    /// The holiday or make-up day's name, if the day is one.
    pub fn name_of(&self, day: Date) -> Option<&str> {
        self.days.get(&day).map(|(_, n)| n.as_str())
    }

    /// The `n`-th working day after `start` (`n = 0` returns `start`).
    pub fn add_workdays(&self, start: Date, n: u32) -> Date {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.next_day().unwrap_or(d);
            if self.is_workday(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days left on `today` until `due` — negative when overdue, and at least 1 day
    /// overdue from the first day after `due` even when that day is a holiday. Every deadline
    /// label (letters, applications) and every overdue count reads this one definition.
    pub fn workdays_left(&self, today: Date, due: Date) -> i64 {
        if today > due {
            -i64::from(self.workdays_between(due, today)).max(1)
        } else {
            i64::from(self.workdays_between(today, due))
        }
    }

    /// Working days in the interval (`from`, `to`] — 0 when `to` is not after `from`.
    pub fn workdays_between(&self, from: Date, to: Date) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.next_day().unwrap_or(to);
            if self.is_workday(d) {
                n += 1;
            }
        }
        n
    }
}

/// The calendar in force: the shipped years plus what administrators added in the database.
pub async fn load(db: &crate::db::Db) -> crate::db::DbResult<WorkCalendar> {
    #[derive(sqlx::FromRow)]
    struct Row {
        day: String,
        kind: String,
        name: String,
    }
    let mut c = WorkCalendar::shipped();
    let rows: Vec<Row> = db.fetch_all(crate::db::sql("SELECT day, kind, name FROM calendar_day ORDER BY day")).await?;
    for r in rows {
        if let Some(d) = date(&r.day) {
            c.set(d, if r.kind == "workday" { DayKind::Workday } else { DayKind::Holiday }, r.name);
        }
    }
    Ok(c)
}

/// The calendar as the deadline code of every module reads it: loaded from the database and
/// re-read at most once a minute, so a year an administrator adds reaches every node soon.
#[derive(Default)]
pub struct CachedCalendar {
    cell: std::sync::RwLock<Option<(std::time::Instant, std::sync::Arc<WorkCalendar>)>>,
}

impl CachedCalendar {
    pub async fn get(&self, db: &crate::db::Db) -> std::sync::Arc<WorkCalendar> {
        if let Ok(g) = self.cell.read()
            && let Some((at, c)) = g.as_ref()
            && at.elapsed() < std::time::Duration::from_secs(60)
        {
            return c.clone();
        }
        let cal = std::sync::Arc::new(load(db).await.unwrap_or_else(|_| WorkCalendar::shipped()));
        if let Ok(mut g) = self.cell.write() {
            *g = Some((std::time::Instant::now(), cal.clone()));
        }
        cal
    }
}

/// Today in Beijing (deadlines are counted in Beijing dates wherever the server runs).
pub fn today() -> Date {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}

/// `YYYY-MM-DD`, the form dates are stored and shown in.
pub fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Stores days an administrator entered (a day entered again is corrected).
pub async fn save(db: &crate::db::Db, days: &[(Date, DayKind, String)], by: &str) -> crate::db::DbResult<()> {
    for (day, kind, name) in days {
        let kind = if *kind == DayKind::Workday { "workday" } else { "holiday" };
        db.execute(
            crate::db::sql(
                "INSERT INTO calendar_day (day, kind, name, added_by, added_at) VALUES ($1,$2,$3,$4,$5) \
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, added_by = excluded.added_by, added_at = excluded.added_at",
            )
            .bind(day.to_string())
            .bind(kind)
            .bind(name.as_str())
            .bind(by)
            .bind(crate::db::now()),
        )
        .await?;
    }
    Ok(())
}

/// Parses schedule lines an administrator pasted; returns the days or the first bad line.
pub fn parse_lines(text: &str) -> Result<Vec<(Date, DayKind, String)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        let day = parts
            .next()
            .and_then(date)
            .ok_or_else(|| format!("第 {} 行的日期无法识别（应为 YYYY-MM-DD）：{line}", i + 1))?;
        let kind = match parts.next() {
            Some("休") => DayKind::Holiday,
            Some("班") => DayKind::Workday,
            _ => return Err(format!("第 {} 行应写明“休”或“班”：{line}", i + 1)),
        };
        let name: String = parts.collect::<Vec<_>>().join(" ");
        if kind == DayKind::Workday && !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return Err(format!("第 {} 行：{day} 不是周末，无需设为调休上班日", i + 1));
        }
        out.push((day, kind, if name.is_empty() { "节假日".into() } else { name }));
    }
    if out.is_empty() {
        return Err("没有可保存的日期".into());
    }
    Ok(out)
}

/// A time limit as rules state it: working days, calendar days or calendar months (代表建议 are
/// answered "within 3 months", 公开申请 "within 20 working days").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "unit", content = "n")]
pub enum Limit {
    WorkingDays(u32),
    CalendarDays(u32),
    CalendarMonths(u32),
}

impl Limit {
    /// The due date counted from `start` (the start day not counted).
    pub fn due(self, cal: &WorkCalendar, start: Date) -> Date {
        match self {
            Limit::WorkingDays(n) => cal.add_workdays(start, n),
            Limit::CalendarDays(n) => start + Duration::days(i64::from(n)),
            Limit::CalendarMonths(n) => add_months(start, n),
        }
    }

    pub fn label(self) -> String {
        match self {
            Limit::WorkingDays(n) => format!("{n} 个工作日"),
            Limit::CalendarDays(n) => format!("{n} 日"),
            Limit::CalendarMonths(n) => format!("{n} 个月"),
        }
    }
}

/// The same day `n` months later; the month's last day when that day does not exist (1月31日 +
/// 1 个月 = 2月28日 or 29日).
pub fn add_months(start: Date, n: u32) -> Date {
    let total = start.year() * 12 + (u8::from(start.month()) as i32 - 1) + n as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, start.day().min(last)).unwrap_or(start)
}

/// A deadline whose clock can stop and restart (补正 waits for the applicant; consulting a third
/// party is not counted). Each pause covers the working days from its start to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PausableDeadline {
    pub start: Date,
    pub limit: Limit,
    /// Closed pauses (from, to) and at most one open pause at the end.
    pub pauses: Vec<(Date, Option<Date>)>,
    /// Working days granted by approved extensions (延期).
    pub extended_workdays: u32,
}

impl PausableDeadline {
    pub fn new(start: Date, limit: Limit) -> Self {
        PausableDeadline { start, limit, pauses: Vec::new(), extended_workdays: 0 }
    }

    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|(_, end)| end.is_none())
    }

    /// Stops the clock on `day` (no effect if already paused).
    pub fn pause(&mut self, day: Date) {
        if !self.is_paused() {
            self.pauses.push((day, None));
        }
    }

    /// Restarts the clock on `day`.
    pub fn resume(&mut self, day: Date) {
        if let Some(last) = self.pauses.last_mut()
            && last.1.is_none()
        {
            last.1 = Some(day.max(last.0));
        }
    }

    /// The due date: the base limit, plus extensions, pushed back by the working days spent paused.
    /// While paused there is no due date (`None`): the clock is stopped.
    pub fn due(&self, cal: &WorkCalendar) -> Option<Date> {
        if self.is_paused() {
            return None;
        }
        let base = self.limit.due(cal, self.start);
        let paused: u32 = self.pauses.iter().filter_map(|(a, b)| b.map(|b| cal.workdays_between(*a, b))).sum();
        Some(cal.add_workdays(base, paused + self.extended_workdays))
    }

    /// Working days left on `today` (negative when overdue), or `None` while paused.
    pub fn remaining(&self, cal: &WorkCalendar, today: Date) -> Option<i64> {
        let due = self.due(cal)?;
        Some(cal.workdays_left(today, due))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        date(s).unwrap_or_else(|| panic!("bad date {s}"))
    }

    #[test]
    fn workdays_left_counts_hand_computed_days() {
        let cal = WorkCalendar::shipped();
        // Due Friday 2026-11-20.
        assert_eq!(cal.workdays_left(d("2026-11-18"), d("2026-11-20")), 2, "Thursday and Friday");
        assert_eq!(cal.workdays_left(d("2026-11-20"), d("2026-11-20")), 0, "due today");
        assert_eq!(cal.workdays_left(d("2026-11-21"), d("2026-11-20")), -1, "the Saturday after is already overdue");
        assert_eq!(cal.workdays_left(d("2026-11-23"), d("2026-11-20")), -1, "Monday: one working day late");
        assert_eq!(cal.workdays_left(d("2026-11-25"), d("2026-11-20")), -3, "Monday to Wednesday");
        assert_eq!(cal.workdays_left(d("2026-12-02"), d("2026-11-20")), -8);
    }

    #[test]
    fn pasted_lines_are_checked() {
        let ok = parse_lines("# 2027\n2027-01-01 休 元旦\n2027-02-06 班 春节调休").unwrap();
        assert_eq!(ok.len(), 2);
        assert!(parse_lines("2027-13-01 休 元旦").unwrap_err().contains("第 1 行"));
        assert!(parse_lines("2027-01-01 放 元旦").unwrap_err().contains("休"));
        assert!(parse_lines("2027-01-04 班 调休").unwrap_err().contains("不是周末"));
        assert!(parse_lines("").is_err());
    }

    #[test]
    fn shipped_schedule_has_2025_and_2026() {
        let c = WorkCalendar::shipped();
        assert_eq!(c.known_years(), vec![2025, 2026]);
        assert_eq!(c.name_of(d("2026-02-17")), Some("春节"));
        // Every make-up day is a weekend day, every holiday listed is off.
        for (day, (kind, _)) in &c.days {
            match kind {
                DayKind::Workday => assert!(matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday), "{day}"),
                DayKind::Holiday => assert!(!c.is_workday(*day)),
            }
        }
    }

    #[test]
    fn make_up_saturday_counts_as_a_working_day() {
        let c = WorkCalendar::shipped();
        // 2026-02-14 is a Saturday worked before the Spring Festival.
        assert_eq!(d("2026-02-14").weekday(), Weekday::Saturday);
        assert!(c.is_workday(d("2026-02-14")));
        // Friday 13 Feb + 1 working day = that Saturday; + 2 = the Tuesday after the nine-day break.
        assert_eq!(c.add_workdays(d("2026-02-13"), 1), d("2026-02-14"));
        assert_eq!(c.add_workdays(d("2026-02-13"), 2), d("2026-02-24"));
        assert_eq!(c.workdays_between(d("2026-02-13"), d("2026-02-24")), 2);
    }

    #[test]
    fn a_holiday_block_spanning_a_weekend() {
        let c = WorkCalendar::shipped();
        // 2025 Spring Festival: Tue 28 Jan – Tue 4 Feb off (covering a weekend), Sun 26 Jan and
        // Sat 8 Feb worked.
        assert!(c.is_workday(d("2025-01-26")));
        for day in ["2025-01-28", "2025-02-01", "2025-02-02", "2025-02-04"] {
            assert!(!c.is_workday(d(day)), "{day}");
        }
        assert_eq!(c.add_workdays(d("2025-01-27"), 1), d("2025-02-05"));
        // Fri 24 Jan: the worked Sunday 26th, Monday 27th, then 5, 6, 7 Feb.
        assert_eq!(c.add_workdays(d("2025-01-24"), 5), d("2025-02-07"));
        assert_eq!(c.workdays_between(d("2025-01-27"), d("2025-02-10")), 5);
        // 2025 National Day + Mid-Autumn: 1–8 Oct off, Sat 11 Oct worked.
        assert_eq!(c.add_workdays(d("2025-09-30"), 1), d("2025-10-09"));
        assert_eq!(c.add_workdays(d("2025-10-10"), 1), d("2025-10-11"));
    }

    #[test]
    fn a_deadline_crossing_new_year() {
        let c = WorkCalendar::shipped();
        // From Mon 29 Dec 2025: 30, 31 Dec; 1–3 Jan off; Sun 4 Jan worked; 5 Jan …
        assert_eq!(c.add_workdays(d("2025-12-29"), 2), d("2025-12-31"));
        assert_eq!(c.add_workdays(d("2025-12-29"), 3), d("2026-01-04"));
        assert_eq!(c.add_workdays(d("2025-12-29"), 4), d("2026-01-05"));
        // 20 working days (the disclosure reply limit) from 18 Dec 2025.
        assert_eq!(Limit::WorkingDays(20).due(&c, d("2025-12-18")), d("2026-01-16"));
    }

    #[test]
    fn weeks_without_holidays_and_unknown_years() {
        let c = WorkCalendar::shipped();
        assert_eq!(c.add_workdays(d("2026-03-06"), 5), d("2026-03-13"));
        assert_eq!(c.add_workdays(d("2026-03-07"), 1), d("2026-03-09"));
        assert_eq!(c.add_workdays(d("2026-03-09"), 0), d("2026-03-09"));
        assert_eq!(c.workdays_between(d("2026-03-13"), d("2026-03-09")), 0);
        assert!(!c.covers(d("2027-01-04")));
        // An administrator adds 2027 when the notice appears.
        let mut c2 = c.clone();
        assert_eq!(c2.load_text("2027-01-01 休 元旦\n2027-02-07 班 春节调休\nnonsense line"), 2);
        assert!(c2.covers(d("2027-03-01")) && !c2.is_workday(d("2027-01-01")) && c2.is_workday(d("2027-02-07")));
    }

    #[test]
    fn calendar_months_and_days_are_a_different_kind_of_limit() {
        let c = WorkCalendar::shipped();
        assert_eq!(Limit::CalendarMonths(3).due(&c, d("2026-03-10")), d("2026-06-10"));
        assert_eq!(Limit::CalendarMonths(1).due(&c, d("2026-01-31")), d("2026-02-28"));
        assert_eq!(Limit::CalendarMonths(1).due(&c, d("2024-01-31")), d("2024-02-29"));
        assert_eq!(Limit::CalendarMonths(12).due(&c, d("2025-11-30")), d("2026-11-30"));
        assert_eq!(Limit::CalendarDays(15).due(&c, d("2026-09-20")), d("2026-10-05"));
        assert_eq!(Limit::WorkingDays(7).label(), "7 个工作日");
    }

    #[test]
    fn deadlines_pause_resume_and_extend() {
        let c = WorkCalendar::shipped();
        let mut dl = PausableDeadline::new(d("2026-03-02"), Limit::WorkingDays(20));
        assert_eq!(dl.due(&c), Some(d("2026-03-30")));
        // 补正: the clock stops Mon 9 Mar and restarts Mon 16 Mar — 5 working days not counted.
        dl.pause(d("2026-03-09"));
        assert!(dl.is_paused());
        assert_eq!(dl.due(&c), None);
        assert_eq!(dl.remaining(&c, d("2026-03-10")), None);
        dl.resume(d("2026-03-16"));
        assert_eq!(dl.due(&c), Some(d("2026-04-07")), "30 Mar + 5 working days, skipping 清明 4–6 Apr");
        // An approved extension of 20 working days.
        dl.extended_workdays = 20;
        assert_eq!(dl.due(&c), Some(d("2026-05-08")), "skips 劳动节 1–5 May");
        assert_eq!(dl.remaining(&c, d("2026-05-08")), Some(0));
        // Saturday 9 May is a make-up working day, so Monday 11 May is two working days late.
        assert_eq!(dl.remaining(&c, d("2026-05-11")), Some(-2));
        assert_eq!(dl.remaining(&c, d("2026-04-30")), Some(3));
        // Pausing twice and resuming before pausing are harmless.
        dl.pause(d("2026-05-07"));
        dl.pause(d("2026-05-08"));
        assert_eq!(dl.pauses.iter().filter(|p| p.1.is_none()).count(), 1);
        let mut fresh = PausableDeadline::new(d("2026-03-02"), Limit::WorkingDays(1));
        fresh.resume(d("2026-03-03"));
        assert_eq!(fresh.due(&c), Some(d("2026-03-03")));
    }

    /// Exhaustive: over the two shipped years, add_workdays and workdays_between agree for every
    /// start day and every n up to 30.
    #[test]
    fn add_and_between_are_inverse_everywhere() {
        let c = WorkCalendar::shipped();
        let mut day = d("2025-01-01");
        while day < d("2026-12-01") {
            for n in 0..=30 {
                let due = c.add_workdays(day, n);
                assert_eq!(c.workdays_between(day, due), n, "{day} + {n}");
                assert!(n == 0 || c.is_workday(due), "{day} + {n} lands on a working day");
            }
            day = day.next_day().unwrap_or(day);
        }
    }
}

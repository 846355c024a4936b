//! 政务值班 — pure rules: the roster's rotation, the 零报告 cut-off, and an emergency event's
//! reports (初报 → 续报 → 终报) with the time limits of its level: what is due next, by when, and
//! whether it is late (then the day's 带班领导 is alerted).

use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// 带班领导
    Leader,
    /// 值班员
    Officer,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Leader, Role::Officer];

    pub fn code(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Officer => "officer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Leader => "带班领导",
            Role::Officer => "值班员",
        }
    }
}

/// An event's level, with its time limits (minutes): the written 初报 after the event, and each
/// 续报 after the last report while it lasts. Local rules differ; these follow a city's common
/// practice (重大 and above within 30 minutes in writing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Extraordinary,
    Major,
    Large,
    General,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Extraordinary, Level::Major, Level::Large, Level::General];

    pub fn code(self) -> &'static str {
        match self {
            Level::Extraordinary => "extraordinary",
            Level::Major => "major",
            Level::Large => "large",
            Level::General => "general",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Extraordinary => "特别重大",
            Level::Major => "重大",
            Level::Large => "较大",
            Level::General => "一般",
        }
    }

    pub fn initial_minutes(self) -> i64 {
        match self {
            Level::Extraordinary | Level::Major => 30,
            Level::Large => 60,
            Level::General => 120,
        }
    }

    pub fn followup_minutes(self) -> i64 {
        match self {
            Level::Extraordinary | Level::Major => 120,
            Level::Large => 240,
            Level::General => 1440,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Initial,
    Followup,
    Final,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Initial, Stage::Followup, Stage::Final];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Initial => "initial",
            Stage::Followup => "followup",
            Stage::Final => "final",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Initial => "初报",
            Stage::Followup => "续报",
            Stage::Final => "终报",
        }
    }
}

/// Whether `stage` may be reported now: 初报 first and once; 续报 and 终报 after it; nothing once
/// closed.
pub fn may_report(has_initial: bool, closed: bool, stage: Stage) -> bool {
    !closed && (stage == Stage::Initial) != has_initial
}

/// What is due next and by when (Unix seconds), or `None` once closed.
pub fn next_due(level: Level, occurred_at: i64, last_report_at: Option<i64>, closed: bool) -> Option<(Stage, i64)> {
    if closed {
        return None;
    }
    Some(match last_report_at {
        None => (Stage::Initial, occurred_at + level.initial_minutes() * 60),
        Some(last) => (Stage::Followup, last + level.followup_minutes() * 60),
    })
}

/// The escalation key of a missed deadline: each deadline is escalated once.
pub fn escalation_key(stage: Stage, due: i64) -> String {
    format!("{}@{due}", stage.code())
}

/// The 零报告 cut-off, minutes after local midnight (16:00).
pub const ZERO_CUTOFF_MINUTES: i64 = 16 * 60;

/// Fills `days` days from `start` with the names in turn (round robin).
pub fn rotation(names: &[String], start: Date, days: u32) -> Vec<(Date, String)> {
    if names.is_empty() {
        return Vec::new();
    }
    (0..days).map(|i| (start + time::Duration::days(i64::from(i)), names[i as usize % names.len()].clone())).collect()
}

/// One person of a rotation list, one per line: 姓名, then optionally 电话 and 账号.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub phone: String,
    pub account: String,
}

pub fn people(text: &str) -> Result<Vec<Person>, &'static str> {
    let list: Vec<Person> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            Person {
                name: parts.next().unwrap_or_default().to_owned(),
                phone: parts.next().unwrap_or_default().to_owned(),
                account: parts.next().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    if list.is_empty() {
        return Err("请填写轮值人员，每行一人：姓名 电话 账号（电话、账号可省）");
    }
    if list.iter().any(|p| !(2..=20).contains(&p.name.chars().count())) {
        return Err("姓名应为 2 至 20 字");
    }
    if list.iter().any(|p| !p.phone.is_empty() && !p.phone.chars().all(|c| c.is_ascii_digit() || c == '-')) {
        return Err("电话只能包含数字和“-”");
    }
    Ok(list)
}

/// Whether a swap of two days may be asked for: both are dates, neither has passed, and they
/// differ. A refusal names the field and says why.
pub fn swap_days(
    today: Date,
    day: Option<Date>,
    with_day: Option<Date>,
) -> Result<(Date, Date), (&'static str, &'static str)> {
    let day = day.ok_or(("day", "请选择自己的值班日期"))?;
    let with_day = with_day.ok_or(("with_day", "请选择要换到的日期"))?;
    if day < today {
        return Err(("day", "已经过去的值班不能再调换"));
    }
    if with_day < today {
        return Err(("with_day", "要换到的日期已经过去"));
    }
    if day == with_day {
        return Err(("with_day", "要换到的日期不能与自己的值班日期相同"));
    }
    Ok((day, with_day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(l));
            assert!(l.initial_minutes() < l.followup_minutes());
        }
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn reports_come_in_order() {
        for s in Stage::ALL {
            assert_eq!(may_report(false, false, s), s == Stage::Initial);
            assert_eq!(may_report(true, false, s), s != Stage::Initial);
            assert!(!may_report(true, true, s) && !may_report(false, true, s));
        }
    }

    #[test]
    fn each_level_has_its_limits() {
        let t = 1_796_000_000;
        assert_eq!(next_due(Level::Major, t, None, false), Some((Stage::Initial, t + 1800)));
        assert_eq!(next_due(Level::General, t, None, false), Some((Stage::Initial, t + 7200)));
        assert_eq!(next_due(Level::Large, t, Some(t + 600), false), Some((Stage::Followup, t + 600 + 4 * 3600)));
        assert_eq!(next_due(Level::Extraordinary, t, Some(t), true), None);
        assert_eq!(escalation_key(Stage::Initial, t), "initial@1796000000");
    }

    #[test]
    fn a_rotation_takes_turns() {
        let names: Vec<String> = ["张伟", "李娜", "王强"].iter().map(|s| s.to_string()).collect();
        let r = rotation(&names, date!(2026 - 12 - 30), 4);
        assert_eq!(r.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(), ["张伟", "李娜", "王强", "张伟"]);
        assert_eq!(r[2].0, date!(2027 - 01 - 01));
        assert!(rotation(&[], date!(2026 - 12 - 30), 3).is_empty());
    }

    #[test]
    fn a_rotation_list_is_one_person_a_line() {
        let p = people("张伟 13800000001 zhangwei\n\n李娜").unwrap();
        assert_eq!(p[0], Person { name: "张伟".into(), phone: "13800000001".into(), account: "zhangwei".into() });
        assert_eq!(p[1].phone, "");
        assert!(people("").is_err() && people("王").is_err() && people("张伟 电话").is_err());
    }

    #[test]
    fn a_swap_is_between_two_different_days_not_yet_past() {
        let d = |s: &str| platform::calendar::date(s);
        let today = d("2026-12-07").unwrap();
        assert_eq!(swap_days(today, d("2026-12-07"), d("2026-12-09")), Ok((today, d("2026-12-09").unwrap())));
        assert_eq!(swap_days(today, d("2026-12-06"), d("2026-12-09")).unwrap_err().0, "day");
        assert_eq!(swap_days(today, d("2026-12-08"), d("2026-12-01")).unwrap_err().0, "with_day");
        assert_eq!(
            swap_days(today, d("2026-12-08"), d("2026-12-08")).unwrap_err().1,
            "要换到的日期不能与自己的值班日期相同"
        );
        assert_eq!(swap_days(today, None, d("2026-12-08")).unwrap_err().0, "day");
        assert_eq!(swap_days(today, d("2026-12-08"), None).unwrap_err().0, "with_day");
    }
}

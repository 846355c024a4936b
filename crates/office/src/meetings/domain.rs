//! 会议通知 — pure rules: a notice's states, what a valid notice is (times in order, the 回执
//! deadline before the start), how a 回执 lists its attendees, when units may reply, be reminded
//! and sign in, and the iCalendar text of a meeting.

/// A notice's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Draft,
    Sent,
    Cancelled,
}

impl State {
    pub const ALL: [State; 3] = [State::Draft, State::Sent, State::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Sent => "sent",
            State::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Draft => "草稿",
            State::Sent => "已发通知",
            State::Cancelled => "已取消",
        }
    }
}

/// A unit's 回执.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Pending,
    Attending,
    Absent,
}

impl Reply {
    pub const ALL: [Reply; 3] = [Reply::Pending, Reply::Attending, Reply::Absent];

    pub fn code(self) -> &'static str {
        match self {
            Reply::Pending => "pending",
            Reply::Attending => "attending",
            Reply::Absent => "absent",
        }
    }

    pub fn parse(s: &str) -> Option<Reply> {
        Reply::ALL.into_iter().find(|x| x.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Reply::Pending => "未回执",
            Reply::Attending => "参会",
            Reply::Absent => "请假",
        }
    }
}

/// The notice as the organiser writes it (times in Unix seconds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Notice {
    pub title: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reply_by: i64,
    pub agenda: String,
    pub invited: usize,
}

/// Problems with a notice, by field.
pub fn check(n: &Notice, now: i64) -> Vec<(&'static str, &'static str)> {
    let mut errs = Vec::new();
    let t = n.title.trim().chars().count();
    if t == 0 || t > 100 {
        errs.push(("title", "请填写会议名称（100 字以内）"));
    }
    let p = n.place.trim().chars().count();
    if p == 0 || p > 100 {
        errs.push(("place", "请填写会议地点（100 字以内）"));
    }
    if n.starts_at <= now {
        errs.push(("starts_at", "开始时间应晚于现在"));
    }
    if n.ends_at <= n.starts_at {
        errs.push(("ends_at", "结束时间应晚于开始时间"));
    } else if n.ends_at - n.starts_at > 3 * 86_400 {
        errs.push(("ends_at", "一次会议不超过 3 天"));
    }
    if n.reply_by > n.starts_at {
        errs.push(("reply_by", "回执截止时间应早于会议开始时间"));
    }
    if n.agenda.chars().count() > 10_000 {
        errs.push(("agenda", "议程不能超过 1 万字"));
    }
    if n.invited == 0 {
        errs.push(("units", "请选择参会单位"));
    }
    errs
}

/// One attendee of a 回执.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attendee {
    pub name: String,
    pub post: String,
}

/// The most people one unit sends.
pub const MAX_ATTENDEES: usize = 10;

/// Reads the 回执's attendees, one per line: 姓名 and, after a space, 职务.
pub fn attendees(text: &str) -> Result<Vec<Attendee>, &'static str> {
    let list: Vec<Attendee> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, post) = l.split_once([' ', '\u{3000}', '\t']).unwrap_or((l, ""));
            Attendee { name: name.trim().to_owned(), post: post.trim().to_owned() }
        })
        .collect();
    if list.is_empty() {
        return Err("请填写参会人员，每行一人：姓名 职务");
    }
    if list.len() > MAX_ATTENDEES {
        return Err("每个单位最多 10 人参会");
    }
    if list.iter().any(|a| !(2..=20).contains(&a.name.chars().count()) || a.post.chars().count() > 40) {
        return Err("姓名应为 2 至 20 字，职务不超过 40 字");
    }
    let mut names: Vec<&str> = list.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err("参会人员有重名，请核对");
    }
    Ok(list)
}

/// Units reply while the notice stands and the meeting has not started; after the deadline the
/// reply still counts and is shown as late.
pub fn may_reply(state: State, starts_at: i64, now: i64) -> bool {
    state == State::Sent && now < starts_at
}

pub fn is_late(reply_by: i64, replied_at: i64) -> bool {
    replied_at > reply_by
}

/// Reminders go to units without a 回执 until the meeting starts.
pub fn may_remind(state: State, starts_at: i64, now: i64) -> bool {
    state == State::Sent && now < starts_at
}

/// Sign-in opens two hours before the start and closes at the end.
pub fn may_check_in(state: State, starts_at: i64, ends_at: i64, now: i64) -> bool {
    state == State::Sent && now >= starts_at - 2 * 3600 && now <= ends_at
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000;

    fn notice() -> Notice {
        Notice {
            title: "全市科技创新工作推进会".into(),
            place: "市政府第一会议室".into(),
            starts_at: NOW + 3 * 86_400,
            ends_at: NOW + 3 * 86_400 + 7_200,
            reply_by: NOW + 86_400,
            agenda: "一、通报科技创新券兑付情况".into(),
            invited: 3,
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
        for r in Reply::ALL {
            assert_eq!(Reply::parse(r.code()), Some(r));
        }
    }

    #[test]
    fn a_notice_has_its_times_in_order() {
        assert!(check(&notice(), NOW).is_empty());
        let bad = Notice {
            title: String::new(),
            starts_at: NOW - 1,
            ends_at: NOW - 2,
            reply_by: NOW + 10,
            invited: 0,
            ..notice()
        };
        let fields: Vec<_> = check(&bad, NOW).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["title", "starts_at", "ends_at", "reply_by", "units"]);
        let long = Notice { ends_at: NOW + 3 * 86_400 + 4 * 86_400, ..notice() };
        assert_eq!(check(&long, NOW), [("ends_at", "一次会议不超过 3 天")]);
    }

    #[test]
    fn attendees_are_one_per_line() {
        let a = attendees("张伟 副局长\n\n李娜　办公室主任\n王强").unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[1], Attendee { name: "李娜".into(), post: "办公室主任".into() });
        assert_eq!(a[2].post, "");
        assert!(attendees("  ").is_err());
        assert!(attendees("张伟 局长\n张伟 副局长").is_err());
        assert!(attendees("王").is_err());
        assert!(attendees(&(0..11).map(|i| format!("参会人{i}")).collect::<Vec<_>>().join("\n")).is_err());
    }

    #[test]
    fn replies_reminders_and_sign_in_have_their_windows() {
        let (start, end) = (NOW + 3600, NOW + 7200);
        for s in State::ALL {
            assert_eq!(may_reply(s, start, NOW), s == State::Sent);
            assert_eq!(may_remind(s, start, NOW), s == State::Sent);
        }
        assert!(!may_reply(State::Sent, start, start));
        assert!(may_check_in(State::Sent, start, end, NOW));
        assert!(!may_check_in(State::Sent, start + 3 * 3600, end + 3 * 3600, NOW), "too early");
        assert!(!may_check_in(State::Sent, start, end, end + 1), "over");
        assert!(!may_check_in(State::Cancelled, start, end, NOW));
        assert!(is_late(NOW, NOW + 1) && !is_late(NOW, NOW));
    }
}

//! Pure CMS rules: the article state machine, review steps, and validation of what editors type.
//!
//! An article has two independent states (the lesson of Wagtail and GOV.UK): its **publication
//! state** (draft, scheduled, published, withdrawn 撤稿, archived) and the **review state** of its
//! latest revision (editing, in review at step k, approved, rejected). Editing a published article
//! starts a new review while the published version stays live; only a completed review changes
//! what the public sees. [`transition`] is the whole table; illegal moves are typed errors.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PubState {
    Draft,
    Scheduled,
    Published,
    Withdrawn,
    Archived,
}

impl PubState {
    pub const ALL: [PubState; 5] =
        [PubState::Draft, PubState::Scheduled, PubState::Published, PubState::Withdrawn, PubState::Archived];
    pub fn code(self) -> &'static str {
        match self {
            PubState::Draft => "draft",
            PubState::Scheduled => "scheduled",
            PubState::Published => "published",
            PubState::Withdrawn => "withdrawn",
            PubState::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            PubState::Draft => "未发布",
            PubState::Scheduled => "定时发布",
            PubState::Published => "已发布",
            PubState::Withdrawn => "已撤稿",
            PubState::Archived => "已归档",
        }
    }
    /// Whether the public can open the article's page.
    pub fn is_public(self) -> bool {
        matches!(self, PubState::Published | PubState::Archived)
    }
    /// Whether the article appears in channel lists, home blocks and feeds.
    pub fn is_listed(self) -> bool {
        self == PubState::Published
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Editing,
    InReview,
    Approved,
    Rejected,
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] =
        [ReviewState::Editing, ReviewState::InReview, ReviewState::Approved, ReviewState::Rejected];
    pub fn code(self) -> &'static str {
        match self {
            ReviewState::Editing => "editing",
            ReviewState::InReview => "in_review",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Editing => "编辑中",
            ReviewState::InReview => "审核中",
            ReviewState::Approved => "审核通过",
            ReviewState::Rejected => "已退回",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Save a new revision (the edit form).
    Save,
    /// 编辑提交: send the latest revision into review.
    Submit,
    /// Pass the current review step; passing the last step publishes (or schedules).
    Approve,
    /// Return to the author; needs a comment.
    Reject,
    /// 撤稿: take a published or scheduled article off the site; needs a reason.
    Withdraw,
    /// Move out of lists and feeds; the page stays reachable, marked as archived.
    Archive,
    /// The scheduler publishing a scheduled article when its time comes.
    PublishScheduled,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Save,
        Action::Submit,
        Action::Approve,
        Action::Reject,
        Action::Withdraw,
        Action::Archive,
        Action::PublishScheduled,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Action::Save => "save",
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
            Action::Archive => "archive",
            Action::PublishScheduled => "publish_scheduled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Save => "保存",
            Action::Submit => "提交审核",
            Action::Approve => "审核通过",
            Action::Reject => "退回修改",
            Action::Withdraw => "撤稿",
            Action::Archive => "归档",
            Action::PublishScheduled => "定时发布",
        }
    }
    /// Actions people take through the UI/API (the scheduler's own is not offered).
    pub fn is_manual(self) -> bool {
        self != Action::PublishScheduled
    }
}

/// Where an article stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub publication: PubState,
    pub review: ReviewState,
    /// 1-based index of the review step waiting for approval while in review; 0 otherwise.
    pub step: u32,
}

/// What else happens with a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Copy the approved revision into the live copy (the public sees it).
    GoLive,
    /// Remove from the public site.
    TakeDown,
    /// Keep the page reachable but remove from lists and feeds.
    Unlist,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("当前状态（{publication}，{review}）不能执行“{action}”")]
    NotAllowed { action: &'static str, publication: &'static str, review: &'static str },
    #[error("“{0}”需要填写意见或理由")]
    CommentRequired(&'static str),
}

/// The transition table. `steps` is the number of review steps of the article's channel (≥ 1);
/// `scheduled_in_future` says whether the approved revision asks for a later publication time.
pub fn transition(
    s: Status,
    action: Action,
    steps: u32,
    scheduled_in_future: bool,
    comment: &str,
) -> Result<(Status, Effect), TransitionError> {
    use Action as A;
    use PubState as P;
    use ReviewState as R;
    let not_allowed = || TransitionError::NotAllowed {
        action: action.label(),
        publication: s.publication.label(),
        review: s.review.label(),
    };
    let steps = steps.max(1);
    if matches!(action, A::Reject | A::Withdraw) && comment.trim().is_empty() {
        return Err(TransitionError::CommentRequired(action.label()));
    }
    let next = match (action, s.publication, s.review) {
        (A::Save, P::Archived, _) => return Err(not_allowed()),
        (A::Save, p, _) => (Status { publication: p, review: R::Editing, step: 0 }, Effect::None),
        (A::Submit, P::Archived, _) => return Err(not_allowed()),
        (A::Submit, p, R::Editing | R::Rejected) => {
            (Status { publication: p, review: R::InReview, step: 1 }, Effect::None)
        }
        (A::Approve, p, R::InReview) if s.step < steps => {
            (Status { publication: p, review: R::InReview, step: s.step + 1 }, Effect::None)
        }
        (A::Approve, _, R::InReview) if scheduled_in_future => {
            (Status { publication: P::Scheduled, review: R::Approved, step: 0 }, Effect::None)
        }
        (A::Approve, _, R::InReview) => {
            (Status { publication: P::Published, review: R::Approved, step: 0 }, Effect::GoLive)
        }
        (A::Reject, p, R::InReview) => (Status { publication: p, review: R::Rejected, step: 0 }, Effect::None),
        (A::Withdraw, P::Published | P::Scheduled, r) => {
            (Status { publication: P::Withdrawn, review: r, step: s.step }, Effect::TakeDown)
        }
        (A::Archive, P::Published | P::Withdrawn, _) => {
            (Status { publication: P::Archived, review: s.review, step: s.step }, Effect::Unlist)
        }
        (A::PublishScheduled, P::Scheduled, R::Approved) => {
            (Status { publication: P::Published, review: R::Approved, step: 0 }, Effect::GoLive)
        }
        _ => return Err(not_allowed()),
    };
    Ok(next)
}

/// Who may approve one review step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "org")]
pub enum Approver {
    /// A reviewer of the article's own department (org grant on it or an ancestor), or of the site.
    Department,
    /// A reviewer granted on the given org unit (e.g. 办公室), or of the whole site.
    Org(i64),
    /// A reviewer granted on the site (or platform-wide).
    Site,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    #[serde(flatten)]
    pub approver: Approver,
}

/// The default review of the issue: 编辑提交 → 部门审核 → 办公室终审 (submission is the first step
/// of the three; the two listed here are the approvals).
pub fn default_steps() -> Vec<Step> {
    vec![
        Step { name: "部门审核".into(), approver: Approver::Department },
        Step { name: "办公室终审".into(), approver: Approver::Site },
    ]
}

/// Parses a channel's workflow setting; empty means the default.
pub fn parse_steps(json: &str) -> Result<Vec<Step>, String> {
    if json.trim().is_empty() {
        return Ok(default_steps());
    }
    let steps: Vec<Step> = serde_json::from_str(json).map_err(|e| format!("审核流程格式有误：{e}"))?;
    if steps.is_empty() || steps.len() > 6 {
        return Err("审核流程应有 1 到 6 个审核步骤".into());
    }
    if steps.iter().any(|s| s.name.trim().is_empty()) {
        return Err("每个审核步骤都需要名称".into());
    }
    Ok(steps)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    Valid,
    Modified,
    Repealed,
    Expired,
}

impl Validity {
    pub const ALL: [Validity; 4] = [Validity::Valid, Validity::Modified, Validity::Repealed, Validity::Expired];
    pub fn code(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Modified => "modified",
            Validity::Repealed => "repealed",
            Validity::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Validity::Valid => "有效",
            Validity::Modified => "已修改",
            Validity::Repealed => "已废止",
            Validity::Expired => "已失效",
        }
    }
}

pub const CHANNEL_KINDS: [(&str, &str); 4] =
    [("list", "信息列表"), ("page", "单页"), ("link", "外部链接"), ("topic", "专题")];

/// Update classes used by the site health checks (国办秘函〔2019〕19号): how long a column may go
/// without a new item.
pub const UPDATE_CLASSES: [(&str, &str, i64); 4] = [
    ("news", "动态要闻类（2周）", 14),
    ("notice", "通知公告、政策文件类（6个月）", 183),
    ("plan", "人事、规划计划类（1年）", 366),
    ("none", "不要求更新", 0),
];

pub const SITE_KINDS: [(&str, &str); 5] = [
    ("portal", "政府门户网站"),
    ("department", "部门网站"),
    ("district", "区县网站"),
    ("audience", "服务对象子站"),
    ("topic", "专题网站"),
];

/// 网站标识码: ten digits (行政区划代码 + sequence) or "bm" + eight digits.
pub fn check_site_id_code(code: &str) -> Result<(), String> {
    let ok = (code.len() == 10 && code.bytes().all(|b| b.is_ascii_digit()))
        || (code.len() == 10 && code.starts_with("bm") && code[2..].bytes().all(|b| b.is_ascii_digit()));
    if ok { Ok(()) } else { Err("网站标识码应为 10 位数字，或 bm 加 8 位数字".into()) }
}

/// Short site code used in URLs and file paths: lowercase letters, digits, hyphen.
pub fn check_site_code(code: &str) -> Result<(), String> {
    if (2..=20).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(())
    } else {
        Err("站点代码应为 2–20 位小写字母、数字或短横线".into())
    }
}

pub use platform::web::api::check_link;

/// Related reading for an article: up to `limit` of its channel's first items that contain the
/// article's first keyword, newest first, never the article itself. ASCII letters match
/// case-insensitively, as a search box would.
pub fn related<'a>(
    recent: &'a [crate::store::RecentItem],
    article_id: i64,
    keywords: &str,
    limit: usize,
) -> Vec<&'a crate::store::ListItem> {
    let Some(kw) = keywords.split([',', '，', ' ', '、']).map(str::trim).find(|k| !k.is_empty()) else {
        return Vec::new();
    };
    let kw = kw.to_ascii_lowercase();
    let mut found: Vec<&crate::store::ListItem> = recent
        .iter()
        .filter(|r| r.item.id != article_id && r.keywords.to_ascii_lowercase().contains(&kw))
        .map(|r| &r.item)
        .collect();
    // The window is in list order (pinned first); related reading is by date.
    found.sort_by_key(|i| std::cmp::Reverse((i.pub_at, i.id)));
    found.truncate(limit);
    found
}

/// The article an address of the group shows (`/a/12.html`, `/kjj/a/12.html`, a full URL).
pub fn article_id_at(address: &str) -> Option<i64> {
    let path = address.split(['?', '#']).next()?;
    let (_, tail) = path.rsplit_once("/a/")?;
    tail.strip_suffix(".html")?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_article_is_found_by_its_address_and_nothing_else_is() {
        use super::article_id_at;
        assert_eq!(article_id_at("/a/12.html"), Some(12));
        assert_eq!(article_id_at("/kjj/a/7.html?from=canyu#top"), Some(7));
        assert_eq!(article_id_at("https://www.harbin.gov.cn/a/3301.html"), Some(3301));
        for other in ["/gongkai/", "/a/12", "/a/x.html", "/c/3/", "", "/a/.html", "/banshi/a/12.htm"] {
            assert_eq!(article_id_at(other), None, "{other}");
        }
    }

    use super::*;

    fn st(p: PubState, r: ReviewState, step: u32) -> Status {
        Status { publication: p, review: r, step }
    }

    #[test]
    fn the_three_step_review_publishes_on_the_last_approval() {
        let s = st(PubState::Draft, ReviewState::Editing, 0);
        let (s, e) = transition(s, Action::Submit, 2, false, "").unwrap();
        assert_eq!((s, e), (st(PubState::Draft, ReviewState::InReview, 1), Effect::None));
        let (s, e) = transition(s, Action::Approve, 2, false, "").unwrap();
        assert_eq!((s, e), (st(PubState::Draft, ReviewState::InReview, 2), Effect::None));
        let (s, e) = transition(s, Action::Approve, 2, false, "").unwrap();
        assert_eq!((s, e), (st(PubState::Published, ReviewState::Approved, 0), Effect::GoLive));
    }

    #[test]
    fn revising_a_published_article_keeps_it_live_until_approved() {
        let live = st(PubState::Published, ReviewState::Approved, 0);
        let (s, e) = transition(live, Action::Save, 2, false, "").unwrap();
        assert_eq!((s.publication, s.review, e), (PubState::Published, ReviewState::Editing, Effect::None));
        let (s, _) = transition(s, Action::Submit, 2, false, "").unwrap();
        let (s, _) = transition(s, Action::Reject, 2, false, "数据需核实").unwrap();
        assert_eq!((s.publication, s.review), (PubState::Published, ReviewState::Rejected));
    }

    #[test]
    fn scheduled_publication_waits_for_its_time() {
        let s = st(PubState::Draft, ReviewState::InReview, 1);
        let (s, e) = transition(s, Action::Approve, 1, true, "").unwrap();
        assert_eq!((s, e), (st(PubState::Scheduled, ReviewState::Approved, 0), Effect::None));
        let (s, e) = transition(s, Action::PublishScheduled, 1, false, "").unwrap();
        assert_eq!((s, e), (st(PubState::Published, ReviewState::Approved, 0), Effect::GoLive));
    }

    #[test]
    fn reject_and_withdraw_need_a_reason() {
        let s = st(PubState::Draft, ReviewState::InReview, 1);
        assert_eq!(transition(s, Action::Reject, 2, false, "  "), Err(TransitionError::CommentRequired("退回修改")));
        let p = st(PubState::Published, ReviewState::Approved, 0);
        assert_eq!(transition(p, Action::Withdraw, 2, false, ""), Err(TransitionError::CommentRequired("撤稿")));
        let (w, e) = transition(p, Action::Withdraw, 2, false, "信息有误").unwrap();
        assert_eq!((w.publication, e), (PubState::Withdrawn, Effect::TakeDown));
    }

    /// Every (state, action) pair: the table allows exactly these and refuses the rest.
    #[test]
    fn exhaustive_table() {
        let mut allowed = Vec::new();
        for p in PubState::ALL {
            for r in ReviewState::ALL {
                let steps: &[u32] = if r == ReviewState::InReview { &[1, 2] } else { &[0] };
                for &step in steps {
                    for a in Action::ALL {
                        for future in [false, true] {
                            let s = st(p, r, step);
                            match transition(s, a, 2, future, "理由") {
                                Ok((n, _)) => {
                                    allowed.push((p, r, step, a, future));
                                    // Invariants of every reachable state.
                                    assert_eq!(n.review == ReviewState::InReview, n.step > 0, "{s:?} {a:?} -> {n:?}");
                                    assert!(n.step <= 2);
                                }
                                Err(TransitionError::NotAllowed { .. }) => {}
                                Err(e) => panic!("unexpected {e:?}"),
                            }
                        }
                    }
                }
            }
        }
        let expect = |p: PubState, r: ReviewState, a: Action| -> bool {
            use Action as A;
            use PubState as P;
            use ReviewState as R;
            match a {
                A::Save => p != P::Archived,
                A::Submit => p != P::Archived && matches!(r, R::Editing | R::Rejected),
                A::Approve | A::Reject => r == R::InReview,
                A::Withdraw => matches!(p, P::Published | P::Scheduled),
                A::Archive => matches!(p, P::Published | P::Withdrawn),
                A::PublishScheduled => p == P::Scheduled && r == R::Approved,
            }
        };
        for p in PubState::ALL {
            for r in ReviewState::ALL {
                for a in Action::ALL {
                    let got = allowed.iter().any(|x| x.0 == p && x.1 == r && x.3 == a);
                    assert_eq!(got, expect(p, r, a), "{p:?} {r:?} {a:?}");
                }
            }
        }
    }

    #[test]
    fn steps_parse_and_validate() {
        assert_eq!(parse_steps("").unwrap(), default_steps());
        let s = parse_steps(r#"[{"name":"处室初审","by":"department"},{"name":"办公室","by":"org","org":7},{"name":"分管领导","by":"site"}]"#).unwrap();
        assert_eq!(s[1].approver, Approver::Org(7));
        assert!(parse_steps("[]").is_err());
        assert!(parse_steps("nonsense").is_err());
    }

    #[test]
    fn field_checks() {
        assert!(check_site_id_code("2301000001").is_ok());
        assert!(check_site_id_code("bm07000001").is_ok());
        assert!(check_site_id_code("230100001").is_err());
        assert!(check_site_id_code("BM07000001").is_err());
        assert!(check_link("javascript:alert(1)").is_err());
        assert!(check_link("//evil.example").is_err());
        assert!(check_link("https://www.gov.cn/").is_ok());
        assert!(check_site_code("kjj").is_ok());
        assert!(check_site_code("科技局").is_err());
    }

    #[test]
    fn related_reading_shares_the_first_keyword_newest_first_without_the_article() {
        use crate::store::{ListItem, RecentItem};
        let item = |id: i64, kw: &str| RecentItem {
            item: ListItem {
                id,
                title: format!("信息{id}"),
                summary: String::new(),
                cover: String::new(),
                link_url: String::new(),
                source: String::new(),
                doc_number: String::new(),
                validity: "valid".into(),
                pub_at: 100 - id,
                pinned: false,
                channel_id: 1,
                org_id: None,
            },
            keywords: kw.into(),
        };
        let mut pinned_old = item(6, "政务服务");
        pinned_old.item.pinned = true;
        let recent = vec![
            pinned_old,
            item(1, "营商环境，政务服务"),
            item(2, "政务服务"),
            item(3, "招聘"),
            item(4, "一网通办 政务服务"),
            item(5, "GOV"),
        ];
        let ids = |v: Vec<&ListItem>| v.iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!(ids(related(&recent, 2, "政务服务、营商环境", 5)), vec![1, 4, 6], "by date, a pinned item too");
        assert_eq!(
            ids(related(&recent, 9, " ，政务服务", 1)),
            vec![1],
            "blank leading keywords are skipped; limit holds"
        );
        assert_eq!(ids(related(&recent, 9, "gov", 5)), vec![5], "ASCII is matched case-insensitively");
        assert!(related(&recent, 9, "", 5).is_empty());
        assert!(related(&recent, 9, "交通", 5).is_empty());
    }
}

//! The rules of public participation, pure:
//!
//! - consultations (意见征集): their kinds and the comment period each needs (国务院令第713号:
//!   at least 30 days for a 重大行政决策 unless a reason is given), states and actions, the
//!   state a reader sees from the clock, the draft split into numbered paragraphs, a comment's
//!   anchor (paragraph, quote and its context) found again after the draft is edited, comment
//!   moderation with reader flags, and the adoption decisions of the 意见采纳情况 report;
//! - surveys (网上调查): question kinds, display conditions, checking a response, the counters a
//!   response adds to and the results read from them;
//! - interviews and hearings (在线访谈, 网上听政): states and what a message is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const DAY: i64 = 86_400;

// ---- consultations ----------------------------------------------------------------------------

/// What kind of draft is put to the public: the kind decides the shortest comment period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationKind {
    /// 一般征集 (a plan, a notice, a question to the public).
    General,
    /// 重大行政决策 (国务院令第713号 Art. 14: generally at least 30 days).
    Major,
}

impl ConsultationKind {
    pub const ALL: [ConsultationKind; 2] = [ConsultationKind::General, ConsultationKind::Major];

    pub fn code(self) -> &'static str {
        match self {
            ConsultationKind::General => "general",
            ConsultationKind::Major => "major",
        }
    }

    pub fn parse(s: &str) -> Option<ConsultationKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ConsultationKind::General => "一般征集",
            ConsultationKind::Major => "重大行政决策",
        }
    }

    /// The shortest comment period in calendar days without a recorded reason.
    pub fn min_days(self) -> i64 {
        match self {
            ConsultationKind::General => 1,
            ConsultationKind::Major => 30,
        }
    }
}

/// Why a period is refused (each names the field it concerns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    /// The close is not after the open.
    CloseBeforeOpen,
    /// A 重大行政决策 open for fewer than 30 days with no reason recorded.
    TooShortWithoutReason,
}

impl PeriodError {
    pub fn field(self) -> &'static str {
        match self {
            PeriodError::CloseBeforeOpen => "closes_at",
            PeriodError::TooShortWithoutReason => "short_reason",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            PeriodError::CloseBeforeOpen => "截止时间须晚于开始时间",
            PeriodError::TooShortWithoutReason => {
                "重大行政决策征求意见一般不少于 30 日；期限更短的，须填写缩短期限的理由（将向公众公开）"
            }
        }
    }
}

/// Checks a comment period (Unix seconds): a 重大行政决策 needs 30 full days unless a reason for
/// the shorter period is given.
pub fn check_period(
    kind: ConsultationKind,
    opens_at: i64,
    closes_at: i64,
    short_reason: &str,
) -> Result<(), PeriodError> {
    if closes_at <= opens_at {
        return Err(PeriodError::CloseBeforeOpen);
    }
    if closes_at - opens_at < kind.min_days() * DAY && short_reason.trim().is_empty() {
        return Err(PeriodError::TooShortWithoutReason);
    }
    Ok(())
}

/// The period's length in whole days, as the public page states it.
pub fn period_days(opens_at: i64, closes_at: i64) -> i64 {
    ((closes_at - opens_at) as f64 / DAY as f64).round() as i64
}

/// Where a consultation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CState {
    /// 草稿: the editor is writing it.
    Draft,
    /// 待审核: sent to review (the CMS's review step).
    Pending,
    /// 待开始: approved, opens at its time.
    Approved,
    /// 征集中
    Open,
    /// 已截止: the agency is weighing the opinions.
    Closed,
    /// 已反馈: the 意见采纳情况 report is published.
    Reported,
}

impl CState {
    pub const ALL: [CState; 6] =
        [CState::Draft, CState::Pending, CState::Approved, CState::Open, CState::Closed, CState::Reported];

    pub fn code(self) -> &'static str {
        match self {
            CState::Draft => "draft",
            CState::Pending => "pending",
            CState::Approved => "approved",
            CState::Open => "open",
            CState::Closed => "closed",
            CState::Reported => "reported",
        }
    }

    pub fn parse(s: &str) -> Option<CState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            CState::Draft => "草稿",
            CState::Pending => "待审核",
            CState::Approved => "待开始",
            CState::Open => "征集中",
            CState::Closed => "已截止",
            CState::Reported => "已反馈",
        }
    }

    /// Whether the public can see it.
    pub fn is_public(self) -> bool {
        matches!(self, CState::Open | CState::Closed | CState::Reported)
    }
}

/// What staff (or the clock) do to a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CAction {
    /// 送审
    Submit,
    /// 审核通过
    Approve,
    /// 退回修改
    Return,
    /// 开始征集 (by the clock at the opening time)
    Open,
    /// 结束征集 (by the clock at the closing time, or early by staff)
    Close,
    /// 发布意见采纳情况
    PublishReport,
}

impl CAction {
    pub const ALL: [CAction; 6] =
        [CAction::Submit, CAction::Approve, CAction::Return, CAction::Open, CAction::Close, CAction::PublishReport];

    pub fn code(self) -> &'static str {
        match self {
            CAction::Submit => "submit",
            CAction::Approve => "approve",
            CAction::Return => "return",
            CAction::Open => "open",
            CAction::Close => "close",
            CAction::PublishReport => "publish_report",
        }
    }

    pub fn parse(s: &str) -> Option<CAction> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            CAction::Submit => "送审",
            CAction::Approve => "审核通过",
            CAction::Return => "退回修改",
            CAction::Open => "开始征集",
            CAction::Close => "结束征集",
            CAction::PublishReport => "发布采纳情况",
        }
    }

    /// Whether the action is the reviewer's (the rest are the editor's).
    pub fn is_review(self) -> bool {
        matches!(self, CAction::Approve | CAction::Return)
    }
}

/// The state an action leads to from `from`, or `None` when it does not apply.
pub fn c_transition(from: CState, action: CAction) -> Option<CState> {
    use CAction as A;
    use CState as S;
    match (from, action) {
        (S::Draft, A::Submit) => Some(S::Pending),
        (S::Pending, A::Approve) => Some(S::Approved),
        (S::Pending, A::Return) => Some(S::Draft),
        (S::Approved, A::Open) => Some(S::Open),
        (S::Open, A::Close) => Some(S::Closed),
        (S::Closed, A::PublishReport) => Some(S::Reported),
        _ => None,
    }
}

/// What the clock does to a consultation at `now`: open an approved one whose time has come,
/// close an open one whose time has passed.
pub fn clock_action(state: CState, opens_at: i64, closes_at: i64, now: i64) -> Option<CAction> {
    match state {
        CState::Approved if now >= opens_at => Some(CAction::Open),
        CState::Open if now >= closes_at => Some(CAction::Close),
        _ => None,
    }
}

/// The state readers see at `now`: the clock's change counts at once, before the job records it
/// (an approved consultation past its opening is open; an open one past its close is closed).
pub fn c_effective(state: CState, opens_at: i64, closes_at: i64, now: i64) -> CState {
    match state {
        CState::Approved if now >= closes_at => CState::Closed,
        CState::Approved if now >= opens_at => CState::Open,
        CState::Open if now >= closes_at => CState::Closed,
        s => s,
    }
}

/// One paragraph of a draft as the public page numbers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paragraph {
    /// 1-based, over all paragraphs (headings included), as "第 N 段".
    pub no: usize,
    /// A chapter or section heading (第一章 总则, 一、总体要求).
    pub heading: bool,
    pub text: String,
}

/// Splits a draft into its numbered paragraphs: one per non-empty line; lines that open with
/// 第…章/节 or a Chinese ordinal with 、 are headings.
pub fn paragraphs(draft: &str) -> Vec<Paragraph> {
    draft
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, text)| Paragraph { no: i + 1, heading: is_heading(text), text: text.to_owned() })
        .collect()
}

const ORDINAL: &str = "一二三四五六七八九十百零〇";

fn is_heading(line: &str) -> bool {
    let numeral_run = |s: &str| s.chars().take_while(|c| ORDINAL.contains(*c)).count();
    if let Some(rest) = line.strip_prefix('第') {
        let n = numeral_run(rest);
        let after: String = rest.chars().skip(n).take(1).collect();
        return n > 0 && (after == "章" || after == "节" || after == "编");
    }
    let n = numeral_run(line);
    n > 0 && line.chars().nth(n) == Some('、') && line.chars().count() <= 40
}

/// Where a comment points in the draft: the paragraph it was made on (number and text at the
/// time) and, for a selection, the quoted words with a little text before and after them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub para_no: i64,
    pub para_text: String,
    pub quote: String,
    pub prefix: String,
    pub suffix: String,
}

/// How much context is kept on each side of a quote.
pub const CONTEXT_CHARS: usize = 32;

impl Anchor {
    /// An anchor on a whole paragraph (the form without JavaScript).
    pub fn paragraph(p: &Paragraph) -> Anchor {
        Anchor { para_no: p.no as i64, para_text: p.text.clone(), ..Anchor::default() }
    }

    /// An anchor on a selection inside a paragraph; the context is taken from the paragraph
    /// around the first place the quote occurs after `hint` characters. `None` when the quote is
    /// not in the paragraph.
    pub fn selection(p: &Paragraph, quote: &str, hint: usize) -> Option<Anchor> {
        let quote = quote.trim();
        if quote.is_empty() {
            return Some(Anchor::paragraph(p));
        }
        let chars: Vec<char> = p.text.chars().collect();
        let q: Vec<char> = quote.chars().collect();
        let starts: Vec<usize> =
            (0..=chars.len().saturating_sub(q.len())).filter(|i| chars[*i..].starts_with(&q)).collect();
        let at = starts.iter().copied().min_by_key(|i| i.abs_diff(hint))?;
        let prefix: String = chars[at.saturating_sub(CONTEXT_CHARS)..at].iter().collect();
        let suffix: String = chars[at + q.len()..(at + q.len() + CONTEXT_CHARS).min(chars.len())].iter().collect();
        Some(Anchor { para_no: p.no as i64, para_text: p.text.clone(), quote: quote.to_owned(), prefix, suffix })
    }
}

/// Finds an anchor's paragraph in the draft as it is now (the draft may have been edited since the
/// comment was made): the paragraph holding the quote, its context deciding between several; for
/// a whole-paragraph comment, the paragraph with the same text, else the most similar one (at
/// least half alike). `None`: the passage is gone.
pub fn locate(paras: &[Paragraph], a: &Anchor) -> Option<usize> {
    let near = |p: &Paragraph| (p.no as i64).abs_diff(a.para_no);
    if !a.quote.is_empty() {
        let holding: Vec<&Paragraph> = paras.iter().filter(|p| p.text.contains(&a.quote)).collect();
        let score = |p: &Paragraph| {
            let mut s = 0;
            for (i, _) in p.text.match_indices(&a.quote) {
                let before = &p.text[..i];
                let after = &p.text[i + a.quote.len()..];
                let here = common_suffix(before, &a.prefix) + common_prefix(after, &a.suffix);
                s = s.max(here);
            }
            s
        };
        return holding.into_iter().max_by(|x, y| score(x).cmp(&score(y)).then(near(y).cmp(&near(x)))).map(|p| p.no);
    }
    if let Some(p) = paras.iter().filter(|p| p.text == a.para_text).min_by_key(|p| near(p)) {
        return Some(p.no);
    }
    paras
        .iter()
        .map(|p| (similarity(&p.text, &a.para_text), p))
        .filter(|(s, _)| *s >= 0.5)
        .max_by(|(s1, p1), (s2, p2)| s1.total_cmp(s2).then(near(p2).cmp(&near(p1))))
        .map(|(_, p)| p.no)
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn common_suffix(a: &str, b: &str) -> usize {
    a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y).count()
}

/// How alike two paragraphs are (0–1), by characters.
fn similarity(a: &str, b: &str) -> f32 {
    similar::TextDiff::from_chars(a, b).ratio()
}

/// A comment's moderation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentState {
    /// 待审核 (premoderated, not yet shown)
    Pending,
    /// 已公开
    Visible,
    /// 已隐藏 (reader flags reached the threshold; waits for a moderator)
    Hidden,
    /// 不予公开 (a moderator refused it; it still counts as a received opinion)
    Rejected,
}

impl CommentState {
    pub const ALL: [CommentState; 4] =
        [CommentState::Pending, CommentState::Visible, CommentState::Hidden, CommentState::Rejected];

    pub fn code(self) -> &'static str {
        match self {
            CommentState::Pending => "pending",
            CommentState::Visible => "visible",
            CommentState::Hidden => "hidden",
            CommentState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<CommentState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            CommentState::Pending => "待审核",
            CommentState::Visible => "已公开",
            CommentState::Hidden => "被举报隐藏",
            CommentState::Rejected => "不予公开",
        }
    }

    /// The state a new comment starts in.
    pub fn initial(premoderated: bool) -> CommentState {
        if premoderated { CommentState::Pending } else { CommentState::Visible }
    }

    /// Whether it waits in the moderator's queue.
    pub fn needs_moderator(self) -> bool {
        matches!(self, CommentState::Pending | CommentState::Hidden)
    }
}

/// The state after one more reader flag: a visible comment hides itself once the flags reach the
/// threshold (0: never), and waits for a moderator.
pub fn after_flag(state: CommentState, flags: i64, threshold: i64) -> CommentState {
    if state == CommentState::Visible && platform::intake::flags_hide(flags, threshold) {
        CommentState::Hidden
    } else {
        state
    }
}

/// How the agency took up an opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Adoption {
    Adopted,
    Partial,
    NotAdopted,
}

impl Adoption {
    pub const ALL: [Adoption; 3] = [Adoption::Adopted, Adoption::Partial, Adoption::NotAdopted];

    pub fn code(self) -> &'static str {
        match self {
            Adoption::Adopted => "adopted",
            Adoption::Partial => "partial",
            Adoption::NotAdopted => "not_adopted",
        }
    }

    pub fn parse(s: &str) -> Option<Adoption> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Adoption::Adopted => "采纳",
            Adoption::Partial => "部分采纳",
            Adoption::NotAdopted => "未采纳",
        }
    }

    /// Partial and refused adoptions must say why; an adoption may.
    pub fn needs_reason(self) -> bool {
        self != Adoption::Adopted
    }
}

/// The report's figures: how many opinions were received and how each was taken up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AdoptionCounts {
    pub received: i64,
    pub adopted: i64,
    pub partial: i64,
    pub not_adopted: i64,
}

impl AdoptionCounts {
    pub fn add(&mut self, a: Option<Adoption>) {
        self.received += 1;
        match a {
            Some(Adoption::Adopted) => self.adopted += 1,
            Some(Adoption::Partial) => self.partial += 1,
            Some(Adoption::NotAdopted) => self.not_adopted += 1,
            None => {}
        }
    }

    pub fn decided(&self) -> i64 {
        self.adopted + self.partial + self.not_adopted
    }

    /// Adopted in whole or part, of the decided opinions (percent), `None` before any decision.
    pub fn adoption_rate(&self) -> Option<f64> {
        (self.decided() > 0).then(|| (self.adopted + self.partial) as f64 * 100.0 / self.decided() as f64)
    }

    /// The report may be published once every received opinion has a decision.
    pub fn complete(&self) -> bool {
        self.decided() == self.received
    }
}

// ---- surveys ----------------------------------------------------------------------------------

/// A survey question's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 单选
    Single,
    /// 多选 (with a least and most number of choices)
    Multiple,
    /// 填空
    Text,
    /// 量表 (1 to `max`, 5 or 10)
    Scale,
    /// 矩阵 (one choice per row)
    Matrix,
    /// 排序 (every option given a distinct rank)
    Ranking,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 6] = [
        QuestionKind::Single,
        QuestionKind::Multiple,
        QuestionKind::Text,
        QuestionKind::Scale,
        QuestionKind::Matrix,
        QuestionKind::Ranking,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Text => "text",
            QuestionKind::Scale => "scale",
            QuestionKind::Matrix => "matrix",
            QuestionKind::Ranking => "ranking",
        }
    }

    pub fn parse(s: &str) -> Option<QuestionKind> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::Single => "单选题",
            QuestionKind::Multiple => "多选题",
            QuestionKind::Text => "填空题",
            QuestionKind::Scale => "量表题",
            QuestionKind::Matrix => "矩阵题",
            QuestionKind::Ranking => "排序题",
        }
    }

    fn has_options(self) -> bool {
        !matches!(self, QuestionKind::Text | QuestionKind::Scale)
    }
}

/// Show a question only when an earlier single- or multiple-choice question has this option
/// chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShowIf {
    /// The earlier question's number (1-based).
    pub question: usize,
    /// The option's number in that question (1-based).
    pub option: usize,
}

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Question {
    pub kind: QuestionKind,
    #[schemars(length(min = 1, max = 300))]
    pub title: String,
    /// The choices (single, multiple, ranking) or the columns (matrix).
    #[serde(default)]
    pub options: Vec<String>,
    /// A matrix's rows.
    #[serde(default)]
    pub rows: Vec<String>,
    #[serde(default)]
    pub required: bool,
    /// Multiple: the fewest choices (0: none required beyond `required`).
    #[serde(default)]
    pub min: u32,
    /// Multiple: the most choices (0: no limit); scale: the top of the scale (5 or 10).
    #[serde(default)]
    pub max: u32,
    #[serde(default)]
    pub show_if: Option<ShowIf>,
}

/// Why a survey's questions are refused: the question's number and what is wrong.
pub fn check_questions(qs: &[Question]) -> Vec<(usize, String)> {
    let mut errs = Vec::new();
    if qs.is_empty() {
        errs.push((0, "问卷至少要有一道题".to_owned()));
    }
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        if q.title.trim().is_empty() {
            errs.push((n, format!("第 {n} 题缺少题目")));
        }
        let options = q.options.iter().filter(|o| !o.trim().is_empty()).count();
        if q.kind.has_options() && options < 2 {
            errs.push((n, format!("第 {n} 题（{}）至少要有两个选项", q.kind.label())));
        }
        if q.kind == QuestionKind::Matrix && q.rows.iter().all(|r| r.trim().is_empty()) {
            errs.push((n, format!("第 {n} 题（矩阵题）至少要有一行")));
        }
        if q.kind == QuestionKind::Scale && !(q.max == 5 || q.max == 10) {
            errs.push((n, format!("第 {n} 题（量表题）的最高分只能是 5 或 10")));
        }
        if q.kind == QuestionKind::Multiple && q.max > 0 && (q.min > q.max || q.max as usize > options) {
            errs.push((
                n,
                format!("第 {n} 题的最少和最多选择数不合理（最少 {}，最多 {}，共 {options} 项）", q.min, q.max),
            ));
        }
        if let Some(c) = &q.show_if {
            let ok = c.question >= 1
                && c.question < n
                && matches!(qs[c.question - 1].kind, QuestionKind::Single | QuestionKind::Multiple)
                && c.option >= 1
                && c.option <= qs[c.question - 1].options.len();
            if !ok {
                errs.push((n, format!("第 {n} 题的显示条件须指向前面某道选择题的一个选项")));
            }
        }
    }
    errs
}

/// A respondent's answers by question number (1-based): the chosen option numbers (1-based;
/// for a matrix, one per row, 0 for none; for a ranking, each option's rank), a scale value, or
/// text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers(pub BTreeMap<usize, Answer>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Choices(Vec<usize>),
    Text(String),
}

impl Answer {
    fn choices(&self) -> &[usize] {
        match self {
            Answer::Choices(c) => c,
            Answer::Text(_) => &[],
        }
    }
}

/// Whether question `n` (1-based) is shown given the answers so far.
pub fn shown(qs: &[Question], n: usize, answers: &Answers) -> bool {
    match &qs[n - 1].show_if {
        None => true,
        Some(c) => {
            shown(qs, c.question, answers)
                && answers.0.get(&c.question).is_some_and(|a| a.choices().contains(&c.option))
        }
    }
}

/// The longest text answer kept.
pub const TEXT_ANSWER_MAX: usize = 1000;

/// Checks a response: answers to hidden questions are dropped; each shown question's answer must
/// fit its kind, required ones must be answered. Errors by question number.
pub fn check_answers(qs: &[Question], given: &Answers) -> Result<Answers, BTreeMap<usize, String>> {
    let mut kept = Answers::default();
    let mut errs = BTreeMap::new();
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        if !shown(qs, n, &kept) {
            continue;
        }
        let a = given.0.get(&n);
        let blank = match a {
            None => true,
            Some(Answer::Text(t)) => t.trim().is_empty(),
            Some(Answer::Choices(c)) => c.iter().all(|x| *x == 0),
        };
        if blank {
            if q.required {
                errs.insert(n, "此题为必答题".to_owned());
            }
            continue;
        }
        let Some(a) = a else { continue };
        match check_one(q, a) {
            Ok(a) => {
                kept.0.insert(n, a);
            }
            Err(e) => {
                errs.insert(n, e);
            }
        }
    }
    if errs.is_empty() { Ok(kept) } else { Err(errs) }
}

fn check_one(q: &Question, a: &Answer) -> Result<Answer, String> {
    let n_opt = q.options.len();
    match (q.kind, a) {
        (QuestionKind::Text, Answer::Text(t)) => {
            let t = t.trim();
            if t.chars().count() > TEXT_ANSWER_MAX {
                return Err(format!("回答不能超过 {TEXT_ANSWER_MAX} 字"));
            }
            Ok(Answer::Text(t.to_owned()))
        }
        (QuestionKind::Single, Answer::Choices(c)) => match c.as_slice() {
            [x] if (1..=n_opt).contains(x) => Ok(Answer::Choices(vec![*x])),
            [_] => Err("所选选项不存在".to_owned()),
            _ => Err("此题只能选一项".to_owned()),
        },
        (QuestionKind::Multiple, Answer::Choices(c)) => {
            let mut c = c.clone();
            c.sort_unstable();
            c.dedup();
            if c.iter().any(|x| !(1..=n_opt).contains(x)) {
                return Err("所选选项不存在".to_owned());
            }
            if (c.len() as u32) < q.min {
                return Err(format!("此题至少选 {} 项", q.min));
            }
            if q.max > 0 && c.len() as u32 > q.max {
                return Err(format!("此题最多选 {} 项", q.max));
            }
            Ok(Answer::Choices(c))
        }
        (QuestionKind::Scale, Answer::Choices(c)) => match c.as_slice() {
            [x] if (1..=q.max as usize).contains(x) => Ok(Answer::Choices(vec![*x])),
            _ => Err(format!("请在 1 到 {} 之间选择", q.max)),
        },
        (QuestionKind::Matrix, Answer::Choices(c)) => {
            if c.len() != q.rows.len() || c.iter().any(|x| *x > n_opt) {
                return Err("矩阵题的回答与行列不符".to_owned());
            }
            if q.required && c.contains(&0) {
                return Err("请为每一行选择一项".to_owned());
            }
            Ok(Answer::Choices(c.clone()))
        }
        (QuestionKind::Ranking, Answer::Choices(c)) => {
            let mut sorted = c.clone();
            sorted.sort_unstable();
            if sorted != (1..=n_opt).collect::<Vec<_>>() {
                return Err(format!("请为每一项排出 1 到 {n_opt} 的不同名次"));
            }
            Ok(Answer::Choices(c.clone()))
        }
        _ => Err("回答的形式与题型不符".to_owned()),
    }
}

/// The counters a response adds one to: (question number, choice key). The key is the option
/// number, `row:option` for a matrix, `option:rank` for a ranking, the value for a scale, and
/// `answered` for a text question.
pub fn tally_keys(qs: &[Question], a: &Answers) -> Vec<(usize, String)> {
    let mut keys = Vec::new();
    for (n, ans) in &a.0 {
        let Some(q) = qs.get(n - 1) else { continue };
        match (q.kind, ans) {
            (QuestionKind::Text, Answer::Text(_)) => keys.push((*n, "answered".to_owned())),
            (QuestionKind::Matrix, Answer::Choices(c)) => {
                for (row, opt) in c.iter().enumerate() {
                    if *opt > 0 {
                        keys.push((*n, format!("{}:{opt}", row + 1)));
                    }
                }
            }
            (QuestionKind::Ranking, Answer::Choices(c)) => {
                for (opt, rank) in c.iter().enumerate() {
                    keys.push((*n, format!("{}:{rank}", opt + 1)));
                }
            }
            (_, Answer::Choices(c)) => keys.extend(c.iter().map(|x| (*n, x.to_string()))),
            _ => {}
        }
    }
    keys
}

/// One bar of a result: a label, its count and its share of the question's respondents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub percent: f64,
}

/// A question's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    pub no: usize,
    pub title: String,
    pub kind: QuestionKind,
    pub kind_label: &'static str,
    /// How many respondents answered it.
    pub answered: i64,
    /// Choices and scale values, one bar each; a ranking's options by average rank.
    pub bars: Vec<Bar>,
    /// A matrix: per row, the count of each column.
    pub matrix: Vec<(String, Vec<i64>)>,
    /// Scale: the mean; ranking: unused.
    pub mean: Option<f64>,
    /// Ranking: each option's average rank (lower is preferred), in `bars` order.
    pub mean_ranks: Vec<f64>,
}

/// Reads the results from the counters: (question number, key) → count, and the number of
/// respondents who answered each question.
pub fn results(
    qs: &[Question],
    counts: &BTreeMap<(usize, String), i64>,
    answered: &BTreeMap<usize, i64>,
) -> Vec<QuestionResult> {
    let count = |n: usize, k: &str| counts.get(&(n, k.to_owned())).copied().unwrap_or(0);
    let pct = |c: i64, of: i64| if of > 0 { (c as f64 * 1000.0 / of as f64).round() / 10.0 } else { 0.0 };
    qs.iter()
        .enumerate()
        .map(|(i, q)| {
            let n = i + 1;
            let total = answered.get(&n).copied().unwrap_or(0);
            let mut r = QuestionResult {
                no: n,
                title: q.title.clone(),
                kind: q.kind,
                kind_label: q.kind.label(),
                answered: total,
                bars: Vec::new(),
                matrix: Vec::new(),
                mean: None,
                mean_ranks: Vec::new(),
            };
            match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    r.bars = q
                        .options
                        .iter()
                        .enumerate()
                        .map(|(j, o)| {
                            let c = count(n, &(j + 1).to_string());
                            Bar { label: o.clone(), count: c, percent: pct(c, total) }
                        })
                        .collect();
                }
                QuestionKind::Scale => {
                    let mut sum = 0;
                    r.bars = (1..=q.max as i64)
                        .map(|v| {
                            let c = count(n, &v.to_string());
                            sum += c * v;
                            Bar { label: format!("{v} 分"), count: c, percent: pct(c, total) }
                        })
                        .collect();
                    r.mean = (total > 0).then(|| (sum as f64 * 100.0 / total as f64).round() / 100.0);
                }
                QuestionKind::Matrix => {
                    r.matrix = q
                        .rows
                        .iter()
                        .enumerate()
                        .map(|(row, label)| {
                            (
                                label.clone(),
                                (1..=q.options.len()).map(|o| count(n, &format!("{}:{o}", row + 1))).collect(),
                            )
                        })
                        .collect();
                }
                QuestionKind::Ranking => {
                    let k = q.options.len();
                    let mut ranked: Vec<(String, f64, i64)> = q
                        .options
                        .iter()
                        .enumerate()
                        .map(|(j, o)| {
                            let firsts = count(n, &format!("{}:1", j + 1));
                            let sum: i64 =
                                (1..=k).map(|rank| count(n, &format!("{}:{rank}", j + 1)) * rank as i64).sum();
                            let mean =
                                if total > 0 { (sum as f64 * 100.0 / total as f64).round() / 100.0 } else { 0.0 };
                            (o.clone(), mean, firsts)
                        })
                        .collect();
                    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
                    r.mean_ranks = ranked.iter().map(|x| x.1).collect();
                    r.bars = ranked
                        .into_iter()
                        .map(|(label, _, firsts)| Bar { label, count: firsts, percent: pct(firsts, total) })
                        .collect();
                }
                QuestionKind::Text => {}
            }
            r
        })
        .collect()
}

/// Whether a survey's results may be shown to the public at `now`.
pub fn results_public(live_results: bool, state: SState, now: i64, closes_at: i64) -> bool {
    match state {
        SState::Draft => false,
        SState::Open => live_results || now >= closes_at,
        SState::Closed => true,
    }
}

/// A survey's state. Open surveys take responses between their opening and closing times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SState {
    Draft,
    Open,
    Closed,
}

impl SState {
    pub const ALL: [SState; 3] = [SState::Draft, SState::Open, SState::Closed];

    pub fn code(self) -> &'static str {
        match self {
            SState::Draft => "draft",
            SState::Open => "open",
            SState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<SState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            SState::Draft => "未发布",
            SState::Open => "进行中",
            SState::Closed => "已结束",
        }
    }
}

/// What a reader sees of a published survey at `now`: 未开始, 进行中 or 已结束.
pub fn s_phase(state: SState, opens_at: i64, closes_at: i64, now: i64) -> &'static str {
    match state {
        SState::Draft => "未发布",
        SState::Closed => "已结束",
        SState::Open if now < opens_at => "未开始",
        SState::Open if now >= closes_at => "已结束",
        SState::Open => "进行中",
    }
}

/// Whether a survey takes a response at `now`.
pub fn s_accepting(state: SState, opens_at: i64, closes_at: i64, now: i64) -> bool {
    state == SState::Open && now >= opens_at && now < closes_at
}

// ---- interviews and hearings ------------------------------------------------------------------

/// An online interview (在线访谈) or a hearing (网上听政).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IKind {
    Interview,
    Hearing,
    /// 活动直播: image-text (and optionally video) coverage of an event; guests optional.
    Coverage,
}

impl IKind {
    pub fn code(self) -> &'static str {
        match self {
            IKind::Interview => "interview",
            IKind::Hearing => "hearing",
            IKind::Coverage => "coverage",
        }
    }

    pub fn parse(s: &str) -> Option<IKind> {
        [IKind::Interview, IKind::Hearing, IKind::Coverage].into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            IKind::Interview => "在线访谈",
            IKind::Hearing => "网上听政",
            IKind::Coverage => "活动直播",
        }
    }
}

/// A stream address the public page can hand to the browser's own player: empty, or an http(s)
/// URL of at most 500 characters.
pub fn check_video_url(url: &str) -> Result<(), &'static str> {
    let url = url.trim();
    if url.is_empty() || platform::media::is_http_url(url) {
        Ok(())
    } else {
        Err("视频流地址应为 http:// 或 https:// 开头的 HLS（.m3u8）、FLV 或 MP4 地址（500 字以内）")
    }
}

/// Where an interview is: 草稿, 预告 (announced; questions collected), 直播中, 回顾 (ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IState {
    Draft,
    Announced,
    Live,
    Ended,
}

impl IState {
    pub const ALL: [IState; 4] = [IState::Draft, IState::Announced, IState::Live, IState::Ended];

    pub fn code(self) -> &'static str {
        match self {
            IState::Draft => "draft",
            IState::Announced => "announced",
            IState::Live => "live",
            IState::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<IState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            IState::Draft => "草稿",
            IState::Announced => "预告",
            IState::Live => "直播中",
            IState::Ended => "回顾",
        }
    }

    /// The action that moves an interview on from here (发布预告, 开始直播, 结束直播).
    pub fn next(self) -> Option<(&'static str, &'static str, IState)> {
        match self {
            IState::Draft => Some(("announce", "发布预告", IState::Announced)),
            IState::Announced => Some(("start", "开始直播", IState::Live)),
            IState::Live => Some(("end", "结束直播", IState::Ended)),
            IState::Ended => None,
        }
    }

    /// The public can ask questions before and during the event.
    pub fn takes_questions(self) -> bool {
        matches!(self, IState::Announced | IState::Live)
    }
}

/// Who speaks in a message of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// 主持人
    Host,
    /// 嘉宾
    Guest,
    /// 听政陈述人 (a hearing's registered participant, speaking in turn)
    Participant,
    /// 网民提问 (a public question, shown once a moderator approves it)
    Public,
    /// 公告 (a notice from the staff: a break, a photo)
    Notice,
}

impl Speaker {
    pub const ALL: [Speaker; 5] =
        [Speaker::Host, Speaker::Guest, Speaker::Participant, Speaker::Public, Speaker::Notice];

    pub fn code(self) -> &'static str {
        match self {
            Speaker::Host => "host",
            Speaker::Guest => "guest",
            Speaker::Participant => "participant",
            Speaker::Public => "public",
            Speaker::Notice => "notice",
        }
    }

    pub fn parse(s: &str) -> Option<Speaker> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Speaker::Host => "主持人",
            Speaker::Guest => "嘉宾",
            Speaker::Participant => "陈述人",
            Speaker::Public => "网友",
            Speaker::Notice => "公告",
        }
    }
}

/// A message's state in the stream: public questions wait for the moderator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MState {
    /// 待审 (a public question)
    Pending,
    /// 已发布
    Shown,
    /// 未采用 (a question the moderator did not take)
    Rejected,
    /// 已删除 (withdrawn by the moderator; every viewer drops it)
    Deleted,
}

impl MState {
    pub const ALL: [MState; 4] = [MState::Pending, MState::Shown, MState::Rejected, MState::Deleted];

    pub fn code(self) -> &'static str {
        match self {
            MState::Pending => "pending",
            MState::Shown => "shown",
            MState::Rejected => "rejected",
            MState::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<MState> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_decisions_need_thirty_days_or_a_reason() {
        let t0 = 1_780_000_000;
        assert_eq!(check_period(ConsultationKind::Major, t0, t0 + 30 * DAY, ""), Ok(()));
        assert_eq!(
            check_period(ConsultationKind::Major, t0, t0 + 30 * DAY - 60, ""),
            Err(PeriodError::TooShortWithoutReason)
        );
        assert_eq!(check_period(ConsultationKind::Major, t0, t0 + 10 * DAY, "防汛紧急需要"), Ok(()));
        assert_eq!(check_period(ConsultationKind::General, t0, t0 + 7 * DAY, ""), Ok(()));
        assert_eq!(check_period(ConsultationKind::General, t0, t0, ""), Err(PeriodError::CloseBeforeOpen));
        assert_eq!(check_period(ConsultationKind::Major, t0, t0 - 1, "x"), Err(PeriodError::CloseBeforeOpen));
        assert_eq!(PeriodError::TooShortWithoutReason.field(), "short_reason");
        assert_eq!(period_days(t0, t0 + 30 * DAY), 30);
    }

    #[test]
    fn every_state_and_action_pairs_as_the_flow_says() {
        use CAction as A;
        use CState as S;
        let allowed = [
            (S::Draft, A::Submit, S::Pending),
            (S::Pending, A::Approve, S::Approved),
            (S::Pending, A::Return, S::Draft),
            (S::Approved, A::Open, S::Open),
            (S::Open, A::Close, S::Closed),
            (S::Closed, A::PublishReport, S::Reported),
        ];
        for s in S::ALL {
            assert_eq!(S::parse(s.code()), Some(s));
            for a in A::ALL {
                assert_eq!(A::parse(a.code()), Some(a));
                let want = allowed.iter().find(|(f, x, _)| *f == s && *x == a).map(|t| t.2);
                assert_eq!(c_transition(s, a), want, "{s:?} {a:?}");
            }
        }
        assert!(A::Approve.is_review() && A::Return.is_review() && !A::Submit.is_review());
    }

    #[test]
    fn the_clock_opens_and_closes() {
        let (o, c) = (1000, 2000);
        assert_eq!(clock_action(CState::Approved, o, c, 999), None);
        assert_eq!(clock_action(CState::Approved, o, c, 1000), Some(CAction::Open));
        assert_eq!(clock_action(CState::Open, o, c, 1999), None);
        assert_eq!(clock_action(CState::Open, o, c, 2000), Some(CAction::Close));
        assert_eq!(clock_action(CState::Pending, o, c, 5000), None);
        assert_eq!(clock_action(CState::Closed, o, c, 5000), None);
        assert_eq!(c_effective(CState::Approved, o, c, 500), CState::Approved);
        assert_eq!(c_effective(CState::Approved, o, c, 1500), CState::Open);
        assert_eq!(c_effective(CState::Approved, o, c, 2500), CState::Closed);
        assert_eq!(c_effective(CState::Open, o, c, 2500), CState::Closed);
        assert_eq!(c_effective(CState::Pending, o, c, 2500), CState::Pending);
        assert_eq!(c_effective(CState::Reported, o, c, 2500), CState::Reported);
        assert!(!CState::Approved.is_public() && CState::Open.is_public() && CState::Reported.is_public());
    }

    const DRAFT: &str = "第一章 总则\n\n第一条 为规范城市公共自行车管理，制定本办法。\n第二条 本办法适用于本市行政区域内公共自行车的设置、使用和管理。\n一、总体要求\n市交通运输局负责公共自行车的统筹管理。租车点应当设置在公交站点附近。\n";

    #[test]
    fn drafts_split_into_numbered_paragraphs_with_headings() {
        let p = paragraphs(DRAFT);
        assert_eq!(p.len(), 5);
        assert_eq!((p[0].no, p[0].heading), (1, true));
        assert_eq!((p[1].no, p[1].heading), (2, false));
        assert!(p[3].heading, "一、 heading");
        assert!(!p[4].heading);
        assert!(!is_heading("第一条 为规范"));
        assert!(is_heading("第十二章 附则"));
        assert!(is_heading("二十、"));
        assert!(!is_heading(
            "三、租车点应当设置在公交站点附近，方便市民换乘，并在醒目位置公示服务电话和收费标准，接受社会监督"
        ));
    }

    #[test]
    fn a_selection_keeps_its_context() {
        let p = paragraphs(DRAFT);
        let a = Anchor::selection(&p[4], "公交站点附近", 0).unwrap();
        assert_eq!(a.quote, "公交站点附近");
        assert!(a.prefix.ends_with("租车点应当设置在"));
        assert_eq!(a.suffix, "。");
        assert_eq!(Anchor::selection(&p[4], "不在这段里", 0), None);
        assert_eq!(Anchor::selection(&p[4], "  ", 0).unwrap().quote, "");
    }

    #[test]
    fn a_comment_stays_on_its_passage_when_other_paragraphs_change() {
        let before = paragraphs(DRAFT);
        let sel = Anchor::selection(&before[4], "公交站点附近", 0).unwrap();
        let whole = Anchor::paragraph(&before[2]);
        // A paragraph inserted above, another rewritten: both comments follow their text.
        let edited = DRAFT
            .replace("第一条 为规范", "第一条 为加强和规范")
            .replace("第一章 总则\n", "第一章 总则\n本办法由市交通运输局起草。\n");
        let after = paragraphs(&edited);
        assert_eq!(locate(&after, &sel), Some(6));
        assert_eq!(locate(&after, &whole), Some(4));
        // The commented paragraph itself lightly edited: still found by similarity.
        let touched = DRAFT.replace("的设置、使用和管理", "的设置、使用、维护和管理");
        assert_eq!(locate(&paragraphs(&touched), &whole), Some(3));
        // Deleted: gone.
        let gone = DRAFT.replace("第二条 本办法适用于本市行政区域内公共自行车的设置、使用和管理。\n", "");
        assert_eq!(locate(&paragraphs(&gone), &whole), None);
    }

    #[test]
    fn context_decides_between_repeated_quotes() {
        let text = "甲、租车点应当设置在公交站点附近。\n乙、还车点应当设置在公交站点附近。\n";
        let p = paragraphs(text);
        let a = Anchor::selection(&p[1], "应当设置在公交站点附近", 0).unwrap();
        assert_eq!(locate(&p, &a), Some(2));
        let b = Anchor::selection(&p[0], "应当设置在公交站点附近", 0).unwrap();
        // Swap the order: context still tells them apart.
        let swapped = paragraphs("乙、还车点应当设置在公交站点附近。\n甲、租车点应当设置在公交站点附近。\n");
        assert_eq!(locate(&swapped, &b), Some(2));
        assert_eq!(locate(&swapped, &a), Some(1));
    }

    #[test]
    fn flags_hide_a_visible_comment_at_the_threshold() {
        assert_eq!(CommentState::initial(true), CommentState::Pending);
        assert_eq!(CommentState::initial(false), CommentState::Visible);
        assert_eq!(after_flag(CommentState::Visible, 2, 3), CommentState::Visible);
        assert_eq!(after_flag(CommentState::Visible, 3, 3), CommentState::Hidden);
        assert_eq!(after_flag(CommentState::Visible, 99, 0), CommentState::Visible);
        assert_eq!(after_flag(CommentState::Pending, 5, 3), CommentState::Pending);
        assert_eq!(after_flag(CommentState::Rejected, 5, 3), CommentState::Rejected);
        for s in CommentState::ALL {
            assert_eq!(CommentState::parse(s.code()), Some(s));
        }
        assert!(CommentState::Hidden.needs_moderator() && !CommentState::Visible.needs_moderator());
    }

    #[test]
    fn adoption_counts_and_rate() {
        let mut c = AdoptionCounts::default();
        assert_eq!(c.adoption_rate(), None);
        assert!(c.complete());
        for a in [Some(Adoption::Adopted), Some(Adoption::Partial), Some(Adoption::NotAdopted), None] {
            c.add(a);
        }
        assert_eq!((c.received, c.decided()), (4, 3));
        assert!(!c.complete());
        assert!((c.adoption_rate().unwrap() - 66.666).abs() < 0.01);
        assert!(!Adoption::Adopted.needs_reason() && Adoption::Partial.needs_reason());
        for a in Adoption::ALL {
            assert_eq!(Adoption::parse(a.code()), Some(a));
        }
    }

    fn q(kind: QuestionKind, options: &[&str]) -> Question {
        Question {
            kind,
            title: "题目".into(),
            options: options.iter().map(|s| (*s).to_owned()).collect(),
            rows: Vec::new(),
            required: true,
            min: 0,
            max: 0,
            show_if: None,
        }
    }

    fn survey() -> Vec<Question> {
        let mut scale = q(QuestionKind::Scale, &[]);
        scale.max = 5;
        let mut multi = q(QuestionKind::Multiple, &["公交", "地铁", "自行车", "步行"]);
        multi.min = 1;
        multi.max = 2;
        multi.show_if = Some(ShowIf { question: 1, option: 1 });
        let mut matrix = q(QuestionKind::Matrix, &["满意", "一般", "不满意"]);
        matrix.rows = vec!["准点".into(), "车况".into()];
        let mut text = q(QuestionKind::Text, &[]);
        text.required = false;
        vec![
            q(QuestionKind::Single, &["是", "否"]),
            multi,
            scale,
            matrix,
            q(QuestionKind::Ranking, &["甲", "乙", "丙"]),
            text,
        ]
    }

    fn answers(v: &[(usize, Answer)]) -> Answers {
        Answers(v.iter().cloned().collect())
    }

    #[test]
    fn questions_are_checked() {
        assert!(check_questions(&survey()).is_empty());
        assert_eq!(check_questions(&[]).len(), 1);
        let mut bad = survey();
        bad[0].options.truncate(1);
        bad[2].max = 7;
        bad[1].max = 9;
        bad[3].rows.clear();
        bad[5].show_if = Some(ShowIf { question: 3, option: 1 });
        let errs: Vec<usize> = check_questions(&bad).into_iter().map(|e| e.0).collect();
        assert_eq!(errs, vec![1, 2, 3, 4, 6]);
        let mut forward = survey();
        forward[0].show_if = Some(ShowIf { question: 2, option: 1 });
        assert_eq!(check_questions(&forward)[0].0, 1);
    }

    #[test]
    fn conditions_hide_questions_and_drop_their_answers() {
        let qs = survey();
        let full =
            [(3, Answer::Choices(vec![4])), (4, Answer::Choices(vec![1, 2])), (5, Answer::Choices(vec![2, 1, 3]))];
        let mut with_no = full.to_vec();
        with_no.push((1, Answer::Choices(vec![2])));
        with_no.push((2, Answer::Choices(vec![1, 2, 3])));
        let kept = check_answers(&qs, &answers(&with_no)).unwrap();
        assert!(!kept.0.contains_key(&2), "question 2 only shows after 是");
        let mut with_yes = full.to_vec();
        with_yes.push((1, Answer::Choices(vec![1])));
        let errs = check_answers(&qs, &answers(&with_yes)).unwrap_err();
        assert_eq!(errs.get(&2).map(String::as_str), Some("此题为必答题"));
        with_yes.push((2, Answer::Choices(vec![1, 2, 3])));
        assert_eq!(check_answers(&qs, &answers(&with_yes)).unwrap_err().get(&2).unwrap(), "此题最多选 2 项");
        with_yes.pop();
        with_yes.push((2, Answer::Choices(vec![3, 1, 3])));
        let ok = check_answers(&qs, &answers(&with_yes)).unwrap();
        assert_eq!(ok.0[&2], Answer::Choices(vec![1, 3]));
        assert!(shown(&qs, 2, &ok));
    }

    #[test]
    fn each_kind_rejects_what_does_not_fit() {
        let qs = survey();
        let base = |extra: (usize, Answer)| {
            let mut v = vec![
                (1, Answer::Choices(vec![2])),
                (3, Answer::Choices(vec![3])),
                (4, Answer::Choices(vec![1, 3])),
                (5, Answer::Choices(vec![1, 2, 3])),
            ];
            v.retain(|(n, _)| *n != extra.0);
            v.push(extra);
            check_answers(&qs, &answers(&v))
        };
        assert!(base((6, Answer::Text("  好  ".into()))).is_ok());
        assert_eq!(base((1, Answer::Choices(vec![3]))).unwrap_err()[&1], "所选选项不存在");
        assert_eq!(base((1, Answer::Choices(vec![1, 2]))).unwrap_err()[&1], "此题只能选一项");
        assert_eq!(base((3, Answer::Choices(vec![6]))).unwrap_err()[&3], "请在 1 到 5 之间选择");
        assert!(base((4, Answer::Choices(vec![1]))).is_err(), "matrix rows missing");
        assert!(base((4, Answer::Choices(vec![1, 0]))).is_err(), "required matrix row unanswered");
        assert!(base((5, Answer::Choices(vec![1, 1, 2]))).is_err(), "ranks must differ");
        assert!(base((6, Answer::Text("长".repeat(TEXT_ANSWER_MAX + 1)))).is_err());
        assert!(base((1, Answer::Text("是".into()))).is_err(), "text for a choice");
        assert!(base((1, Answer::Choices(vec![0]))).is_err(), "required and blank");
        assert_eq!(base((6, Answer::Text("好".into()))).unwrap().0[&6], Answer::Text("好".into()));
    }

    #[test]
    fn results_read_from_the_counters() {
        let qs = survey();
        let responses = [
            answers(&[
                (1, Answer::Choices(vec![1])),
                (2, Answer::Choices(vec![1, 2])),
                (3, Answer::Choices(vec![5])),
                (4, Answer::Choices(vec![1, 2])),
                (5, Answer::Choices(vec![1, 2, 3])),
                (6, Answer::Text("增加班次".into())),
            ]),
            answers(&[
                (1, Answer::Choices(vec![2])),
                (3, Answer::Choices(vec![3])),
                (4, Answer::Choices(vec![1, 3])),
                (5, Answer::Choices(vec![2, 1, 3])),
            ]),
        ];
        let mut counts = BTreeMap::new();
        let mut answered = BTreeMap::new();
        for r in &responses {
            for k in tally_keys(&qs, r) {
                *counts.entry(k).or_insert(0) += 1;
            }
            for n in r.0.keys() {
                *answered.entry(*n).or_insert(0) += 1;
            }
        }
        let res = results(&qs, &counts, &answered);
        assert_eq!(res[0].bars.iter().map(|b| b.count).collect::<Vec<_>>(), vec![1, 1]);
        assert_eq!(res[0].bars[0].percent, 50.0);
        assert_eq!(res[1].answered, 1);
        assert_eq!(res[1].bars.iter().map(|b| b.count).collect::<Vec<_>>(), vec![1, 1, 0, 0]);
        assert_eq!(res[2].mean, Some(4.0));
        assert_eq!(res[3].matrix, vec![("准点".to_owned(), vec![2, 0, 0]), ("车况".to_owned(), vec![0, 1, 1])]);
        // Ranking: 甲 ranks 1 and 2 (mean 1.5), 乙 2 and 1 (1.5), 丙 3 and 3.
        assert_eq!(res[4].mean_ranks, vec![1.5, 1.5, 3.0]);
        assert_eq!(res[4].bars[2].label, "丙");
        assert_eq!(res[5].answered, 1);
        assert!(results_public(false, SState::Closed, 0, 10));
        assert!(!results_public(false, SState::Open, 5, 10));
        assert!(results_public(true, SState::Open, 5, 10));
        assert!(results_public(false, SState::Open, 10, 10));
        assert!(!results_public(true, SState::Draft, 50, 10));
        assert!(s_accepting(SState::Open, 0, 10, 5) && !s_accepting(SState::Open, 0, 10, 10));
        assert_eq!(s_phase(SState::Open, 10, 20, 5), "未开始");
        assert_eq!(s_phase(SState::Open, 10, 20, 15), "进行中");
        assert_eq!(s_phase(SState::Open, 10, 20, 25), "已结束");
    }

    #[test]
    fn interviews_move_one_way() {
        let mut s = IState::Draft;
        let mut seen = vec![s];
        while let Some((_, _, next)) = s.next() {
            s = next;
            seen.push(s);
        }
        assert_eq!(seen, IState::ALL.to_vec());
        assert!(IState::Announced.takes_questions() && IState::Live.takes_questions());
        assert!(!IState::Ended.takes_questions() && !IState::Draft.takes_questions());
        for x in Speaker::ALL {
            assert_eq!(Speaker::parse(x.code()), Some(x));
        }
        for x in MState::ALL {
            assert_eq!(MState::parse(x.code()), Some(x));
        }
        assert_eq!(IKind::parse("hearing"), Some(IKind::Hearing));
        assert_eq!(IKind::parse("coverage").map(IKind::label), Some("活动直播"));
        assert_eq!(check_video_url(""), Ok(()));
        assert!(check_video_url("rtmp://10.0.0.5/live/a").is_err());
        assert!(check_video_url("javascript:alert(1)").is_err());
    }
}

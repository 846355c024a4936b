//! The content checks every published text goes through: 错敏词 from the administrators'
//! dictionary (with the correction to suggest), images without alternative text or size, an empty
//! title or summary, and the links a page carries (which the module owning the paths resolves).
//! The pre-publication gate (发布前检查) runs them when an article is submitted; the compliance
//! monitor runs the same checks over what is already public. The checks are pure; the dictionary's
//! storage is at the end of the file.

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Serialize;

use crate::db::{Db, DbResult, sql};

/// Whether a problem stops submission or is only shown to the reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Blocking,
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Blocking => "必须修改",
            Severity::Warning => "提醒",
        }
    }
}

/// One problem found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `wording`, `empty_title`, `empty_summary`, `image_alt`, `image_size`, `broken_link`.
    pub kind: &'static str,
    pub severity: Severity,
    /// Which field it is in: `title`, `summary`, `body`.
    pub field: &'static str,
    pub message: String,
    /// The surrounding text (a dictionary hit) or the address (a link).
    pub excerpt: String,
    /// What to write instead, when known.
    pub suggestion: String,
}

/// A dictionary entry: a wrong or sensitive wording and its correct form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WordRule {
    pub id: i64,
    pub wrong: String,
    pub correct: String,
    /// `serious` (严重表述错误) or `general` (一般错别字).
    pub severity: String,
    pub note: String,
}

impl WordRule {
    pub fn serious(&self) -> bool {
        self.severity == "serious"
    }
}

/// The severities a rule may have, with their labels.
pub const RULE_SEVERITIES: [(&str, &str); 2] =
    [("serious", "严重表述错误（阻止发布，属单项否决）"), ("general", "一般错别字（提醒，扣分）")];

/// The dictionary, compiled for matching all its wordings in one pass.
pub struct Dictionary {
    rules: Vec<WordRule>,
    matcher: Option<AhoCorasick>,
}

/// One dictionary hit: the rule and where in the text (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
}

impl Dictionary {
    pub fn new(rules: Vec<WordRule>) -> Dictionary {
        let rules: Vec<WordRule> = rules.into_iter().filter(|r| !r.wrong.trim().is_empty()).collect();
        let matcher = (!rules.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(rules.iter().map(|r| r.wrong.as_str()))
            })
            .and_then(Result::ok);
        Dictionary { rules, matcher }
    }

    pub fn rules(&self) -> &[WordRule] {
        &self.rules
    }

    pub fn rule(&self, hit: &Hit) -> &WordRule {
        &self.rules[hit.rule]
    }

    /// Every wrong wording in `text`. A hit inside the correct form itself is not one: a rule
    /// 政俯 → 政府 never fires, but neither does a rule 人民政 → 人民政府 on the word 人民政府.
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let Some(m) = &self.matcher else { return Vec::new() };
        m.find_iter(text)
            .map(|x| Hit { rule: x.pattern().as_usize(), start: x.start(), end: x.end() })
            .filter(|h| !inside_correct_form(text, h, &self.rules[h.rule]))
            .collect()
    }
}

fn inside_correct_form(text: &str, hit: &Hit, rule: &WordRule) -> bool {
    if rule.correct.is_empty() {
        return false;
    }
    rule.correct.match_indices(rule.wrong.as_str()).any(|(k, _)| {
        hit.start >= k && text.get(hit.start - k..).is_some_and(|rest| rest.starts_with(rule.correct.as_str()))
    })
}

/// The text a reader sees in an HTML fragment: tags removed (inline tags join what they split),
/// the common entities decoded.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// About `chars` characters either side of a hit, for the message.
fn excerpt(text: &str, start: usize, end: usize, chars: usize) -> String {
    let before: String = text[..start].chars().rev().take(chars).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = text[end..].chars().take(chars).collect();
    format!("{}【{}】{}", before.trim_start(), &text[start..end], after.trim_end())
}

/// The dictionary problems in one field's visible text.
pub fn wording_problems(dict: &Dictionary, field: &'static str, text: &str) -> Vec<Problem> {
    dict.find(text)
        .iter()
        .map(|h| {
            let r = dict.rule(h);
            let severity = if r.serious() { Severity::Blocking } else { Severity::Warning };
            let fix = if r.correct.is_empty() {
                "请删除或改写".to_owned()
            } else {
                format!("应为“{}”", r.correct)
            };
            Problem {
                kind: "wording",
                severity,
                field,
                message: format!(
                    "{}“{}”{}，{}",
                    field_label(field),
                    r.wrong,
                    if r.serious() { "为严重表述错误" } else { "疑似错别字" },
                    fix
                ) + &if r.note.is_empty() { String::new() } else { format!("（{}）", r.note) },
                excerpt: excerpt(text, h.start, h.end, 12),
                suggestion: r.correct.clone(),
            }
        })
        .collect()
}

pub fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "标题中",
        "summary" => "摘要中",
        _ => "正文中",
    }
}

/// An `<img>` or `<a>` of a fragment with the attributes the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub tag: String,
    pub attrs: Vec<(String, String)>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The `<img>` and `<a>` start tags of an HTML fragment (as the sanitiser writes them: quoted
/// attributes), in order.
pub fn elements(html: &str) -> Vec<Element> {
    static TAG: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"(?is)<(img|a)\b([^>]*)>"#).expect("tag pattern"));
    static ATTR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?s)([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"#)
            .expect("attribute pattern")
    });
    TAG.captures_iter(html)
        .map(|c| Element {
            tag: c[1].to_ascii_lowercase(),
            attrs: ATTR
                .captures_iter(&c[2])
                .map(|a| {
                    let v = a.get(2).or(a.get(3)).or(a.get(4)).map_or("", |m| m.as_str());
                    (a[1].to_ascii_lowercase(), v.replace("&amp;", "&"))
                })
                .collect(),
        })
        .collect()
}

/// The addresses a fragment links to or embeds (`<a href>`, `<img src>`), each once, in order.
pub fn links(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in elements(html) {
        let v = if e.tag == "a" { e.attr("href") } else { e.attr("src") };
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty() && !v.starts_with('#'))
            && !out.iter().any(|o| o == v)
        {
            out.push(v.to_owned());
        }
    }
    out
}

/// An internal link (`/…` or on one of `hosts`) as the path it points at, without query or
/// fragment; `None` for external and non-HTTP links.
pub fn internal_path(link: &str, hosts: &[&str]) -> Option<String> {
    let cut = |p: &str| p.split(['?', '#']).next().unwrap_or("").to_owned();
    if link.starts_with('/') && !link.starts_with("//") {
        return Some(cut(link));
    }
    let u = url::Url::parse(link).ok()?;
    let host = u.host_str()?;
    (matches!(u.scheme(), "http" | "https") && hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
        .then(|| u.path().to_owned())
}

/// An absolute http(s) address outside the group's `hosts`, as the external link checker keeps it
/// (without its `#fragment`); `None` for our own pages and anything else.
pub fn external_url(link: &str, hosts: &[&str]) -> Option<String> {
    let mut u = url::Url::parse(link.trim()).ok()?;
    let host = u.host_str()?;
    if !matches!(u.scheme(), "http" | "https") || hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return None;
    }
    u.set_fragment(None);
    Some(u.to_string())
}

/// What an article offers to the checks.
#[derive(Debug, Clone, Default)]
pub struct Text<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub body_html: &'a str,
}

/// Every problem the gate shows for an article, except links (the caller adds those it resolves as
/// broken with [`broken_link`]).
pub fn check(dict: &Dictionary, t: &Text<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    if t.title.trim().is_empty() {
        out.push(Problem {
            kind: "empty_title",
            severity: Severity::Blocking,
            field: "title",
            message: "标题为空".into(),
            excerpt: String::new(),
            suggestion: String::new(),
        });
    }
    out.extend(wording_problems(dict, "title", t.title));
    if t.summary.trim().is_empty() {
        out.push(Problem {
            kind: "empty_summary",
            severity: Severity::Warning,
            field: "summary",
            message: "摘要为空：列表页和搜索结果将只显示标题".into(),
            excerpt: String::new(),
            suggestion: String::new(),
        });
    }
    out.extend(wording_problems(dict, "summary", t.summary));
    out.extend(wording_problems(dict, "body", &visible_text(t.body_html)));
    for (n, img) in elements(t.body_html).iter().filter(|e| e.tag == "img").enumerate() {
        let src = img.attr("src").unwrap_or("").to_owned();
        if img.attr("alt").is_none_or(|a| a.trim().is_empty()) {
            out.push(Problem {
                kind: "image_alt",
                severity: Severity::Warning,
                field: "body",
                message: format!("正文第 {} 张图片缺少替代文字（alt），读屏软件无法朗读", n + 1),
                excerpt: src.clone(),
                suggestion: String::new(),
            });
        }
        if img.attr("width").is_none() || img.attr("height").is_none() {
            out.push(Problem {
                kind: "image_size",
                severity: Severity::Warning,
                field: "body",
                message: format!("正文第 {} 张图片未标明宽度和高度，页面加载时版面会跳动", n + 1),
                excerpt: src,
                suggestion: String::new(),
            });
        }
    }
    out
}

/// The problem for a link the owner of its path found broken.
pub fn broken_link(link: &str, reason: &str) -> Problem {
    Problem {
        kind: "broken_link",
        severity: Severity::Blocking,
        field: "body",
        message: format!("正文中的链接无法打开：{reason}"),
        excerpt: link.to_owned(),
        suggestion: String::new(),
    }
}

// ---- the dictionary's storage ---------------------------------------------------------------------

pub async fn word_rules(db: &Db) -> DbResult<Vec<WordRule>> {
    db.fetch_all(sql("SELECT id, wrong, correct, severity, note FROM wording_rule ORDER BY wrong")).await
}

/// The dictionary as stored now.
pub async fn dictionary(db: &Db) -> DbResult<Dictionary> {
    Ok(Dictionary::new(word_rules(db).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, wrong: &str, correct: &str, serious: bool) -> WordRule {
        WordRule {
            id,
            wrong: wrong.into(),
            correct: correct.into(),
            severity: if serious { "serious" } else { "general" }.into(),
            note: String::new(),
        }
    }

    fn dict() -> Dictionary {
        Dictionary::new(vec![
            rule(1, "哈尔滨市人民政俯", "哈尔滨市人民政府", true),
            rule(2, "人民政", "人民政府", false),
            rule(3, "既使", "即使", false),
            rule(4, "", "空", false),
        ])
    }

    #[test]
    fn finds_wrong_wordings_and_not_their_correct_forms() {
        let d = dict();
        assert_eq!(d.rules().len(), 3, "an empty wording is dropped");
        let hits = d.find("哈尔滨市人民政俯发布通知，既使下雨也照常。人民政府网站。人民政");
        let names: Vec<&str> = hits.iter().map(|h| d.rule(h).wrong.as_str()).collect();
        assert_eq!(names, ["哈尔滨市人民政俯", "既使", "人民政"], "人民政府 is the correct form, not a hit");
        assert!(d.find("哈尔滨市人民政府").is_empty());
        assert!(Dictionary::new(Vec::new()).find("任何文字").is_empty());
    }

    #[test]
    fn wording_problems_carry_severity_excerpt_and_suggestion() {
        let d = dict();
        let p = wording_problems(&d, "body", "本市将由哈尔滨市人民政俯统一部署。");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].severity, Severity::Blocking);
        assert_eq!(p[0].suggestion, "哈尔滨市人民政府");
        assert!(p[0].excerpt.contains("【哈尔滨市人民政俯】"), "{}", p[0].excerpt);
        assert!(p[0].message.contains("应为“哈尔滨市人民政府”"), "{}", p[0].message);
        let g = wording_problems(&d, "title", "既使如此");
        assert_eq!(g[0].severity, Severity::Warning);
        assert!(g[0].message.starts_with("标题中"));
    }

    #[test]
    fn visible_text_joins_inline_tags_and_decodes_entities() {
        assert_eq!(visible_text("<p>人民<strong>政俯</strong> &amp; 市&nbsp;民</p>"), "人民政俯 & 市 民");
    }

    #[test]
    fn article_check_reports_title_summary_images() {
        let d = dict();
        let body = r#"<p>正文</p><img src="/files/inline/a.png"><img src="/b.png" alt="图" width="10" height="20"><img src='/c.png' alt="" width="1">"#;
        let p = check(&d, &Text { title: " ", summary: "", body_html: body });
        let kinds: Vec<(&str, Severity)> = p.iter().map(|x| (x.kind, x.severity)).collect();
        assert_eq!(
            kinds,
            [
                ("empty_title", Severity::Blocking),
                ("empty_summary", Severity::Warning),
                ("image_alt", Severity::Warning),
                ("image_size", Severity::Warning),
                ("image_alt", Severity::Warning),
                ("image_size", Severity::Warning),
            ]
        );
        assert!(p[4].message.contains("第 3 张"));
        assert!(check(&d, &Text { title: "通知", summary: "摘要", body_html: "<p>无图</p>" }).is_empty());
    }

    #[test]
    fn links_are_listed_once_and_internal_paths_resolved() {
        let html = r##"<a href="/a/12.html?x=1#top">文</a><a href="https://www.harbin.gov.cn/c/3/">栏</a><a href="#x">锚</a><img src="/files/inline/p.png" alt="p"><a href="/a/12.html?x=1#top">重复</a><a href="mailto:x@y.cn">信</a><a href="https://www.gov.cn/">国</a>"##;
        let l = links(html);
        assert_eq!(l.len(), 5);
        let hosts = ["www.harbin.gov.cn"];
        let internal: Vec<Option<String>> = l.iter().map(|x| internal_path(x, &hosts)).collect();
        assert_eq!(
            internal,
            [
                Some("/a/12.html".to_owned()),
                Some("/c/3/".to_owned()),
                Some("/files/inline/p.png".to_owned()),
                None,
                None
            ]
        );
        assert_eq!(internal_path("//cdn.example/x", &hosts), None);
    }

    #[test]
    fn elements_read_unquoted_and_single_quoted_attributes() {
        let e = elements("<IMG SRC=/x.png alt='说明' width=3>");
        assert_eq!(e[0].tag, "img");
        assert_eq!(e[0].attr("src"), Some("/x.png"));
        assert_eq!(e[0].attr("alt"), Some("说明"));
        assert_eq!(e[0].attr("height"), None);
    }
}

//! Query understanding: what a run of characters typed into the search box asks for. People type
//! 营业执照办理 or 科技计划申报 without spaces, abbreviate (公租房), use old department names
//! (工商局) and wrap the words in questions (怎么办理…). A term becomes [`Concept`]s — the words a
//! document must contain, each with the synonyms that may stand in for it — found by the longest
//! synonym entry first and jieba (with the government dictionary) for the rest. Pure: the
//! segmenter is passed in.

use std::collections::HashMap;

use crate::text;

/// Equivalence groups of terms (简称 ↔ 全称, 旧机构名 ↔ 新机构名, 俗称 ↔ 规范用语).
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    by_term: HashMap<String, Vec<usize>>,
    /// The longest entry in characters (bounds the longest-match scan).
    longest: usize,
}

/// The shipped list (`data/synonyms.txt`).
pub const SHIPPED: &str = include_str!("../data/synonyms.txt");

impl Synonyms {
    /// Groups from lines of whitespace-separated terms; `#` starts a comment line. Terms are
    /// normalised as the index normalises text; a line of one term is ignored.
    pub fn parse(lines: &str) -> Synonyms {
        let mut s = Synonyms::default();
        for line in lines.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            s.add_group(line.split_whitespace().map(text::normalize).collect());
        }
        s
    }

    /// The shipped list plus administrators' lines.
    pub fn with_extra(extra: &[String]) -> Synonyms {
        let mut s = Synonyms::parse(SHIPPED);
        for line in extra {
            s.add_group(line.split_whitespace().map(text::normalize).collect());
        }
        s
    }

    fn add_group(&mut self, mut terms: Vec<String>) {
        terms.retain(|t| !t.is_empty());
        terms.dedup();
        if terms.len() < 2 {
            return;
        }
        let id = self.groups.len();
        for t in &terms {
            self.longest = self.longest.max(t.chars().count());
            self.by_term.entry(t.clone()).or_default().push(id);
        }
        self.groups.push(terms);
    }

    /// The other terms that may stand in for `term` (in list order, without repeats).
    pub fn alternatives(&self, term: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for g in self.by_term.get(term).into_iter().flatten() {
            for t in &self.groups[*g] {
                if t != term && !out.contains(t) {
                    out.push(t.clone());
                }
            }
        }
        out
    }

    pub fn contains(&self, term: &str) -> bool {
        self.by_term.contains_key(term)
    }

    /// How many groups the list holds.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// What a word does in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The subject: 营业执照, 公租房, 科技计划.
    Core,
    /// What one wants done with it (办理, 申请, 流程): required like the subject, but a service
    /// item's name need not contain it to be the answer.
    Action,
}

/// One thing the query asks for: a document must contain `word` or one of its `alternatives`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    pub word: String,
    pub alternatives: Vec<String>,
    pub role: Role,
}

/// Words that frame a question and carry no subject; dropped from what must match.
const QUESTION_WORDS: &[&str] = &[
    "怎么",
    "怎样",
    "如何",
    "怎么样",
    "哪里",
    "在哪",
    "在哪里",
    "哪儿",
    "什么",
    "哪些",
    "是否",
    "可以",
    "能否",
    "需要",
    "我想",
    "我要",
    "想",
    "要",
    "请问",
    "咨询",
    "一下",
    "吗",
    "呢",
    "去",
];

/// Words that say what one wants done (see [`Role::Action`]).
const ACTION_WORDS: &[&str] =
    &["办理", "办", "申请", "申领", "申报", "流程", "指南", "手续", "材料", "条件", "查询", "办事", "需要什么", "网上"];

fn role_of(w: &str) -> Role {
    if ACTION_WORDS.contains(&w) { Role::Action } else { Role::Core }
}

/// The concepts of one unquoted term. `segment` cuts text into words (jieba with the government
/// dictionary). A term that is wholly question words stays one concept, so nothing typed is
/// silently ignored.
pub fn concepts(term: &str, segment: &dyn Fn(&str) -> Vec<String>, synonyms: &Synonyms) -> Vec<Concept> {
    let norm = text::normalize(term.trim());
    if norm.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<Concept> = Vec::new();
    let mut push = |word: String, out: &mut Vec<Concept>| {
        if out.iter().any(|c| c.word == word) {
            return;
        }
        let alternatives = synonyms.alternatives(&word);
        let role = role_of(&word);
        out.push(Concept { word, alternatives, role });
    };
    // Longest synonym entry first, left to right; the text between entries goes to the segmenter.
    let chars: Vec<char> = norm.chars().collect();
    let mut plain = String::new();
    let mut i = 0;
    let flush = |plain: &mut String, out: &mut Vec<Concept>, push: &mut dyn FnMut(String, &mut Vec<Concept>)| {
        if plain.is_empty() {
            return;
        }
        for w in segment(plain) {
            let w = w.trim().to_owned();
            if w.is_empty() || !w.chars().any(char::is_alphanumeric) || text::is_stopword(&w) {
                continue;
            }
            if QUESTION_WORDS.contains(&w.as_str()) {
                continue;
            }
            push(w, out);
        }
        plain.clear();
    };
    while i < chars.len() {
        let max = synonyms.longest.min(chars.len() - i);
        let hit = (2..=max).rev().find(|n| synonyms.contains(&chars[i..i + n].iter().collect::<String>()));
        match hit {
            Some(n) => {
                flush(&mut plain, &mut out, &mut push);
                push(chars[i..i + n].iter().collect(), &mut out);
                i += n;
            }
            None => {
                plain.push(chars[i]);
                i += 1;
            }
        }
    }
    flush(&mut plain, &mut out, &mut push);
    if out.is_empty() {
        out.push(Concept { word: norm, alternatives: Vec::new(), role: Role::Core });
    }
    out
}

/// The concepts again with every long word (three characters or more, no synonyms) cut into the
/// smaller words `pieces` knows (jieba's search mode: 结婚登记 → 结婚 + 登记), for when the whole
/// word occurs nowhere; `None` when no word could be cut.
pub fn finer(concepts: &[Concept], pieces: &dyn Fn(&str) -> Vec<String>) -> Option<Vec<Concept>> {
    let mut out: Vec<Concept> = Vec::new();
    let mut changed = false;
    for c in concepts {
        let chars: Vec<char> = c.word.chars().collect();
        if chars.len() < 3 || !c.alternatives.is_empty() {
            out.push(c.clone());
            continue;
        }
        let known: Vec<String> =
            pieces(&c.word).into_iter().filter(|p| p.chars().count() >= 2 && *p != c.word).collect();
        // Longest known piece at each position; a character no piece covers stands alone.
        let mut i = 0;
        let mut cut: Vec<String> = Vec::new();
        while i < chars.len() {
            let rest: String = chars[i..].iter().collect();
            let best = known.iter().filter(|p| rest.starts_with(p.as_str())).max_by_key(|p| p.chars().count());
            match best {
                Some(p) => {
                    i += p.chars().count();
                    cut.push(p.clone());
                }
                None => {
                    cut.push(chars[i].to_string());
                    i += 1;
                }
            }
        }
        if cut.len() > 1 && cut.iter().any(|p| p.chars().count() >= 2) {
            changed = true;
            for w in cut {
                if !out.iter().any(|o| o.word == w) {
                    let role = role_of(&w);
                    out.push(Concept { word: w, alternatives: Vec::new(), role });
                }
            }
        } else {
            out.push(c.clone());
        }
    }
    changed.then_some(out)
}

/// How many of `n` concepts a relaxed search asks for: all but one, and at least one.
pub fn relaxed_minimum(n: usize) -> usize {
    n.saturating_sub(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in segmenter with a fixed vocabulary, longest match first (jieba's own behaviour
    /// is tested on the real index).
    fn seg(vocab: &'static [&'static str]) -> impl Fn(&str) -> Vec<String> {
        move |s: &str| {
            let chars: Vec<char> = s.chars().collect();
            let mut out = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                let n = (1..=chars.len() - i)
                    .rev()
                    .find(|n| vocab.contains(&chars[i..i + n].iter().collect::<String>().as_str()))
                    .unwrap_or(1);
                out.push(chars[i..i + n].iter().collect());
                i += n;
            }
            out
        }
    }

    fn words(c: &[Concept]) -> Vec<&str> {
        c.iter().map(|c| c.word.as_str()).collect()
    }

    #[test]
    fn synonyms_are_symmetric_groups() {
        let s = Synonyms::parse("# 注释\n公租房 公共租赁住房\n工商局 市场监督管理局 市场监管局\n单独\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s.alternatives("公租房"), vec!["公共租赁住房"]);
        assert_eq!(s.alternatives("公共租赁住房"), vec!["公租房"]);
        assert_eq!(s.alternatives("市场监管局"), vec!["工商局", "市场监督管理局"]);
        assert!(s.alternatives("单独").is_empty());
        // Full-width and traditional forms normalise like indexed text.
        let s = Synonyms::parse("ＡＢ 甲乙");
        assert_eq!(s.alternatives("ab"), vec!["甲乙"]);
    }

    #[test]
    fn the_shipped_list_parses_and_bridges_the_issue_examples() {
        let s = Synonyms::with_extra(&["社区卫生站 社区卫生服务站".into()]);
        assert!(s.len() > 50, "{}", s.len());
        for (a, b) in
            [("公租房", "公共租赁住房"), ("双创", "大众创业万众创新"), ("公积金", "住房公积金"), ("放管服", "简政放权")]
        {
            assert!(s.alternatives(a).contains(&b.to_owned()), "{a} → {b}");
        }
        assert_eq!(s.alternatives("社区卫生站"), vec!["社区卫生服务站"]);
    }

    #[test]
    fn a_run_of_characters_becomes_its_words() {
        let s = Synonyms::default();
        let v = seg(&["营业执照", "办理", "科技", "计划", "申报", "怎么"]);
        let c = concepts("营业执照办理", &v, &s);
        assert_eq!(words(&c), vec!["营业执照", "办理"]);
        assert_eq!(c[0].role, Role::Core);
        assert_eq!(c[1].role, Role::Action);
        assert_eq!(words(&concepts("科技计划申报", &v, &s)), vec!["科技", "计划", "申报"]);
        // Question words and punctuation frame the question; they are not required.
        assert_eq!(words(&concepts("怎么办理营业执照？", &v, &s)), vec!["办理", "营业执照"]);
        // A repeated word is one concept.
        assert_eq!(words(&concepts("科技科技", &v, &s)), vec!["科技"]);
    }

    #[test]
    fn synonym_entries_win_over_the_segmenter() {
        let s = Synonyms::parse("公租房 公共租赁住房\n工商局 市场监督管理局");
        // The segmenter would cut 公租 / 房; the list knows the whole word.
        let v = seg(&["公租", "申请", "电话"]);
        let c = concepts("公租房申请", &v, &s);
        assert_eq!(words(&c), vec!["公租房", "申请"]);
        assert_eq!(c[0].alternatives, vec!["公共租赁住房"]);
        let c = concepts("工商局电话", &v, &s);
        assert_eq!(words(&c), vec!["工商局", "电话"]);
        assert_eq!(c[0].alternatives, vec!["市场监督管理局"]);
    }

    #[test]
    fn nothing_typed_is_silently_dropped() {
        let v = seg(&["怎么"]);
        let c = concepts("怎么", &v, &Synonyms::default());
        assert_eq!(words(&c), vec!["怎么"]);
        assert!(concepts("  ", &v, &Synonyms::default()).is_empty());
    }

    #[test]
    fn a_long_word_found_nowhere_is_cut_into_its_pieces() {
        let pieces = |w: &str| -> Vec<String> {
            match w {
                "结婚登记" => vec!["结婚".into(), "登记".into(), "结婚登记".into()],
                "网上办事指南" => vec!["网上".into(), "办事".into(), "指南".into(), "办事指南".into()],
                _ => vec![w.to_owned()],
            }
        };
        let c = |w: &str| Concept { word: w.into(), alternatives: Vec::new(), role: Role::Core };
        let out = finer(&[c("结婚登记")], &pieces).unwrap();
        assert_eq!(words(&out), vec!["结婚", "登记"]);
        // The longest piece at each position.
        assert_eq!(words(&finer(&[c("网上办事指南")], &pieces).unwrap()), vec!["网上", "办事指南"]);
        // Short words, words with synonyms and words with no pieces stay.
        assert!(finer(&[c("科技"), c("未知词语")], &pieces).is_none());
        let with_alt = Concept { alternatives: vec!["公共租赁住房".into()], ..c("公租房") };
        assert!(finer(&[with_alt], &pieces).is_none());
    }

    #[test]
    fn relaxed_search_asks_for_all_but_one() {
        assert_eq!([1, 2, 3, 5].map(relaxed_minimum), [1, 1, 2, 4]);
    }
}

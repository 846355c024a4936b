//! Parsing what a visitor types into the search box: words (all must match), "quoted phrases"
//! (exact), and -excluded words. Full-width quotes and minus signs count too. Pure.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub terms: Vec<String>,
    pub phrases: Vec<String>,
    pub excluded: Vec<String>,
}

pub fn parse(q: &str) -> ParsedQuery {
    let q = q.replace(['“', '”', '＂'], "\"").replace('－', "-").replace('\u{3000}', " ");
    let mut out = ParsedQuery::default();
    let mut rest = q.as_str();
    while !rest.trim().is_empty() {
        rest = rest.trim_start();
        let negative = rest.starts_with('-') && rest.len() > 1;
        if negative {
            rest = &rest[1..];
        }
        let (item, next) = if let Some(stripped) = rest.strip_prefix('"') {
            match stripped.find('"') {
                Some(end) => (&stripped[..end], &stripped[end + 1..]),
                None => (stripped, ""),
            }
        } else {
            match rest.find(char::is_whitespace) {
                Some(end) => (&rest[..end], &rest[end..]),
                None => (rest, ""),
            }
        };
        let quoted = rest.starts_with('"');
        let item = item.trim();
        if !item.is_empty() {
            if negative {
                out.excluded.push(item.to_owned());
            } else if quoted {
                out.phrases.push(item.to_owned());
            } else {
                out.terms.push(item.to_owned());
            }
        }
        rest = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_exclusions() {
        let p = parse(r#"营商环境 "一网通办" -通知 政策"#);
        assert_eq!(p.terms, vec!["营商环境", "政策"]);
        assert_eq!(p.phrases, vec!["一网通办"]);
        assert_eq!(p.excluded, vec!["通知"]);
        let p = parse("“放管服”　－公示");
        assert_eq!(p.phrases, vec!["放管服"]);
        assert_eq!(p.excluded, vec!["公示"]);
        assert_eq!(parse("  ").terms.len(), 0);
        assert_eq!(parse("\"未闭合").phrases, vec!["未闭合"]);
        assert_eq!(parse("-").terms, vec!["-"]);
    }
}

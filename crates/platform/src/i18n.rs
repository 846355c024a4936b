//! UI text in two locales. Chinese is the source language: templates and code write the Chinese
//! text, and `locales/en.json` maps it to English (gettext style), so a missing translation shows
//! Chinese rather than a key.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    /// From a `lang` cookie/query value or an Accept-Language header; Chinese unless English is asked.
    pub fn pick(explicit: Option<&str>, accept_language: Option<&str>) -> Lang {
        match explicit {
            Some(v) if v.starts_with("en") => return Lang::En,
            Some(v) if v.starts_with("zh") => return Lang::Zh,
            _ => {}
        }
        match accept_language {
            Some(h) if h.trim_start().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| serde_json::from_str(include_str!("../locales/en.json")).unwrap_or_default());

/// Translates Chinese source text; `{0}`, `{1}` … are replaced by `args`.
pub fn t(lang: Lang, text: &str, args: &[&str]) -> String {
    let base = match lang {
        Lang::Zh => text,
        Lang::En => EN.get(text).map(String::as_str).unwrap_or(text),
    };
    let mut out = base.to_owned();
    for (i, a) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_falls_back_to_chinese() {
        assert_eq!(t(Lang::En, "登录", &[]), "Sign in");
        assert_eq!(t(Lang::En, "没有翻译的句子", &[]), "没有翻译的句子");
        assert_eq!(t(Lang::Zh, "第{0}页", &["3"]), "第3页");
        assert_eq!(Lang::pick(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::pick(Some("zh-CN"), Some("en-US")), Lang::Zh);
    }
}

//! Text handling for Chinese government text: normalisation (full-width to half-width, traditional
//! to simplified, lower case), the jieba word tokenizer with the government dictionary, the
//! character unigram+bigram tokenizer, and document-number canonicalisation.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The shipped government dictionary: terms jieba's general dictionary splits wrongly.
pub const GOV_DICT: &str = include_str!("../data/gov_dict.txt");

static T2S: LazyLock<Option<ferrous_opencc::OpenCC>> =
    LazyLock::new(|| ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::T2s).ok());

/// Chinese characters that traditional-to-simplified conversion changes, as a bitmap over
/// U+3400..U+FAFF. Most government text is simplified throughout, and the conversion (a
/// dictionary match at every character) is a tenth of indexing time, so it only runs on text
/// that contains at least one of these characters.
static TRADITIONAL: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut bits = vec![0u64; (0xFB00 - 0x3400) / 64 + 1];
    if let Some(t2s) = T2S.as_ref() {
        for cp in 0x3400u32..0xFB00 {
            if let Some(c) = char::from_u32(cp) {
                let s = c.to_string();
                if t2s.convert(&s) != s {
                    let i = (cp - 0x3400) as usize;
                    bits[i / 64] |= 1 << (i % 64);
                }
            }
        }
    }
    bits
});

fn is_traditional(c: char) -> bool {
    let cp = c as u32;
    (0x3400..0xFB00).contains(&cp) && {
        let i = (cp - 0x3400) as usize;
        TRADITIONAL[i / 64] & (1 << (i % 64)) != 0
    }
}

/// Normalises text for indexing and querying alike: full-width ASCII and the ideographic space to
/// half-width, traditional characters to simplified, ASCII lower case.
pub fn normalize(text: &str) -> String {
    let half: String = text
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    match T2S.as_ref() {
        Some(t2s) if half.chars().any(is_traditional) => t2s.convert(&half),
        _ => half,
    }
}

/// A document number (文号) in canonical form: normalised, with every bracket style and all
/// spaces removed, so 国办发〔2017〕47号, 国办发[2017]47号 and 国办发（2017）47号 are one key.
pub fn canonical_doc_number(s: &str) -> String {
    normalize(s)
        .chars()
        .filter(|c| {
            !matches!(c, '〔' | '〕' | '[' | ']' | '(' | ')' | '（' | '）' | '【' | '】' | '［' | '］')
                && !c.is_whitespace()
        })
        .collect()
}

/// Whether a query looks like a document or index number (so it is also matched exactly).
pub fn looks_like_doc_number(q: &str) -> bool {
    let has_digit = q.chars().any(|c| c.is_ascii_digit() || ('\u{FF10}'..='\u{FF19}').contains(&c));
    let has_marker = q.contains('号')
        || q.contains('〔')
        || q.contains('[')
        || q.contains('(')
        || q.contains('（')
        || q.contains('/');
    has_digit && has_marker
}

/// Builds the jieba instance: the general dictionary plus the government terms and any words
/// administrators added.
pub fn build_jieba(extra_words: &[String]) -> Jieba {
    let mut j = Jieba::new();
    for w in GOV_DICT.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        j.add_word(w, None, None);
    }
    for w in extra_words {
        let w = normalize(w.trim());
        if !w.is_empty() {
            j.add_word(&w, None, None);
        }
    }
    j
}

pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Function words that carry no meaning in a query. They are dropped from the word field only:
/// the character field keeps them, so a quoted phrase still matches exactly.
pub const STOPWORDS: [&str; 24] = [
    "的", "了", "和", "与", "及", "或", "等", "在", "是", "对", "把", "被", "为", "之", "其", "以", "于", "而", "并",
    "就", "也", "都", "这", "那",
];

pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// A stream over tokens computed up front (both tokenizers produce small vectors per field).
pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

/// Words by jieba (search mode: long words also yield their dictionary sub-words). The jieba
/// instance is shared: tantivy clones tokenizers freely, and cloning a dictionary each time would
/// be ruinous.
#[derive(Clone)]
pub struct WordTokenizer {
    pub jieba: Arc<Jieba>,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = self
            .jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| t.word.chars().any(|c| c.is_alphanumeric()) && !is_stopword(t.word))
            .map(|t| {
                let from = t.word.as_ptr() as usize - text.as_ptr() as usize;
                Token {
                    offset_from: from,
                    offset_to: from + t.word.len(),
                    position: t.start,
                    text: t.word.to_owned(),
                    position_length: 1,
                }
            })
            .collect();
        VecTokenStream { tokens, index: 0 }
    }
}

/// Each adjacent pair of Chinese characters as a bigram at the first character's position, and a
/// Chinese character that starts no pair (the last of a run, or one standing alone) as a unigram;
/// ASCII letter/digit runs as one token. Consecutive bigram positions make a phrase query of
/// bigrams an exact substring match, whatever jieba thinks the words are; punctuation keeps its
/// position, so bracket styles of document numbers do not matter. Unigrams inside runs are left
/// out because every such character already begins a bigram: a one-character query matches by
/// prefix (see `substring_query` in the crate root), and the index holds half the tokens.
#[derive(Clone, Default)]
pub struct GramTokenizer;

/// The gram tokens of a text, streamed without allocating per token (indexing spends most of
/// its time here and in the postings writer).
pub struct GramStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    position: usize,
    token: Token,
}

impl<'a> GramStream<'a> {
    pub fn new(text: &'a str) -> Self {
        GramStream { text, chars: text.char_indices().peekable(), position: 0, token: Token::default() }
    }
}

impl TokenStream for GramStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some((off, c)) = self.chars.next() {
            let pos = self.position;
            self.position += 1;
            let t = &mut self.token;
            if is_cjk(c) {
                t.text.clear();
                t.text.push(c);
                t.offset_from = off;
                t.offset_to = off + c.len_utf8();
                t.position = pos;
                t.position_length = 1;
                if let Some(&(off2, c2)) = self.chars.peek()
                    && is_cjk(c2)
                {
                    t.text.push(c2);
                    t.offset_to = off2 + c2.len_utf8();
                }
                return true;
            }
            if c.is_alphanumeric() {
                let mut end = off + c.len_utf8();
                while let Some(&(o, n)) = self.chars.peek() {
                    if !n.is_alphanumeric() || is_cjk(n) {
                        break;
                    }
                    end = o + n.len_utf8();
                    self.chars.next();
                    self.position += 1;
                }
                t.text.clear();
                t.text.extend(self.text[off..end].chars().flat_map(char::to_lowercase));
                t.offset_from = off;
                t.offset_to = end;
                t.position = pos;
                t.position_length = 1;
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// All gram tokens of a text (queries and tests; indexing streams them).
pub fn gram_tokens(text: &str) -> Vec<Token> {
    let mut s = GramStream::new(text);
    let mut out = Vec::new();
    while s.advance() {
        out.push(s.token.clone());
    }
    out
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = GramStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramStream<'a> {
        GramStream::new(text)
    }
}

/// Toneless pinyin of a text (for "did you mean" by sound).
pub fn pinyin_key(text: &str) -> String {
    use pinyin::ToPinyin;
    text.chars()
        .map(|c| match c.to_pinyin() {
            Some(p) => p.plain().to_owned(),
            None => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_width_script_and_case() {
        assert_eq!(normalize("政府資訊公開"), "政府资讯公开");
        assert_eq!(normalize("ＡＢＣ２０２６　年"), "abc2026 年");
        assert_eq!(canonical_doc_number("国办发〔2017〕47号"), "国办发201747号");
        assert_eq!(canonical_doc_number("国办发[2017]47号"), canonical_doc_number("國辦發（2017）47號"));
        assert!(looks_like_doc_number("国办发[2017]47号"));
        assert!(!looks_like_doc_number("营商环境"));
    }

    #[test]
    fn grams_keep_positions_across_punctuation() {
        let t: Vec<(String, usize)> = gram_tokens("发〔2017〕47号").into_iter().map(|t| (t.text, t.position)).collect();
        assert_eq!(t, vec![("发".into(), 0), ("2017".into(), 2), ("47".into(), 7), ("号".into(), 9)]);
        let t: Vec<String> = gram_tokens("营商环境").into_iter().map(|t| t.text).collect();
        assert_eq!(t, vec!["营商", "商环", "环境", "境"]);
        let t: Vec<(String, usize)> = gram_tokens("税，A税收").into_iter().map(|t| (t.text, t.position)).collect();
        assert_eq!(t, vec![("税".into(), 0), ("a".into(), 2), ("税收".into(), 3), ("收".into(), 4)]);
    }

    #[test]
    fn government_terms_are_words() {
        let j = build_jieba(&["接诉即办".to_owned()]);
        for term in ["一网通办", "放管服", "营商环境", "最多跑一次", "好差评", "接诉即办"] {
            let sentence = format!("深化{term}改革");
            let words: Vec<&str> = j.cut(&sentence, true).into_iter().map(|t| t.word).collect();
            assert!(words.contains(&term), "{term}: {words:?}");
        }
        assert_eq!(pinyin_key("营商"), "yingshang");
        let mut w = WordTokenizer { jieba: Arc::new(j) };
        let mut stream = w.token_stream("政府的工作和服务");
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        assert!(
            !words.contains(&"的".to_owned())
                && !words.contains(&"和".to_owned())
                && words.contains(&"政府".to_owned()),
            "{words:?}"
        );
    }
}

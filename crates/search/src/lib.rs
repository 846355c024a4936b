//! 站内检索 — one Chinese full-text index for the whole site group.
//!
//! Each text field is indexed twice: by jieba words (with a government dictionary; the ranking
//! signal) and by character bigrams, with a unigram where no bigram starts (exact substring and
//! phrase matching, and recall for words no dictionary knows). Document and index numbers also get exact canonical keys, so any
//! bracket style finds them. Text is normalised (full/half width, traditional→simplified) on both
//! sides, so a 繁體 query finds 简体 text.
//!
//! The document schema is shared by every subsystem: articles now; service items, published
//! letters and disclosure documents later (`kind`). Feature crates own what goes in; this crate
//! owns how it is stored and found. Writes are committed atomically by tantivy (a crash loses at
//! most uncommitted work, which the owner's reconciliation re-adds); a rebuild writes a new index
//! directory and switches to it by renaming a pointer file, so searches continue meanwhile.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub mod query;
pub mod text;
pub mod understand;

pub use query::{ParsedQuery, parse};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("搜索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("搜索索引目录出错：{0}")]
    Io(#[from] std::io::Error),
    #[error("索引已由其他进程写入（只读）")]
    ReadOnly,
}

pub type Result<T> = std::result::Result<T, SearchError>;

/// What every subsystem puts in the index.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SearchDoc {
    /// Unique key, `kind:id` (e.g. `article:42`).
    pub key: String,
    /// `article`, `service`, `letter`, `disclosure`.
    pub kind: String,
    pub id: u64,
    /// Sites where the document appears (an article placed on two sites is found on both).
    pub sites: Vec<u64>,
    pub channels: Vec<u64>,
    pub dept: Option<u64>,
    /// Publication time, Unix seconds.
    pub date: i64,
    /// `valid`, `modified`, `repealed`, `expired`.
    pub validity: String,
    pub title: String,
    pub summary: String,
    /// Plain text of the body (and of attachments where extracted).
    pub body: String,
    pub doc_number: String,
    pub index_number: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    Date,
}

/// A search request after the caller parsed its parameters.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub title_only: bool,
    pub site: Option<u64>,
    pub channel: Option<u64>,
    pub kind: Option<String>,
    pub dept: Option<u64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub validity: Option<String>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub key: String,
    pub kind: String,
    pub id: u64,
    pub sites: Vec<u64>,
    pub date: i64,
    pub validity: String,
    pub doc_number: String,
    /// Title with `<mark>` around matches; everything else HTML-escaped.
    pub title_html: String,
    pub snippet_html: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Nothing held every word of the query: these results hold all but one of them.
    pub relaxed: bool,
    /// Synonyms searched as well as what was typed (已同时搜索：公共租赁住房).
    pub expanded: Vec<String>,
}

/// How far a search lets go of the query's words when nothing holds them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relax {
    /// Every concept required.
    None,
    /// The subjects required, what one wants done (办理, 申请) only ranks.
    Actions,
    /// All words but one (subjects and actions alike).
    AllButOne,
}

/// The document kind of service items (网上办事), whose names are the catalogue's best bets.
pub const SERVICE_KIND: &str = "service";

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    site: Field,
    channel: Field,
    dept: Field,
    date: Field,
    validity: Field,
    title: Field,
    title_gram: Field,
    body: Field,
    /// Title, body and document number together: the one field every query term must match, so
    /// a term costs one posting list rather than a union over fields.
    all_gram: Field,
    summary: Field,
    doc_no: Field,
    doc_no_raw: Field,
    index_no: Field,
}

const WORDS: &str = "zh_words";
const GRAMS: &str = "zh_grams";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = |stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(WORDS).set_index_option(IndexRecordOption::WithFreqs),
        );
        if stored { o.set_stored() } else { o }
    };
    let grams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(GRAMS).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let f = Fields {
        key: b.add_text_field("key", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        site: b.add_u64_field("site", INDEXED | STORED),
        channel: b.add_u64_field("channel", INDEXED),
        dept: b.add_u64_field("dept", INDEXED),
        date: b.add_i64_field("date", INDEXED | STORED | FAST),
        validity: b.add_text_field("validity", STRING | STORED),
        title: b.add_text_field("title", words(true)),
        title_gram: b.add_text_field("title_gram", grams.clone()),
        body: b.add_text_field("body", words(true)),
        all_gram: b.add_text_field("all_gram", grams),
        summary: b.add_text_field("summary", STORED),
        doc_no: b.add_text_field("doc_no", STRING),
        doc_no_raw: b.add_text_field("doc_no_raw", STORED),
        index_no: b.add_text_field("index_no", STRING),
    };
    (b.build(), f)
}

struct Open {
    reader: IndexReader,
    writer: Option<Mutex<IndexWriter>>,
    dir: PathBuf,
}

/// The site group's search index.
pub struct SearchIndex {
    root: PathBuf,
    fields: Fields,
    jieba: RwLock<Arc<jieba_rs::Jieba>>,
    open: RwLock<Arc<Open>>,
    /// Dictionary words for "did you mean", with their toneless pinyin.
    vocabulary: Vec<(String, String)>,
    /// The shipped synonym list plus administrators' groups.
    synonyms: RwLock<Arc<understand::Synonyms>>,
    last_reopen: Mutex<std::time::Instant>,
    /// Where each module's document kind leads and how results name it (articles are the
    /// portal's own and link within their site).
    kinds: RwLock<Vec<KindLink>>,
}

/// A module's document kind in the results: the label shown where an article shows its site, and
/// the page a hit opens (`url_prefix` followed by the document's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindLink {
    pub kind: &'static str,
    pub label: &'static str,
    pub url_prefix: &'static str,
}

/// Index bodies are capped: the first part of a very long document carries its meaning, and the
/// cap bounds index size and snippet work.
const BODY_CHARS: usize = 20_000;
/// Writer memory: small for the live index (a few documents per commit), larger for a rebuild,
/// where fewer, bigger segments mean much less merging.
const WRITER_HEAP: usize = 64 << 20;
const REBUILD_HEAP: usize = 384 << 20;

fn active_file(root: &Path) -> PathBuf {
    root.join("ACTIVE")
}

fn fresh_index_name() -> String {
    format!(
        "index-{}",
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
    )
}

/// Makes `name` the active index directory: the pointer file is replaced by a rename, so a crash
/// leaves either the old or the new pointer.
fn point_active(root: &Path, name: &str) -> std::io::Result<()> {
    let tmp = root.join("ACTIVE.tmp");
    std::fs::write(&tmp, name)?;
    std::fs::rename(&tmp, active_file(root))
}

fn current_dir(root: &Path) -> PathBuf {
    let name = std::fs::read_to_string(active_file(root))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && !s.contains('/'));
    root.join(name.unwrap_or_else(|| "index-0".to_owned()))
}

impl SearchIndex {
    /// Opens (or creates) the index under `root`. `extra_words` are administrators' dictionary
    /// additions. If another process holds the writer lock, the index opens read-only.
    pub fn open(root: &Path, extra_words: &[String]) -> Result<SearchIndex> {
        std::fs::create_dir_all(root)?;
        let jieba = Arc::new(text::build_jieba(extra_words));
        let (_, fields) = schema();
        let open = match Self::open_dir(&current_dir(root), &jieba, WRITER_HEAP) {
            // An index written by a version with another schema: start an empty one beside it.
            // The owners' start-up reconciliation finds every document missing and re-adds it.
            Err(SearchError::Index(tantivy::TantivyError::SchemaError(e))) => {
                tracing::warn!(error = %e, "搜索索引结构已变更，新建索引并由启动核对重新写入");
                let name = fresh_index_name();
                let open = Self::open_dir(&root.join(&name), &jieba, WRITER_HEAP)?;
                point_active(root, &name)?;
                open
            }
            other => other?,
        };
        let vocabulary = text::GOV_DICT
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .chain(extra_words.iter().cloned())
            .map(|w| {
                let p = text::pinyin_key(&w);
                (w, p)
            })
            .collect();
        Ok(SearchIndex {
            root: root.to_path_buf(),
            fields,
            jieba: RwLock::new(jieba),
            open: RwLock::new(Arc::new(open)),
            vocabulary,
            synonyms: RwLock::new(Arc::new(understand::Synonyms::with_extra(&[]))),
            last_reopen: Mutex::new(std::time::Instant::now()),
            kinds: RwLock::new(Vec::new()),
        })
    }

    /// Registers a module's document kind (done once at start by the module that indexes it).
    pub fn register_kind(&self, link: KindLink) {
        if let Ok(mut k) = self.kinds.write()
            && !k.iter().any(|x| x.kind == link.kind)
        {
            k.push(link);
        }
    }

    /// Where a hit of `kind` leads, when a module registered it.
    pub fn kind_link(&self, kind: &str) -> Option<KindLink> {
        self.kinds.read().ok()?.iter().find(|k| k.kind == kind).cloned()
    }

    fn open_dir(dir: &Path, jieba: &Arc<jieba_rs::Jieba>, heap: usize) -> Result<Open> {
        std::fs::create_dir_all(dir)?;
        let (schema, _) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| tantivy::TantivyError::SystemError(e.to_string()))?;
        let index = Index::open_or_create(mmap, schema)?;
        index.tokenizers().register(WORDS, TextAnalyzer::from(text::WordTokenizer { jieba: jieba.clone() }));
        index.tokenizers().register(GRAMS, TextAnalyzer::from(text::GramTokenizer));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = match index.writer(heap) {
            Ok(w) => Some(Mutex::new(w)),
            Err(tantivy::TantivyError::LockFailure(..)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Open { reader, writer, dir: dir.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn jieba(&self) -> Arc<jieba_rs::Jieba> {
        self.jieba.read().map(|g| g.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Replaces the administrators' extra words. Documents must then be re-analysed: call
    /// [`SearchIndex::start_rebuild`]; until it finishes the old index keeps serving.
    pub fn set_words(&self, extra_words: &[String]) {
        if let Ok(mut g) = self.jieba.write() {
            *g = Arc::new(text::build_jieba(extra_words));
        }
    }

    /// Replaces the administrators' synonym groups (one group per line); applies to the next
    /// query, nothing is re-indexed.
    pub fn set_synonyms(&self, extra: &[String]) {
        if let Ok(mut g) = self.synonyms.write() {
            *g = Arc::new(understand::Synonyms::with_extra(extra));
        }
    }

    fn synonyms(&self) -> Arc<understand::Synonyms> {
        self.synonyms.read().map(|g| g.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    fn current(&self) -> Arc<Open> {
        self.open.read().map(|g| g.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn is_writable(&self) -> bool {
        self.current().writer.is_some()
    }

    fn to_doc(&self, d: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, &d.key);
        doc.add_text(f.kind, &d.kind);
        doc.add_u64(f.id, d.id);
        for s in &d.sites {
            doc.add_u64(f.site, *s);
        }
        for c in &d.channels {
            doc.add_u64(f.channel, *c);
        }
        if let Some(dep) = d.dept {
            doc.add_u64(f.dept, dep);
        }
        doc.add_i64(f.date, d.date);
        doc.add_text(f.validity, &d.validity);
        let title = text::normalize(&d.title);
        let body = text::normalize(&d.body.chars().take(BODY_CHARS).collect::<String>());
        doc.add_text(f.title, &title);
        doc.add_text(f.title_gram, &title);
        doc.add_text(f.body, &body);
        doc.add_text(f.all_gram, &title);
        doc.add_text(f.all_gram, &body);
        doc.add_text(f.summary, &d.summary);
        if !d.doc_number.is_empty() {
            doc.add_text(f.doc_no, text::canonical_doc_number(&d.doc_number));
            doc.add_text(f.doc_no_raw, &d.doc_number);
            // The number is also searchable as text (partial numbers, years).
            let number = text::normalize(&d.doc_number);
            doc.add_text(f.title_gram, &number);
            doc.add_text(f.all_gram, &number);
        }
        if !d.index_number.is_empty() {
            doc.add_text(f.index_no, text::canonical_doc_number(&d.index_number));
        }
        doc
    }

    /// Adds or replaces documents and deletes keys, then commits and refreshes readers, so the
    /// change is searchable when this returns.
    pub fn apply(&self, upserts: &[SearchDoc], deletes: &[String]) -> Result<()> {
        let open = self.current();
        let Some(w) = &open.writer else { return Err(SearchError::ReadOnly) };
        {
            let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
            for key in deletes.iter().chain(upserts.iter().map(|d| &d.key)) {
                w.delete_term(Term::from_field_text(self.fields.key, key));
            }
            for d in upserts {
                w.add_document(self.to_doc(d))?;
            }
            w.commit()?;
        }
        open.reader.reload()?;
        Ok(())
    }

    /// Reloads the reader (for read-only nodes sharing a directory), follows a rebuilt index, and
    /// regains the writer once another process (a `zhengwu reindex`) has released it.
    pub fn refresh(&self) -> Result<()> {
        let want = current_dir(&self.root);
        let cur = self.current();
        let retry_writer = cur.writer.is_none()
            && self
                .last_reopen
                .lock()
                .map(|mut t| {
                    let due = t.elapsed() >= std::time::Duration::from_secs(5);
                    if due {
                        *t = std::time::Instant::now();
                    }
                    due
                })
                .unwrap_or(false);
        if want != cur.dir || retry_writer {
            let open = Self::open_dir(&want, &self.jieba(), WRITER_HEAP)?;
            if let Ok(mut g) = self.open.write() {
                *g = Arc::new(open);
            }
        }
        self.current().reader.reload()?;
        Ok(())
    }

    /// Number of documents of a kind.
    pub fn count_kind(&self, kind: &str) -> Result<usize> {
        let searcher = self.current().reader.searcher();
        Ok(searcher
            .search(&TermQuery::new(Term::from_field_text(self.fields.kind, kind), IndexRecordOption::Basic), &Count)?)
    }

    /// Ids of all documents of a kind (for reconciling with the database).
    pub fn ids_of_kind(&self, kind: &str) -> Result<Vec<u64>> {
        let searcher = self.current().reader.searcher();
        let mut out = Vec::new();
        let mut k = String::new();
        for seg in searcher.segment_readers() {
            let ids = seg.fast_fields().u64("id")?;
            let kinds = seg.fast_fields().str("kind")?;
            let alive = seg.alive_bitset();
            for doc in 0..seg.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                k.clear();
                if let Some(col) = &kinds {
                    for ord in col.term_ords(doc) {
                        let _ = col.ord_to_str(ord, &mut k);
                    }
                }
                if k == kind
                    && let Some(id) = ids.first(doc)
                {
                    out.push(id);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Runs a search. Every concept of the query must match (a word, or a synonym standing in for
    /// it); when that finds nothing and the query has several, the search is run again asking for
    /// all but one ([`Results::relaxed`]).
    pub fn search(&self, req: &SearchRequest) -> Result<Results> {
        let parsed = query::parse(&req.q);
        let jieba = self.jieba();
        let segment = |s: &str| -> Vec<String> { jieba.cut(s, true).into_iter().map(|t| t.word.to_owned()).collect() };
        let synonyms = self.synonyms();
        let understood: Vec<(String, Vec<understand::Concept>)> =
            parsed.terms.iter().map(|t| (t.clone(), understand::concepts(t, &segment, &synonyms))).collect();
        let mut first = self.search_with(req, &parsed, &understood, Relax::None)?;
        // A word that occurs nowhere as a whole (结婚登记) is tried as its pieces (结婚 + 登记).
        let mut understood = understood;
        if first.total == 0 {
            // Words of the government dictionary (一网通办) are units on purpose: never cut.
            let pieces = |s: &str| -> Vec<String> {
                if self.vocabulary.iter().any(|(w, _)| w == s) {
                    return Vec::new();
                }
                jieba.cut_for_search(s, true).into_iter().map(|t| t.word.to_owned()).collect()
            };
            let cut: Vec<(String, Vec<understand::Concept>)> = understood
                .iter()
                .map(|(t, c)| (t.clone(), understand::finer(c, &pieces).unwrap_or_else(|| c.clone())))
                .collect();
            // Kept only when it finds something: more, smaller words make relaxing harder.
            if cut != understood {
                let r = self.search_with(req, &parsed, &cut, Relax::None)?;
                if r.total > 0 {
                    (understood, first) = (cut, r);
                }
            }
        }
        let all: Vec<&understand::Concept> = understood.iter().flat_map(|(_, c)| c).collect();
        let cores = all.iter().filter(|c| c.role == understand::Role::Core).count();
        if first.total > 0 || all.len() < 2 {
            return Ok(first);
        }
        // First let go of what one wants done (申请 of 怎么申请公租房), then of one subject.
        let mut steps = Vec::new();
        if cores > 0 && cores < all.len() {
            steps.push(Relax::Actions);
        }
        steps.push(Relax::AllButOne);
        for step in steps {
            let mut r = self.search_with(req, &parsed, &understood, step)?;
            if r.total > 0 {
                r.relaxed = true;
                return Ok(r);
            }
        }
        Ok(first)
    }

    /// The text part of a query: concepts required (or, `relaxed`, all but one of them), phrases
    /// exact, exclusions out; the whole term as typed, title matches and proper words rank
    /// higher. Returns the query and the synonyms it searched as well.
    fn text_query(
        &self,
        req: &SearchRequest,
        parsed: &query::ParsedQuery,
        understood: &[(String, Vec<understand::Concept>)],
        relax: Relax,
    ) -> (Box<dyn Query>, Vec<String>) {
        let f = self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut expanded: Vec<String> = Vec::new();
        // Where a term must occur, and the word fields that rank proper words above mere
        // substrings (科技局 the bureau over 科技 局长).
        let (required_field, word_fields): (Field, &[(Field, f32)]) = if req.title_only {
            (f.title_gram, &[(f.title, 2.0)])
        } else {
            (f.all_gram, &[(f.title, 6.0), (f.body, 2.0)])
        };
        let boost =
            |q: Box<dyn Query>, b: f32| -> (Occur, Box<dyn Query>) { (Occur::Should, Box::new(BoostQuery::new(q, b))) };
        let mut required: Vec<(understand::Role, Box<dyn Query>)> = Vec::new();
        for (term, concepts) in understood {
            // The term exactly as typed ranks first (the words next to each other, in this order).
            if concepts.len() > 1 {
                if let Some(q) = substring_query(required_field, term) {
                    must.push(boost(q, 3.0));
                }
                if let Some(q) = substring_query(f.title_gram, term) {
                    must.push(boost(q, 4.0));
                }
            }
            for c in concepts {
                let forms: Vec<&str> =
                    std::iter::once(c.word.as_str()).chain(c.alternatives.iter().map(String::as_str)).collect();
                for alt in &c.alternatives {
                    if !expanded.contains(alt) {
                        expanded.push(alt.clone());
                    }
                }
                let any_of = |field: Field| -> Option<Box<dyn Query>> {
                    let qs: Vec<(Occur, Box<dyn Query>)> =
                        forms.iter().filter_map(|w| substring_query(field, w)).map(|q| (Occur::Should, q)).collect();
                    match qs.len() {
                        0 => None,
                        1 => qs.into_iter().next().map(|(_, q)| q),
                        _ => Some(Box::new(BooleanQuery::new(qs))),
                    }
                };
                let Some(req_q) = any_of(required_field) else { continue };
                required.push((c.role, req_q));
                if !req.title_only
                    && let Some(q) = any_of(f.title_gram)
                {
                    must.push(boost(q, 2.0));
                }
                let words_any: Vec<(Occur, Box<dyn Query>)> = word_fields
                    .iter()
                    .flat_map(|(field, b)| {
                        forms.iter().filter_map(move |w| self.word_query(*field, w).map(|q| (q, *b)))
                    })
                    .map(|(q, b)| boost(q, b))
                    .collect();
                if !words_any.is_empty() {
                    must.push((Occur::Should, Box::new(BooleanQuery::new(words_any))));
                }
            }
        }
        // A query of action words only (网上办事指南 cut as 网上 + 办事指南) has no subject to keep:
        // its words are relaxed like subjects.
        let has_core = required.iter().any(|(role, _)| *role == understand::Role::Core);
        let (actions, cores): (Vec<_>, Vec<_>) = required
            .into_iter()
            .partition(|(role, _)| *role == understand::Role::Action && relax == Relax::Actions && has_core);
        // Let-go actions still rank what holds them higher.
        must.extend(actions.into_iter().map(|(_, q)| (Occur::Should, q)));
        if relax == Relax::AllButOne && cores.len() > 1 {
            let n = understand::relaxed_minimum(cores.len());
            let clauses = cores.into_iter().map(|(_, q)| (Occur::Should, q)).collect();
            must.push((Occur::Must, Box::new(BooleanQuery::with_minimum_required_clauses(clauses, n))));
        } else {
            must.extend(cores.into_iter().map(|(_, q)| (Occur::Must, q)));
        }
        // "Quoted phrases" stay exact and required, relaxed or not.
        for phrase in &parsed.phrases {
            let Some(q) = substring_query(required_field, phrase) else { continue };
            must.push((Occur::Must, q));
            if !req.title_only
                && let Some(q) = substring_query(f.title_gram, phrase)
            {
                must.push(boost(q, 2.0));
            }
        }
        for term in &parsed.excluded {
            if let Some(q) = substring_query(required_field, term) {
                must.push((Occur::MustNot, q));
            }
        }
        let mut text_query: Box<dyn Query> = if must.iter().any(|(o, _)| *o == Occur::Must) {
            Box::new(BooleanQuery::new(must))
        } else {
            Box::new(EmptyQuery)
        };
        // Document and index numbers: an exact match is the best answer, in any bracket style.
        if text::looks_like_doc_number(&req.q) {
            let key = text::canonical_doc_number(&req.q);
            let exact: Vec<(Occur, Box<dyn Query>)> = vec![
                boost(Box::new(TermQuery::new(Term::from_field_text(f.doc_no, &key), IndexRecordOption::Basic)), 20.0),
                boost(
                    Box::new(TermQuery::new(Term::from_field_text(f.index_no, &key), IndexRecordOption::Basic)),
                    20.0,
                ),
                (Occur::Should, text_query),
            ];
            text_query = Box::new(BooleanQuery::new(exact));
        }
        (text_query, expanded)
    }

    /// A service item whose name holds every subject of the query (营业执照 of 营业执照办理) is
    /// the answer people want: the catalogue's own best bet, above any article.
    fn service_best_bet(&self, understood: &[(String, Vec<understand::Concept>)]) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let cores: Vec<&understand::Concept> =
            understood.iter().flat_map(|(_, c)| c).filter(|c| c.role == understand::Role::Core).collect();
        if cores.is_empty() {
            return None;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(TermQuery::new(Term::from_field_text(f.kind, SERVICE_KIND), IndexRecordOption::Basic)),
        )];
        for c in cores {
            let forms: Vec<(Occur, Box<dyn Query>)> = std::iter::once(&c.word)
                .chain(&c.alternatives)
                .filter_map(|w| substring_query(f.title_gram, w))
                .map(|q| (Occur::Should, q))
                .collect();
            if forms.is_empty() {
                return None;
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(forms))));
        }
        Some(Box::new(BoostQuery::new(Box::new(BooleanQuery::new(clauses)), 25.0)))
    }

    fn search_with(
        &self,
        req: &SearchRequest,
        parsed: &query::ParsedQuery,
        understood: &[(String, Vec<understand::Concept>)],
        relax: Relax,
    ) -> Result<Results> {
        let open = self.current();
        let searcher = open.reader.searcher();
        let f = self.fields;
        let (text_query, expanded) = self.text_query(req, parsed, understood, relax);
        // The service item a query names matches even without the action word (营业执照办理 finds
        // 营业执照遗失补领、换发), and ranks first.
        let bet = (req.sort == Sort::Relevance
            && req.kind.as_deref().is_none_or(|k| k.is_empty() || k == SERVICE_KIND))
        .then(|| self.service_best_bet(understood))
        .flatten();
        let matching: Box<dyn Query> = match bet {
            Some(bet) => {
                Box::new(BooleanQuery::new(vec![(Occur::Should, text_query.box_clone()), (Occur::Should, bet)]))
            }
            None => text_query.box_clone(),
        };
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, matching)];
        if let Some(s) = req.site {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_u64(f.site, s), IndexRecordOption::Basic)),
            ));
        }
        if let Some(c) = req.channel {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_u64(f.channel, c), IndexRecordOption::Basic)),
            ));
        }
        if let Some(d) = req.dept {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_u64(f.dept, d), IndexRecordOption::Basic)),
            ));
        }
        if let Some(k) = req.kind.as_deref().filter(|k| !k.is_empty()) {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(f.kind, k), IndexRecordOption::Basic)),
            ));
        }
        if let Some(v) = req.validity.as_deref().filter(|v| !v.is_empty()) {
            all.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_text(f.validity, v), IndexRecordOption::Basic)),
            ));
        }
        if req.from.is_some() || req.to.is_some() {
            let lo = req.from.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_i64(f.date, v)));
            let hi = req.to.map_or(Bound::Unbounded, |v| Bound::Excluded(Term::from_field_i64(f.date, v)));
            all.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
        }
        let full = BooleanQuery::new(all);
        let limit = req.limit.clamp(1, 100);
        let (addrs, total): (Vec<(f32, DocAddress)>, usize) = match req.sort {
            Sort::Date => {
                let (top, total) = searcher.search(
                    &full,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(req.offset)
                            .order_by_fast_field::<i64>("date", tantivy::Order::Desc),
                        Count,
                    ),
                )?;
                (top.into_iter().map(|(_, a)| (0.0, a)).collect(), total)
            }
            Sort::Relevance => {
                // Rescore a window of the best BM25 matches by recency: newer documents of the
                // same relevance come first. Beyond the window, plain BM25 order.
                const WINDOW: usize = 200;
                let want = req.offset + limit;
                let fetch = want.max(WINDOW);
                let (top, total) = searcher.search(&full, &(TopDocs::with_limit(fetch).order_by_score(), Count))?;
                let mut scored: Vec<(f32, DocAddress)> = Vec::with_capacity(top.len());
                let newest = self.now_hint();
                // One date column per segment, opened once (opening decodes its header).
                let dates: Vec<Option<tantivy::columnar::Column<i64>>> =
                    searcher.segment_readers().iter().map(|r| r.fast_fields().i64("date").ok()).collect();
                for (i, (score, addr)) in top.into_iter().enumerate() {
                    if i < WINDOW {
                        let date = dates
                            .get(addr.segment_ord as usize)
                            .and_then(|c| c.as_ref())
                            .and_then(|c| c.first(addr.doc_id))
                            .unwrap_or(0);
                        let age_days = ((newest - date).max(0) as f32) / 86_400.0;
                        scored.push((score * (1.0 + 0.5 * (-age_days / 365.0).exp()), addr));
                    } else {
                        scored.push((score, addr));
                    }
                }
                let window = WINDOW.min(scored.len());
                scored[..window].sort_by(|a, b| b.0.total_cmp(&a.0));
                (scored.into_iter().skip(req.offset).take(limit).collect(), total)
            }
        };
        let title_gen = snippet_gen(&searcher, &*text_query, f.title_gram, 200);
        let body_gen = snippet_gen(&searcher, &*text_query, f.all_gram, 160);
        let mut hits = Vec::with_capacity(addrs.len());
        for (score, addr) in addrs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let s = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let title = s(f.title);
            let body = s(f.body);
            let title_html = title_gen.as_ref().map_or_else(|| escape(&title), |g| highlight(g, &title, 200));
            let mut snippet_html = body_gen.as_ref().map(|g| highlight(g, &body, 160)).unwrap_or_default();
            if snippet_html.is_empty() {
                snippet_html = escape(&s(f.summary).chars().take(120).collect::<String>());
            }
            hits.push(Hit {
                key: s(f.key),
                kind: s(f.kind),
                id: doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0),
                sites: doc.get_all(f.site).filter_map(|v| v.as_u64()).collect(),
                date: doc.get_first(f.date).and_then(|v| v.as_i64()).unwrap_or(0),
                validity: s(f.validity),
                doc_number: s(f.doc_no_raw),
                title_html,
                snippet_html,
                score,
            });
        }
        Ok(Results { total, hits, relaxed: false, expanded })
    }

    /// "Now" for the recency boost.
    fn now_hint(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }

    /// Word-field query: all jieba words of the term (precise mode) must be present.
    fn word_query(&self, field: Field, term: &str) -> Option<Box<dyn Query>> {
        let norm = text::normalize(term);
        let jieba = self.jieba();
        let words: Vec<&str> = jieba
            .cut(&norm, true)
            .into_iter()
            .map(|t| t.word)
            .filter(|w| w.chars().any(char::is_alphanumeric) && !text::is_stopword(w))
            .collect();
        if words.is_empty() {
            return None;
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| {
                (
                    Occur::Must,
                    Box::new(TermQuery::new(Term::from_field_text(field, w), IndexRecordOption::WithFreqs))
                        as Box<dyn Query>,
                )
            })
            .collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// "Did you mean": dictionary words with the same sound, or one character away.
    pub fn suggest(&self, q: &str) -> Option<String> {
        self.suggest_among(q, &[])
    }

    /// "Did you mean" from the dictionary and from `known` — queries that found something before
    /// (the query log's successful queries): the same sound first, then one character away.
    pub fn suggest_among(&self, q: &str, known: &[String]) -> Option<String> {
        let norm = text::normalize(q.trim());
        if norm.is_empty() {
            return None;
        }
        let logged: Vec<(String, String)> = known
            .iter()
            .map(|k| text::normalize(k.trim()))
            .filter(|k| !k.is_empty() && *k != norm)
            .map(|k| {
                let p = text::pinyin_key(&k);
                (k, p)
            })
            .collect();
        let candidates = || self.vocabulary.iter().chain(logged.iter());
        let key = text::pinyin_key(&norm);
        if let Some((w, _)) = candidates().find(|(w, p)| *p == key && *w != norm) {
            return Some(w.clone());
        }
        let chars: Vec<char> = norm.chars().collect();
        candidates()
            .find(|(w, _)| {
                let wc: Vec<char> = w.chars().collect();
                wc.len() == chars.len() && wc.iter().zip(&chars).filter(|(a, b)| a != b).count() == 1
            })
            .map(|(w, _)| w.clone())
    }

    /// Starts a rebuild into a new directory; the current index keeps serving until
    /// [`Rebuild::finish`] switches to the new one.
    pub fn start_rebuild(&self) -> Result<Rebuild<'_>> {
        let name = fresh_index_name();
        let fresh = Self::open_dir(&self.root.join(&name), &self.jieba(), REBUILD_HEAP)?;
        if fresh.writer.is_none() {
            return Err(SearchError::ReadOnly);
        }
        Ok(Rebuild { idx: self, name, fresh, count: 0 })
    }

    /// Rebuilds from documents produced synchronously (tests, small corpora).
    pub fn rebuild(
        &self,
        fill: impl FnOnce(&mut dyn FnMut(Vec<SearchDoc>) -> Result<()>) -> Result<()>,
    ) -> Result<usize> {
        let mut r = self.start_rebuild()?;
        fill(&mut |docs| r.add(&docs))?;
        r.finish()
    }
}

/// A rebuild in progress (see [`SearchIndex::start_rebuild`]).
pub struct Rebuild<'a> {
    idx: &'a SearchIndex,
    name: String,
    fresh: Open,
    count: usize,
}

impl Rebuild<'_> {
    pub fn add(&mut self, docs: &[SearchDoc]) -> Result<()> {
        let Some(w) = &self.fresh.writer else { return Err(SearchError::ReadOnly) };
        let w = w.lock().unwrap_or_else(|p| p.into_inner());
        for d in docs {
            w.add_document(self.idx.to_doc(d))?;
        }
        self.count += docs.len();
        Ok(())
    }

    /// Commits the new index and switches to it atomically (the pointer file is replaced by a
    /// rename); older index directories are then removed.
    pub fn finish(self) -> Result<usize> {
        if let Some(w) = &self.fresh.writer {
            w.lock().unwrap_or_else(|p| p.into_inner()).commit()?;
        }
        self.fresh.reader.reload()?;
        let root = &self.idx.root;
        point_active(root, &self.name)?;
        let count = self.count;
        let name = self.name.clone();
        {
            let mut g = self.idx.open.write().unwrap_or_else(|p| p.into_inner());
            *g = Arc::new(self.fresh);
        }
        for e in std::fs::read_dir(root)?.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("index-") && n != name {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        Ok(count)
    }
}

/// A query on the gram field that matches exactly where `term` occurs as a substring of the
/// field's normalised text: a phrase of the term's bigrams. A Chinese character at the end of the
/// term that no bigram of the term covers may be followed by anything in the document, so it
/// matches as a prefix (its unigram, or any bigram it starts).
fn substring_query(field: Field, term: &str) -> Option<Box<dyn Query>> {
    let norm = text::normalize(term);
    let mut terms: Vec<(usize, Term)> = Vec::new();
    let mut prefix = false;
    let tokens = text::gram_tokens(&norm);
    let mut prev_end = None;
    for t in tokens {
        let is_last_char = t.offset_to == norm.len();
        let lone_cjk = t.text.chars().count() == 1 && t.text.chars().all(text::is_cjk);
        if lone_cjk && is_last_char {
            // Covered by the bigram before it when that bigram ends here.
            if prev_end == Some(t.offset_to) {
                continue;
            }
            prefix = true;
        }
        prev_end = Some(t.offset_to);
        terms.push((t.position, Term::from_field_text(field, &t.text)));
    }
    if terms.is_empty() {
        return None;
    }
    let base = terms[0].0;
    let terms: Vec<(usize, Term)> = terms.into_iter().map(|(p, t)| (p - base, t)).collect();
    match (terms.len(), prefix) {
        (1, false) => Some(Box::new(TermQuery::new(terms[0].1.clone(), IndexRecordOption::WithFreqs))),
        (1, true) => {
            let c = terms[0].1.value().as_str().and_then(|s| s.chars().next())?;
            let next = char::from_u32(c as u32 + 1)?;
            Some(Box::new(RangeQuery::new(
                Bound::Included(terms[0].1.clone()),
                Bound::Excluded(Term::from_field_text(field, &next.to_string())),
            )))
        }
        (_, false) => Some(Box::new(PhraseQuery::new_with_offset(terms))),
        (_, true) => {
            let mut q = PhrasePrefixQuery::new_with_offset(terms);
            // Every character can start a few thousand bigrams.
            q.set_max_expansions(10_000);
            Some(Box::new(q))
        }
    }
}

fn snippet_gen(searcher: &tantivy::Searcher, q: &dyn Query, field: Field, chars: usize) -> Option<SnippetGenerator> {
    let mut g = SnippetGenerator::create(searcher, q, field).ok()?;
    g.set_max_num_chars(chars);
    Some(g)
}

fn highlight(g: &SnippetGenerator, text: &str, max: usize) -> String {
    let mut s = g.snippet(text);
    s.set_snippet_prefix_postfix("<mark>", "</mark>");
    let html = s.to_html();
    if html.is_empty() { escape(&text.chars().take(max).collect::<String>()) } else { html }
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests;

/// Keeps the index in step with one kind of document on this node: every `every`, calls `step`
/// from the last watermark for as long as it returns a new one (each call applies one batch of
/// changes and says how far it got); when the index has lost the kind (it was rebuilt), starts
/// again from the beginning. Letters, listings and courseware follow their tables this way.
pub fn follow<S, F>(idx: std::sync::Arc<SearchIndex>, kind: &'static str, every: std::time::Duration, step: S)
where
    S: Fn(std::sync::Arc<SearchIndex>, (i64, i64)) -> F + Send + 'static,
    F: std::future::Future<Output = Option<(i64, i64)>> + Send,
{
    tokio::spawn(async move {
        let mut mark = (i64::MIN, 0i64);
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if !idx.is_writable() {
                continue;
            }
            if mark.0 != i64::MIN && idx.count_kind(kind).unwrap_or(0) == 0 {
                mark = (i64::MIN, 0);
            }
            while let Some(next) = step(idx.clone(), mark).await {
                mark = next;
            }
        }
    });
}

//! Behaviour a visitor notices, on a real index in a temporary directory.

use super::*;

fn doc(id: u64, title: &str, body: &str, date: i64) -> SearchDoc {
    SearchDoc {
        key: format!("article:{id}"),
        kind: "article".into(),
        id,
        sites: vec![1],
        channels: vec![10],
        dept: Some(5),
        date,
        validity: "valid".into(),
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        doc_number: String::new(),
        index_number: String::new(),
    }
}

fn ids(r: &Results) -> Vec<u64> {
    r.hits.iter().map(|h| h.id).collect()
}

fn req(q: &str) -> SearchRequest {
    SearchRequest { q: q.into(), limit: 10, ..Default::default() }
}

const DAY: i64 = 86_400;
const T: i64 = 1_780_000_000;

fn fixture() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let idx = SearchIndex::open(dir.path(), &[]).unwrap();
    let mut policy = doc(
        3,
        "国务院办公厅关于印发政府网站发展指引的通知",
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：现将《政府网站发展指引》印发给你们。",
        T - 400 * DAY,
    );
    policy.doc_number = "国办发〔2017〕47号".into();
    policy.validity = "valid".into();
    let mut old =
        doc(6, "哈尔滨市优化营商环境若干措施（2019年版）", "持续优化营商环境，推进放管服改革。", T - 900 * DAY);
    old.validity = "repealed".into();
    old.sites = vec![2];
    idx.apply(
        &[
            doc(1, "市科技局召开科技项目申报工作会议", "会议部署了年度科技项目网上申报工作。", T - 30 * DAY),
            doc(2, "科技局长座谈会在道里区召开", "与会企业代表就科技成果转化交流意见。", T - DAY),
            policy,
            doc(4, "推进一网通办 优化营商环境", "全面推行一网通办，营商环境持续改善。", T - 10 * DAY),
            doc(5, "营商服务中心完善办事环境", "中心改善了办事大厅环境。", T - 5 * DAY),
            old,
        ],
        &[],
    )
    .unwrap();
    (dir, idx)
}

#[test]
fn a_word_ranks_above_the_same_characters_across_a_word_boundary() {
    let (_d, idx) = fixture();
    let r = idx.search(&req("科技局")).unwrap();
    // "科技局长" contains the characters, but the bureau document has the word and ranks first,
    // although the other document is newer.
    assert_eq!(ids(&r).first(), Some(&1), "{:?}", r.hits);
}

#[test]
fn document_numbers_match_in_any_bracket_style() {
    let (_d, idx) = fixture();
    for q in ["国办发〔2017〕47号", "国办发[2017]47号", "国办发(2017)47号", "国办发（2017）47号", "國辦發[2017]47號"]
    {
        let r = idx.search(&req(q)).unwrap();
        assert_eq!(ids(&r).first(), Some(&3), "{q}: {:?}", r.hits);
        assert_eq!(r.hits[0].doc_number, "国办发〔2017〕47号");
    }
}

#[test]
fn traditional_queries_find_simplified_text() {
    let (_d, idx) = fixture();
    let r = idx.search(&req("政府網站發展指引")).unwrap();
    assert_eq!(ids(&r), vec![3]);
    assert!(r.hits[0].title_html.contains("<mark>"), "{}", r.hits[0].title_html);
}

#[test]
fn words_phrases_exclusions_and_title_only() {
    let (_d, idx) = fixture();
    // Words: both must occur, anywhere.
    let mut r = ids(&idx.search(&req("营商 环境")).unwrap());
    r.sort();
    assert_eq!(r, vec![4, 5, 6]);
    // Phrase: adjacent only.
    let mut r = ids(&idx.search(&req("\"营商环境\"")).unwrap());
    r.sort();
    assert_eq!(r, vec![4, 6]);
    // Exclusion.
    assert_eq!(ids(&idx.search(&req("营商环境 -一网通办")).unwrap()), vec![6]);
    // Title only: 成果转化 is only in a body.
    assert_eq!(ids(&idx.search(&SearchRequest { title_only: true, ..req("成果转化") }).unwrap()), Vec::<u64>::new());
    assert_eq!(ids(&idx.search(&req("成果转化")).unwrap()), vec![2]);
    // A single character.
    assert!(ids(&idx.search(&req("税")).unwrap()).is_empty());
    assert!(ids(&idx.search(&req("会")).unwrap()).contains(&1));
}

#[test]
fn filters_combine() {
    let (_d, idx) = fixture();
    let base = req("营商环境");
    assert_eq!(ids(&idx.search(&SearchRequest { site: Some(2), ..base.clone() }).unwrap()), vec![6]);
    assert_eq!(ids(&idx.search(&SearchRequest { validity: Some("valid".into()), ..base.clone() }).unwrap()), vec![4]);
    let recent = SearchRequest { from: Some(T - 100 * DAY), to: Some(T), ..base.clone() };
    assert_eq!(ids(&idx.search(&recent).unwrap()), vec![4]);
    let none = SearchRequest { from: Some(T - 100 * DAY), site: Some(2), ..base.clone() };
    assert!(ids(&idx.search(&none).unwrap()).is_empty());
    let by_date =
        idx.search(&SearchRequest { q: "环境".into(), sort: Sort::Date, limit: 10, ..Default::default() }).unwrap();
    assert_eq!(ids(&by_date), vec![5, 4, 6]);
    assert_eq!(by_date.total, 3);
    let page2 = idx
        .search(&SearchRequest { q: "环境".into(), sort: Sort::Date, limit: 1, offset: 1, ..Default::default() })
        .unwrap();
    assert_eq!((ids(&page2), page2.total), (vec![4], 3));
}

#[test]
fn withdrawn_documents_disappear_and_updates_replace() {
    let (_d, idx) = fixture();
    idx.apply(&[], &["article:4".into()]).unwrap();
    assert_eq!(ids(&idx.search(&req("一网通办")).unwrap()), Vec::<u64>::new());
    idx.apply(&[doc(1, "市科技局发布高新技术企业认定通知", "认定工作启动。", T)], &[]).unwrap();
    let r = idx.search(&req("申报工作会议")).unwrap();
    assert!(r.relaxed || !ids(&r).contains(&1), "old text is gone");
    assert_eq!(ids(&idx.search(&req("高新技术企业")).unwrap()), vec![1]);
    assert_eq!(idx.count_kind("article").unwrap(), 5);
    let all = idx.ids_of_kind("article").unwrap();
    assert!(all.contains(&1) && !all.contains(&4));
}

#[test]
fn did_you_mean_by_sound_and_by_one_character() {
    let (_d, idx) = fixture();
    assert_eq!(idx.suggest("营商环竟").as_deref(), Some("营商环境"));
    assert_eq!(idx.suggest("放管福").as_deref(), Some("放管服"));
    assert_eq!(idx.suggest("一网同办").as_deref(), Some("一网通办"));
    assert_eq!(idx.suggest("营商环境"), None);
}

#[test]
fn rebuild_swaps_atomically_and_survives_reopen() {
    let (d, idx) = fixture();
    let n = idx
        .rebuild(|add| {
            add(vec![doc(9, "重建后的索引中只有这一篇", "正文", T)])?;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(ids(&idx.search(&req("重建")).unwrap()), vec![9]);
    assert!(ids(&idx.search(&req("科技局")).unwrap()).is_empty());
    drop(idx);
    let again = SearchIndex::open(d.path(), &[]).unwrap();
    assert_eq!(ids(&again.search(&req("重建")).unwrap()), vec![9]);
}

#[test]
fn single_characters_and_trailing_characters_match_anywhere_in_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SearchIndex::open(dir.path(), &[]).unwrap();
    idx.apply(
        &[
            doc(1, "个人所得税汇算清缴", "税务部门提醒纳税人按时申报。", T),
            doc(2, "5G基站建设进展", "全市新建5G基站一千座。", T),
            doc(3, "农业补贴发放", "补贴资金已经到位。", T),
        ],
        &[],
    )
    .unwrap();
    // One character inside a run (个人所得税 has no unigram 税 in the index) and at its end.
    assert_eq!(ids(&idx.search(&req("税")).unwrap()), vec![1]);
    assert_eq!(ids(&idx.search(&req("得")).unwrap()), vec![1]);
    // A term whose last character follows a non-Chinese token.
    assert_eq!(ids(&idx.search(&req("5G基")).unwrap()), vec![2]);
    // The prefix does not leak across positions: nothing holds both, so only the relaxed
    // search (all words but one) answers, and says so.
    let r = idx.search(&req("5G补")).unwrap();
    assert!(r.relaxed && !r.hits.is_empty(), "{r:?}");
    assert_eq!(idx.search(&req("\"到位\"")).unwrap().total, 1);
}

#[test]
fn an_index_with_an_older_schema_is_replaced_by_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("index-0");
    std::fs::create_dir_all(&old).unwrap();
    let mut b = Schema::builder();
    b.add_text_field("body_gram", STRING);
    Index::create_in_dir(&old, b.build()).unwrap();
    let idx = SearchIndex::open(dir.path(), &[]).unwrap();
    assert!(idx.is_writable());
    assert_eq!(idx.count_kind("article").unwrap(), 0);
    idx.apply(&[doc(1, "营商环境", "优化营商环境", T)], &[]).unwrap();
    drop(idx);
    let idx = SearchIndex::open(dir.path(), &[]).unwrap();
    assert_eq!(idx.count_kind("article").unwrap(), 1, "the new index stays active after a restart");
}

fn service(id: u64, title: &str, body: &str) -> SearchDoc {
    SearchDoc { key: format!("service:{id}"), kind: SERVICE_KIND.into(), ..doc(id, title, body, T - 400 * 86_400) }
}

/// The round-2 complaints: queries typed as one run of characters, abbreviations, words in
/// another order, zero results, and a query that names a service.
#[test]
fn natural_queries_find_what_the_text_says_in_other_words() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SearchIndex::open(dir.path(), &[]).unwrap();
    idx.apply(
        &[
            doc(1, "市应急管理局部署安全生产专项检查", "各区县开展安全生产专项检查，排查隐患。", T),
            doc(2, "关于组织申报2026年度科技计划项目的通知", "科技计划项目申报工作即日启动。", T),
            doc(3, "公共租赁住房保障对象资格审核结果公示", "符合条件的家庭纳入公共租赁住房保障。", T),
            doc(4, "推进大众创业万众创新工作要点", "深入推进大众创业万众创新。", T),
            doc(5, "企业开办全程网办指南", "企业开办时间压缩至一个工作日，营业执照当日领取。", T),
            doc(6, "生产车间安全培训", "车间组织员工学习操作规程。", T),
            service(
                7,
                "营业执照补领、换发",
                "营业执照遗失或者损坏的，向登记机关申请补领。办理流程：申请、受理、审核、发证。",
            ),
        ],
        &[],
    )
    .unwrap();
    // A word between, or the words in another order.
    assert_eq!(ids(&idx.search(&req("安全生产检查")).unwrap()), vec![1]);
    assert_eq!(ids(&idx.search(&req("科技计划申报")).unwrap()), vec![2]);
    assert_eq!(ids(&idx.search(&req("检查安全生产")).unwrap()), vec![1]);
    // Abbreviations reach the official terms, and the page can say what was searched as well.
    let r = idx.search(&req("公租房")).unwrap();
    assert_eq!(ids(&r), vec![3]);
    assert_eq!(r.expanded, vec!["公共租赁住房"]);
    assert_eq!(ids(&idx.search(&req("双创")).unwrap()), vec![4]);
    // A question around the words.
    assert_eq!(ids(&idx.search(&req("怎么申请公租房")).unwrap()), vec![3]);
    // A query that names a service puts the service item first, above the article that
    // mentions it.
    let r = idx.search(&req("营业执照办理")).unwrap();
    assert_eq!(ids(&r).first(), Some(&7), "{r:?}");
    // Nothing holds every word: results with all but one, said to be so.
    let r = idx.search(&req("安全生产专项检查车间")).unwrap();
    assert!(r.relaxed && ids(&r).contains(&1), "{r:?}");
    // "Quoted" stays exact: no relaxing of a phrase.
    assert_eq!(idx.search(&req("\"安全生产检查\"")).unwrap().total, 0);
    // Administrators' synonym groups apply at once.
    let before = idx.search(&req("应管局检查")).unwrap();
    assert!(before.total == 0 || before.relaxed, "{before:?}");
    idx.set_synonyms(&["应管局 应急管理局".into()]);
    let after = idx.search(&req("应管局检查")).unwrap();
    assert_eq!((ids(&after), after.relaxed), (vec![1], false));
}

#[test]
fn did_you_mean_also_draws_on_queries_that_found_something() {
    let dir = tempfile::tempdir().unwrap();
    let idx = SearchIndex::open(dir.path(), &[]).unwrap();
    // Not a dictionary word: only the query log knows it.
    assert_eq!(idx.suggest("人才绿卡申领"), None);
    let logged = vec!["人才绿卡申请".to_owned(), "人才绿卡申领".to_owned()];
    assert_eq!(idx.suggest_among("人才绿卡申领", &logged).as_deref(), Some("人才绿卡申请"));
    // Same sound first: 营商环境 (dictionary) for 赢商环境.
    assert_eq!(idx.suggest_among("赢商环境", &logged).as_deref(), Some("营商环境"));
}

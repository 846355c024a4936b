//! The searchable text of uploaded documents: a DOCX file's paragraphs (the text runs of
//! `word/document.xml`), an OFD file's text (GB/T 33190: the `TextCode` elements of each page's
//! `Content.xml`, pages in order) and a PDF file's text (through each font's ToUnicode map, which
//! is how Chinese CID fonts carry their characters). Other types give no text.
//! Extraction never fails an upload: unreadable files simply add nothing.

use std::io::Read;

/// At most this much text per attachment is kept (the index caps bodies anyway).
const MAX_CHARS: usize = 100_000;
/// A document XML larger than this is not read (a zip bomb guard).
const MAX_XML_BYTES: u64 = 20 << 20;
/// A PDF larger than this is not parsed (its text would pass the cap long before its end, and
/// parsing holds the whole object graph in memory).
const MAX_PDF_BYTES: usize = 64 << 20;

/// The searchable text of an attachment, or an empty string.
pub fn text_of(mime: &str, bytes: &[u8]) -> String {
    let text = match mime {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => docx(bytes),
        "application/ofd" => ofd(bytes),
        "application/pdf" => pdf(bytes),
        _ => None,
    };
    text.map(|t| t.chars().take(MAX_CHARS).collect()).unwrap_or_default()
}

fn docx(bytes: &[u8]) -> Option<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let entry = zip.by_name("word/document.xml").ok()?;
    let mut xml = String::new();
    entry.take(MAX_XML_BYTES).read_to_string(&mut xml).ok()?;
    Some(word_xml_text(&xml))
}

/// A PDF's text. The parser may panic on a malformed file; that is caught (the file then gives no
/// text), since one broken upload must not take the request with it. Runs of blank lines the
/// layout leaves are squeezed.
fn pdf(bytes: &[u8]) -> Option<String> {
    if bytes.len() > MAX_PDF_BYTES {
        return None;
    }
    let text = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes).ok()).ok()??;
    let mut out = String::with_capacity(text.len());
    for line in text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()) {
        out.push_str(line.trim_start());
        out.push('\n');
    }
    Some(out)
}

fn ofd(bytes: &[u8]) -> Option<String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    // Pages in their order: Page_0, Page_1 … Page_10 (numerically, not as strings).
    let mut pages: Vec<(u32, u32, String)> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| n.ends_with("/Content.xml") && n.contains("/Pages/Page_"))
        .filter_map(|n| {
            let num = |key: &str| -> Option<u32> {
                let at = n.find(key)? + key.len();
                n[at..].split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
            };
            Some((num("Doc_").unwrap_or(0), num("Page_")?, n.clone()))
        })
        .collect();
    pages.sort();
    let mut out = String::new();
    for (_, _, name) in pages {
        let mut xml = String::new();
        zip.by_name(&name).ok()?.take(MAX_XML_BYTES).read_to_string(&mut xml).ok()?;
        out.push_str(&ofd_page_text(&xml));
        if out.len() > MAX_CHARS * 4 {
            break;
        }
    }
    Some(out)
}

/// The text of one OFD page: each `TextCode` element's content; a line break where a text
/// object ends.
pub fn ofd_page_text(xml: &str) -> String {
    tagged_text(
        xml,
        |name| local(name) == "TextCode",
        |name, closing| (closing && local(name) == "TextObject").then_some('\n'),
    )
}

/// Text inside `<w:t>` elements, a line break at each paragraph end and `<w:br/>`, a tab for
/// `<w:tab/>`; entities decoded.
pub fn word_xml_text(xml: &str) -> String {
    tagged_text(
        xml,
        |name| name == "w:t",
        |name, closing| match (name, closing) {
            ("w:tab", false) => Some('\t'),
            ("w:br" | "w:cr", false) | ("w:p", true) => Some('\n'),
            _ => None,
        },
    )
}

/// An element's name without its namespace prefix.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The text of an XML document's text elements (`is_text`, by name), with the characters `mark`
/// gives for other tags (by name, and whether the tag closes an element) — all a word processor's
/// or a fixed-layout page's text needs, without a full parser.
fn tagged_text(xml: &str, is_text: impl Fn(&str) -> bool, mark: impl Fn(&str, bool) -> Option<char>) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else { break };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let (closing, body) = match tag.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, tag),
        };
        let name = body.split([' ', '/', '\t', '\n', '\r']).next().unwrap_or("");
        if !closing && !tag.ends_with('/') && is_text(name) {
            let end = rest.find("</").unwrap_or(rest.len());
            decode_entities(&rest[..end], &mut out);
            rest = &rest[end..];
        } else if let Some(c) = mark(name, closing) {
            out.push(c);
        }
    }
    out
}

fn decode_entities(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';').filter(|i| *i <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[1..semi];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=semi]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn word_xml_paragraphs_runs_and_entities() {
        let xml = r#"<w:document><w:body><w:p><w:r><w:t>关于申报</w:t></w:r><w:r><w:t xml:space="preserve">2026年度 </w:t></w:r><w:r><w:t>科技计划&amp;项目</w:t></w:r></w:p><w:p><w:r><w:tab/><w:t>&#x4E00;、申报条件</w:t></w:r></w:p></w:body></w:document>"#;
        assert_eq!(word_xml_text(xml), "关于申报2026年度 科技计划&项目\n\t一、申报条件\n");
    }

    #[test]
    fn a_docx_file_gives_its_text_and_anything_else_gives_none() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            z.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all("<w:p><w:r><w:t>高新技术企业认定申请书</w:t></w:r></w:p>".as_bytes()).unwrap();
            z.finish().unwrap();
        }
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert_eq!(text_of(docx, buf.get_ref()), "高新技术企业认定申请书\n");
        assert_eq!(text_of(docx, b"not a zip"), "");
        assert_eq!(text_of("application/pdf", b"%PDF-1.4"), "");
    }

    #[test]
    fn an_ofd_file_gives_its_pages_text_in_order() {
        let page = |t: &str| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" Boundary="0 0 100 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5">{t}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#
            )
        };
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("OFD.xml", o).unwrap();
            z.write_all(b"<ofd:OFD/>").unwrap();
            // Stored out of order, and page 10 after page 2.
            for (n, t) in [(10, "第十一页"), (0, "关于印发&lt;冰城市&gt;通知"), (2, "第三页")] {
                z.start_file(format!("Doc_0/Pages/Page_{n}/Content.xml"), o).unwrap();
                z.write_all(page(t).as_bytes()).unwrap();
            }
            z.finish().unwrap();
        }
        assert_eq!(text_of("application/ofd", buf.get_ref()), "关于印发<冰城市>通知\n第三页\n第十一页\n");
        assert_eq!(text_of("application/ofd", b"PK\x03\x04 broken"), "");
    }

    #[test]
    fn a_pdf_with_chinese_cid_fonts_gives_its_text() {
        // Printed to PDF by Chromium from an HTML notice set in WenQuanYi Micro Hei: the
        // characters travel as glyph ids with a ToUnicode map, as in most Chinese PDFs.
        let text = text_of("application/pdf", include_bytes!("../tests/tongzhi.pdf"));
        assert!(text.contains("关于做好2026年冬季农村饮水安全工作的通知"), "{text}");
        assert!(text.contains("北政办发〔2026〕12号"), "{text}");
        assert!(!text.contains("\n\n"), "blank lines squeezed: {text:?}");
    }

    #[test]
    fn a_broken_pdf_gives_no_text_and_no_panic() {
        let whole = include_bytes!("../tests/tongzhi.pdf");
        for cut in [0, 5, 100, whole.len() / 2, whole.len() - 10] {
            assert_eq!(text_of("application/pdf", &whole[..cut]), "", "cut at {cut}");
        }
        assert_eq!(text_of("application/pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"), "");
    }
}

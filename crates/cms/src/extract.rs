//! Text of uploaded attachments, for search: a DOCX file's paragraphs (the text runs of
//! `word/document.xml`). Other types give no text yet (PDF needs a font-aware extractor).
//! Extraction never fails an upload: unreadable files simply add nothing.

use std::io::Read;

/// At most this much text per attachment is kept (the index caps bodies anyway).
const MAX_CHARS: usize = 100_000;
/// A document XML larger than this is not read (a zip bomb guard).
const MAX_XML_BYTES: u64 = 20 << 20;

/// The searchable text of an attachment, or an empty string.
pub fn text_of(mime: &str, bytes: &[u8]) -> String {
    let text = match mime {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => docx(bytes),
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

/// Text inside `<w:t>` elements, a line break at each paragraph end and `<w:br/>`, a tab for
/// `<w:tab/>`; entities decoded.
pub fn word_xml_text(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else { break };
        let tag = &rest[lt + 1..lt + gt];
        let name = tag.split([' ', '/']).next().unwrap_or("");
        rest = &rest[lt + gt + 1..];
        match name {
            "w:t" if !tag.ends_with('/') => {
                let end = rest.find("</w:t>").unwrap_or(rest.len());
                decode_entities(&rest[..end], &mut out);
                rest = &rest[end..];
            }
            "w:tab" => out.push('\t'),
            "w:br" | "w:cr" => out.push('\n'),
            _ if tag == "/w:p" => out.push('\n'),
            _ => {}
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
}

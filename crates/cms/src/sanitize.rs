//! Cleans article bodies on the server — the security boundary, whatever the editor in the browser
//! did. An allow-list (ammonia) keeps structure (paragraphs, headings, lists, tables, links, images)
//! and drops scripts, event handlers, `javascript:` URLs, inline styles and classes; Word/WPS paste
//! cruft (`<o:p>`, `mso-` styles, `MsoNormal` classes, conditional comments) goes with them. Iframes
//! survive only when they point at a configured video host. Pasted `data:` images are handed to a
//! callback that stores them as files and returns their URL.

use std::collections::HashSet;

use base64::Engine;

/// Video hosts whose players may be embedded.
pub const VIDEO_HOSTS: [&str; 3] = ["player.bilibili.com", "v.qq.com", "player.youku.com"];

/// An image found inline as a data URI.
pub struct InlineImage {
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// Sanitises `html`. `store_image` receives each pasted data-URI image and returns the URL it was
/// stored under (or `None` to drop it).
pub fn clean_body(html: &str, store_image: &mut dyn FnMut(InlineImage) -> Option<String>) -> String {
    let with_files = extract_data_images(html, store_image);
    let without_word = strip_word_cruft(&with_files);
    builder().clean(&without_word).to_string()
}

fn builder() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "colgroup",
        "col",
        "figure",
        "figcaption",
        "iframe",
        "video",
        "source",
    ])
    .rm_tags(["font"])
    .add_tag_attributes("td", ["colspan", "rowspan"])
    .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
    .add_tag_attributes("img", ["src", "alt", "width", "height"])
    .add_tag_attributes("iframe", ["src", "width", "height", "allowfullscreen", "title"])
    .add_tag_attributes("video", ["src", "controls", "width", "height", "poster"])
    .add_tag_attributes("source", ["src", "type"])
    .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
    .url_relative(ammonia::UrlRelative::PassThrough)
    .link_rel(Some("noopener noreferrer"))
    .attribute_filter(|element, attribute, value| {
        if element == "iframe" && attribute == "src" {
            let host = url::Url::parse(value).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
            return VIDEO_HOSTS.contains(&host.as_str()).then(|| value.into());
        }
        Some(value.into())
    });
    b
}

/// Removes Office markup that ammonia would otherwise keep as text or empty elements.
fn strip_word_cruft(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Conditional comments carry VML and fallback markup we never want.
    while let Some(start) = rest.find("<!--[if") {
        out.push_str(&rest[..start]);
        match rest[start..].find("<![endif]-->") {
            Some(end) => rest = &rest[start + end + "<![endif]-->".len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("<o:p>", "").replace("</o:p>", "").replace("<o:p/>", "")
}

/// Replaces `src="data:image/…;base64,…"` with stored files.
fn extract_data_images(html: &str, store: &mut dyn FnMut(InlineImage) -> Option<String>) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find("data:image/") {
        let (before, after) = rest.split_at(pos);
        let Some(semi) = after.find(";base64,") else {
            out.push_str(before);
            out.push_str("data:image/");
            rest = &after["data:image/".len()..];
            continue;
        };
        let mime = &after[5..semi];
        let data_start = semi + ";base64,".len();
        let data_end = after[data_start..]
            .find(|c: char| c == '"' || c == '\'' || c == ')' || c.is_whitespace())
            .map_or(after.len(), |e| data_start + e);
        let data = &after[data_start..data_end];
        let ok_mime = matches!(mime, "image/png" | "image/jpeg" | "image/gif" | "image/webp");
        let url = if ok_mime && mime.len() < 32 {
            base64::engine::general_purpose::STANDARD
                .decode(data.as_bytes())
                .ok()
                .and_then(|bytes| store(InlineImage { mime: mime.to_owned(), bytes }))
        } else {
            None
        };
        out.push_str(before);
        out.push_str(&url.unwrap_or_default());
        rest = &after[data_end..];
    }
    out.push_str(rest);
    out
}

/// The images of a body, in order and without repeats: what an editor may pick the cover from.
/// Works on any HTML by running it through the sanitiser first, whose output quotes every
/// attribute the same way.
pub fn image_sources(html: &str) -> Vec<String> {
    let clean = builder().clean(html).to_string();
    let mut found: Vec<String> = Vec::new();
    for tag in clean.split("<img ").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let Some(start) = tag.find("src=\"") else { continue };
        let value = &tag[start + 5..];
        let src = value[..value.find('"').unwrap_or(value.len())].replace("&amp;", "&");
        if !src.is_empty() && !found.contains(&src) {
            found.push(src);
        }
    }
    found
}

/// Plain text of an HTML fragment (for summaries, feeds and search).
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `n` characters of the plain text, with an ellipsis when cut.
pub fn excerpt(html: &str, n: usize) -> String {
    let t = plain_text(html);
    if t.chars().count() <= n { t } else { t.chars().take(n).collect::<String>() + "…" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        clean_body(html, &mut |_| Some("/files/x.png".into()))
    }

    #[test]
    fn cover_candidates_are_the_bodys_images_in_order_once_each() {
        let body = r#"<p>一<img alt="甲" src="/files/inline/a.png"></p><img src='/files/inline/b.jpg?w=1&amp;h=2'>
            <p><img src="/files/inline/a.png"><img src="javascript:alert(1)"><img alt="无地址"></p>"#;
        assert_eq!(
            image_sources(body),
            vec!["/files/inline/a.png".to_owned(), "/files/inline/b.jpg?w=1&h=2".to_owned()]
        );
        assert!(image_sources("<p>没有图片</p>").is_empty());
    }

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let out = clean(
            r#"<p onclick="steal()">通知<script>alert(1)</script></p><a href="javascript:alert(2)">点此</a><img src=x onerror=alert(3)><svg onload=alert(4)></svg>"#,
        );
        for bad in ["script", "onclick", "javascript", "onerror", "onload", "svg"] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
        assert!(out.contains("<p>通知</p>"));
    }

    #[test]
    fn word_and_wps_paste_is_cleaned() {
        let word = r#"<p class="MsoNormal" style="mso-line-height-rule:exactly;font-family:仿宋_GB2312"><span lang="EN-US" style="font-size:16pt">各区县人民政府<o:p></o:p></span></p><!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]--><table border="1" style="border-collapse:collapse"><tr><td colspan="2" style="width:100pt">事项</td></tr></table>"#;
        let out = clean(word);
        assert!(
            !out.contains("Mso")
                && !out.contains("mso-")
                && !out.contains("o:p")
                && !out.contains("style")
                && !out.contains("WordDocument"),
            "{out}"
        );
        assert!(out.contains("各区县人民政府") && out.contains(r#"<td colspan="2">事项</td>"#), "{out}");
    }

    #[test]
    fn iframes_only_from_video_hosts() {
        let ok = clean(r#"<iframe src="https://player.bilibili.com/player.html?bvid=1" width="640"></iframe>"#);
        assert!(ok.contains("player.bilibili.com"));
        let bad = clean(r#"<iframe src="https://evil.example/phish"></iframe>"#);
        assert!(!bad.contains("evil.example"));
    }

    #[test]
    fn data_uri_images_become_files() {
        let png = base64::engine::general_purpose::STANDARD.encode([0x89, b'P', b'N', b'G']);
        let mut stored = Vec::new();
        let out = clean_body(&format!(r#"<p><img src="data:image/png;base64,{png}" alt="图"></p>"#), &mut |img| {
            stored.push(img.bytes.len());
            Some("/files/1/img.png".into())
        });
        assert_eq!(stored, vec![4]);
        assert!(out.contains(r#"src="/files/1/img.png""#) && !out.contains("base64"), "{out}");
        // Not an image type we accept: dropped, never kept as a data URI.
        let out = clean(r#"<img src="data:image/svg+xml;base64,PHN2Zz4=">"#);
        assert!(!out.contains("data:"), "{out}");
    }

    #[test]
    fn links_get_rel_and_text_helpers_work() {
        let out = clean(r#"<a href="https://www.gov.cn">中国政府网</a>"#);
        assert!(out.contains(r#"rel="noopener noreferrer""#));
        assert_eq!(plain_text("<p>一网&nbsp;通办</p><p>放管服</p>"), "一网 通办 放管服");
        assert_eq!(excerpt("<p>营商环境持续优化</p>", 4), "营商环境…");
    }
}

/// Plain text as article HTML: one escaped paragraph per non-empty line (a draft handed over by
/// another module, e.g. an adopted 信息报送 item).
pub fn paragraphs_html(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("<p>{}</p>", minijinja::HtmlEscape(l)))
        .collect()
}

#[cfg(test)]
mod paragraph_tests {
    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(
            super::paragraphs_html("一、<b>要闻</b>\n\n 二、A&B "),
            "<p>一、&lt;b&gt;要闻&lt;&#x2f;b&gt;</p><p>二、A&amp;B</p>"
        );
    }
}

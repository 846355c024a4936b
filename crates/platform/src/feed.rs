//! XML for feed readers and other programs: text escaped for XML 1.0 (characters XML cannot
//! carry dropped), RFC 822 dates in Beijing time, and the one RSS 2.0 writer the CMS channels and
//! the modules' boards share.

/// Escapes text for XML; drops the control characters XML 1.0 cannot carry at all.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// RFC 822 date in Beijing time, as RSS readers expect.
pub fn rfc822(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => {
            let t = t.to_offset(offset);
            let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            format!(
                "{}, {:02} {} {} {:02}:{:02}:{:02} +0800",
                days[t.weekday().number_days_from_monday() as usize],
                t.day(),
                months[u8::from(t.month()) as usize - 1],
                t.year(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        Err(_) => String::new(),
    }
}

/// A feed's channel: its title, the absolute address of the page it follows, what it is about.
#[derive(Debug, Clone)]
pub struct Channel<'a> {
    pub title: &'a str,
    pub link: &'a str,
    pub description: &'a str,
}

/// One entry: absolute link, a stable id, publication time, a plain-text summary.
#[derive(Debug, Clone)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub guid: String,
    pub published_at: i64,
    pub description: String,
}

/// An RSS 2.0 document, newest item first as given.
pub fn rss(channel: &Channel<'_>, items: &[Item]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>");
    out.push_str(&format!(
        "<title>{}</title><link>{}</link><description>{}</description><language>zh-cn</language>",
        xml_escape(channel.title),
        xml_escape(channel.link),
        xml_escape(channel.description)
    ));
    if let Some(first) = items.first() {
        out.push_str(&format!("<lastBuildDate>{}</lastBuildDate>", rfc822(first.published_at)));
    }
    for it in items {
        out.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{}</guid><pubDate>{}</pubDate><description>{}</description></item>",
            xml_escape(&it.title),
            xml_escape(&it.link),
            xml_escape(&it.guid),
            rfc822(it.published_at),
            xml_escape(&it.description)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(xml_escape("a<b>&\"'\u{1}\n"), "a&lt;b&gt;&amp;&quot;&apos;\n");
    }

    #[test]
    fn dates_read_in_beijing_time() {
        // 2026-01-01 00:00 UTC is 08:00 in Beijing.
        assert_eq!(rfc822(1_767_225_600), "Thu, 01 Jan 2026 08:00:00 +0800");
    }

    #[test]
    fn a_feed_carries_its_items_escaped() {
        let ch = Channel {
            title: "供求信息 - 人才劳务", link: "http://x/gongqiu/talent/", description: "招聘与求职"
        };
        let items = vec![Item {
            title: "招聘<焊工>".into(),
            link: "http://x/gongqiu/l/1".into(),
            guid: "zhengwu-listing-1".into(),
            published_at: 1_767_225_600,
            description: "A&B".into(),
        }];
        let x = rss(&ch, &items);
        assert!(x.contains("<title>招聘&lt;焊工&gt;</title>") && x.contains("A&amp;B"), "{x}");
        assert!(x.contains("<lastBuildDate>Thu, 01 Jan 2026 08:00:00 +0800</lastBuildDate>"));
        assert!(rss(&ch, &[]).ends_with("</channel></rss>\n"));
    }
}

//! The pure rules of 课件库: whether an upload is an MP4 container a browser can play and how long
//! it runs (read from the movie header, no transcoding), WebVTT captions and their words for the
//! search, the placeholder clip the demo and benchmarks use, what an item must say, durations as
//! people read them, and ratings. No I/O.

use platform::web::error::FieldError;
use serde::{Deserialize, Serialize};

/// The header of the box starting `head` (at least its first 8 bytes; 16 for a 64-bit size),
/// with `left` bytes from its start to the end of its parent: (type, header length, box size), or
/// `None` when it is malformed or overruns its parent.
pub fn box_header(head: &[u8], left: u64) -> Option<([u8; 4], u64, u64)> {
    let size32 = u32::from_be_bytes(head.get(..4)?.try_into().ok()?) as u64;
    let kind: [u8; 4] = head.get(4..8)?.try_into().ok()?;
    let (header, size) = match size32 {
        0 => (8, left),
        1 => (16, u64::from_be_bytes(head.get(8..16)?.try_into().ok()?)),
        s => (8, s),
    };
    (size >= header && size <= left).then_some((kind, header, size))
}

/// Walks the top-level boxes of an ISO base media file: (type, start of body, end).
fn boxes(bytes: &[u8], from: usize, to: usize) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = from;
    while at + 8 <= to {
        let Some((kind, header, size)) = box_header(&bytes[at..to], (to - at) as u64) else { break };
        out.push((kind, at + header as usize, at + size as usize));
        at += size as usize;
    }
    out
}

/// Why an upload is not a playable MP4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mp4Error {
    #[error("不是 MP4 视频文件（缺少 ftyp 文件头），请上传 H.264 编码的 MP4 文件")]
    NotMp4,
    #[error("MP4 文件不完整（缺少 moov/mvhd 影片信息），请重新导出后上传")]
    NoMovieHeader,
}

/// The running time in seconds of an MP4 (ISO BMFF) file, from its `moov/mvhd` box; refuses
/// anything without an `ftyp` first and a movie header.
pub fn mp4_duration(bytes: &[u8]) -> Result<u64, Mp4Error> {
    let top = boxes(bytes, 0, bytes.len());
    if top.first().map(|b| &b.0) != Some(b"ftyp") {
        return Err(Mp4Error::NotMp4);
    }
    let (_, s, e) = top.iter().find(|b| &b.0 == b"moov").copied().ok_or(Mp4Error::NoMovieHeader)?;
    moov_seconds(&bytes[s..e])
}

/// The running time in seconds from the body of a `moov` box (its `mvhd`).
pub fn moov_seconds(moov: &[u8]) -> Result<u64, Mp4Error> {
    let (_, s, e) = boxes(moov, 0, moov.len()).into_iter().find(|b| &b.0 == b"mvhd").ok_or(Mp4Error::NoMovieHeader)?;
    let body = &moov[s..e];
    let u32_at = |i: usize| body.get(i..i + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64);
    let u64_at = |i: usize| {
        body.get(i..i + 8).map(|b| {
            let mut x = [0u8; 8];
            x.copy_from_slice(b);
            u64::from_be_bytes(x)
        })
    };
    // version 0: 4 flags, 4 created, 4 modified, 4 timescale, 4 duration; version 1: 8-byte times.
    let (scale, duration) = match body.first() {
        Some(0) => (u32_at(12), u32_at(16)),
        Some(1) => (u32_at(20), u64_at(24)),
        _ => (None, None),
    };
    match (scale, duration) {
        (Some(scale), Some(d)) if scale > 0 => Ok(d / scale),
        _ => Err(Mp4Error::NoMovieHeader),
    }
}

/// A minimal MP4 container (`ftyp`, `moov/mvhd` of `seconds`, and `padding` bytes of media data):
/// what the demo and the benchmarks serve instead of downloaded media.
pub fn placeholder_mp4(seconds: u32, padding: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(padding + 160);
    let push_box = |out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]| {
        out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
    };
    let mut ftyp = Vec::new();
    ftyp.extend_from_slice(b"isom");
    ftyp.extend_from_slice(&512u32.to_be_bytes());
    ftyp.extend_from_slice(b"isomiso2avc1mp41");
    push_box(&mut out, b"ftyp", &ftyp);
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&(seconds.saturating_mul(1000)).to_be_bytes());
    mvhd[20..24].copy_from_slice(&0x0001_0000u32.to_be_bytes());
    mvhd[24..26].copy_from_slice(&0x0100u16.to_be_bytes());
    let mut moov = Vec::new();
    push_box(&mut moov, b"mvhd", &mvhd);
    push_box(&mut out, b"moov", &moov);
    push_box(&mut out, b"mdat", &vec![0u8; padding]);
    out
}

/// Whether a text is WebVTT (what `<track>` plays).
pub fn is_webvtt(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').starts_with("WEBVTT")
}

/// The spoken words of WebVTT captions, for the search (headers, cue numbers and timings left out).
pub fn caption_words(vtt: &str) -> String {
    vtt.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("WEBVTT")
                && !l.starts_with("NOTE")
                && !l.contains("-->")
                && !l.bytes().all(|b| b.is_ascii_digit())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// 1:05:09, 12:30 — a duration as players show it.
pub fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The average of ratings to one decimal, or none yet.
pub fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 10.0).round() / 10.0)
}

/// What an editor types for an item (files come separately).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CourseInput {
    /// 分类（编号）
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// 主讲人
    #[serde(default)]
    pub teacher: String,
    /// 外部直播流或点播地址（HLS .m3u8 或 MP4），不上传视频时填写
    #[serde(default)]
    pub stream_url: String,
    /// 时长（分钟，仅外部地址时填写；上传的视频自动读取）
    #[serde(default)]
    pub minutes: String,
    /// 是否公开
    #[serde(default)]
    pub published: bool,
}

/// Checks the typed part of an item; `has_video` says whether a video file is (or will be) there.
pub fn check(input: &CourseInput, categories: &[i64], has_video: bool) -> Result<(i64, i64), Vec<FieldError>> {
    let mut errs = Vec::new();
    let category = input.category.trim().parse::<i64>().ok().filter(|c| categories.contains(c));
    if category.is_none() {
        errs.push(FieldError::new("category", "请选择分类"));
    }
    let title = input.title.trim();
    if title.chars().count() < 2 || title.chars().count() > 100 {
        errs.push(FieldError::new("title", "请填写课件标题（2 到 100 字）"));
    }
    if input.summary.chars().count() > 2000 {
        errs.push(FieldError::new("summary", "内容简介不能超过 2000 字"));
    }
    if input.teacher.trim().chars().count() > 50 {
        errs.push(FieldError::new("teacher", "主讲人不能超过 50 字"));
    }
    let url = input.stream_url.trim();
    let mut minutes = 0;
    if !url.is_empty() {
        if !platform::media::is_http_url(url) {
            errs.push(FieldError::new("stream_url", "视频地址应以 http:// 或 https:// 开头"));
        }
        match input.minutes.trim().parse::<i64>() {
            Ok(m) if (1..=600).contains(&m) => minutes = m,
            _ => errs.push(FieldError::new("minutes", "请填写时长（1 到 600 分钟）")),
        }
    } else if !has_video {
        errs.push(FieldError::new("video", "请上传 MP4 视频，或填写外部视频地址"));
    }
    match category {
        Some(c) if errs.is_empty() => Ok((c, minutes * 60)),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_reads_back_its_duration() {
        let clip = placeholder_mp4(754, 4096);
        assert_eq!(mp4_duration(&clip), Ok(754));
        assert!(clip.len() > 4096);
    }

    #[test]
    fn a_version_one_header_and_a_large_box_are_read() {
        let mut mvhd = vec![1u8, 0, 0, 0];
        mvhd.extend_from_slice(&[0u8; 16]);
        mvhd.extend_from_slice(&600u32.to_be_bytes());
        mvhd.extend_from_slice(&(600u64 * 90).to_be_bytes());
        mvhd.extend_from_slice(&[0u8; 80]);
        let mut moov = Vec::new();
        moov.extend_from_slice(&((mvhd.len() + 8) as u32).to_be_bytes());
        moov.extend_from_slice(b"mvhd");
        moov.extend_from_slice(&mvhd);
        let mut file = Vec::new();
        file.extend_from_slice(&16u32.to_be_bytes());
        file.extend_from_slice(b"ftypisom\0\0\0\0");
        // A media box with a 64-bit size first.
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&24u64.to_be_bytes());
        file.extend_from_slice(&[7u8; 8]);
        file.extend_from_slice(&((moov.len() + 8) as u32).to_be_bytes());
        file.extend_from_slice(b"moov");
        file.extend_from_slice(&moov);
        assert_eq!(mp4_duration(&file), Ok(90));
    }

    #[test]
    fn what_is_not_a_playable_mp4_is_named() {
        assert_eq!(mp4_duration(b"%PDF-1.4 not a video"), Err(Mp4Error::NotMp4));
        assert_eq!(mp4_duration(b""), Err(Mp4Error::NotMp4));
        let mut clip = placeholder_mp4(10, 0);
        // Truncated before the movie header.
        clip.truncate(40);
        assert_eq!(mp4_duration(&clip), Err(Mp4Error::NoMovieHeader));
        // A box claiming more bytes than there are stops the walk instead of panicking.
        let mut bad = placeholder_mp4(10, 0);
        bad[32..36].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(mp4_duration(&bad).is_err());
    }

    #[test]
    fn captions_give_their_words() {
        let vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n大棚番茄定植前要施足底肥\n\nNOTE 编者按\n\n2\n00:00:05.000 --> 00:00:08.000\n每亩施腐熟农家肥五千斤";
        assert!(is_webvtt(vtt) && is_webvtt("\u{feff}WEBVTT\n"));
        assert!(!is_webvtt("1\n00:00:01,000 --> 00:00:04,000\n"));
        assert_eq!(caption_words(vtt), "大棚番茄定植前要施足底肥 每亩施腐熟农家肥五千斤");
    }

    #[test]
    fn durations_and_averages_read_naturally() {
        assert_eq!(clock(754), "12:34");
        assert_eq!(clock(3909), "1:05:09");
        assert_eq!(clock(-5), "0:00");
        assert_eq!(average(14, 3), Some(4.7));
        assert_eq!(average(0, 0), None);
    }

    #[test]
    fn an_item_needs_a_category_a_title_and_a_video_or_an_address() {
        let input =
            CourseInput { category: "3".into(), title: "大棚番茄栽培技术".into(), ..CourseInput::default() };
        assert_eq!(check(&input, &[3], true), Ok((3, 0)));
        let names = |e: Vec<FieldError>| e.into_iter().map(|f| f.field).collect::<Vec<_>>();
        assert_eq!(names(check(&input, &[3], false).unwrap_err()), vec!["video"]);
        assert_eq!(names(check(&input, &[4], true).unwrap_err()), vec!["category"]);
        let stream = CourseInput {
            stream_url: "https://live.example.cn/nongke/1.m3u8".into(),
            minutes: "45".into(),
            ..input.clone()
        };
        assert_eq!(check(&stream, &[3], false), Ok((3, 2700)));
        let bad = CourseInput { stream_url: "javascript:alert(1)".into(), minutes: "0".into(), ..input };
        assert_eq!(names(check(&bad, &[3], false).unwrap_err()), vec!["stream_url", "minutes"]);
    }
}

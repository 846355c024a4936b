//! The pure rules of 直播: what a camera point's form must hold, what kind of stream an address
//! is and whether the first bytes a server sent are that kind, whether a snapshot is an image,
//! and a point's availability over its recent checks.

use platform::web::error::FieldError;
use serde::{Deserialize, Serialize};

/// A camera point as staff write it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(extend("required" = ["name", "stream_url"]))]
pub struct PointInput {
    /// 点位名称，如“北仑港区集装箱码头”
    #[serde(default)]
    #[schemars(length(max = 60))]
    pub name: String,
    /// 所在区域（街道、镇）
    #[serde(default)]
    pub area: String,
    /// 位置说明
    #[serde(default)]
    pub place: String,
    /// 经度（度，东经为正），如 121.8447
    #[serde(default)]
    pub lon: String,
    /// 纬度（度，北纬为正），如 29.9003
    #[serde(default)]
    pub lat: String,
    /// 直播流地址：HLS（.m3u8）、HTTP-FLV（.flv）或 MP4
    #[serde(default)]
    pub stream_url: String,
    /// 截图地址（可选）：摄像机或流媒体服务器提供的 JPEG/PNG 快照
    #[serde(default)]
    pub snapshot_url: String,
    /// 是否在网站公开
    #[serde(default)]
    pub published: bool,
    /// 排序（小的在前）
    #[serde(default)]
    pub sort_order: String,
}

/// A form that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub name: String,
    pub area: String,
    pub place: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub stream_url: String,
    pub snapshot_url: String,
    pub published: bool,
    pub sort_order: i64,
}

fn coordinate(s: &str, max: f64) -> Result<Option<f64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= max => Ok(Some(v)),
        _ => Err(()),
    }
}

impl PointInput {
    /// Every wrong field named, or the point.
    pub fn check(&self) -> Result<Point, Vec<FieldError>> {
        let mut errs = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            errs.push(FieldError::new("name", "请填写点位名称（60 字以内）"));
        }
        if self.area.trim().chars().count() > 60 {
            errs.push(FieldError::new("area", "所在区域不能超过 60 字"));
        }
        if self.place.trim().chars().count() > 200 {
            errs.push(FieldError::new("place", "位置说明不能超过 200 字"));
        }
        let lon = coordinate(&self.lon, 180.0);
        if lon.is_err() {
            errs.push(FieldError::new("lon", "经度应为 -180 到 180 之间的数字，如 121.8447"));
        }
        let lat = coordinate(&self.lat, 90.0);
        if lat.is_err() {
            errs.push(FieldError::new("lat", "纬度应为 -90 到 90 之间的数字，如 29.9003"));
        }
        if matches!((&lon, &lat), (Ok(Some(_)), Ok(None)) | (Ok(None), Ok(Some(_)))) {
            errs.push(FieldError::new("lat", "经度和纬度要么都填，要么都不填"));
        }
        let stream = self.stream_url.trim();
        if !platform::media::is_http_url(stream) {
            errs.push(FieldError::new(
                "stream_url",
                "请填写 http:// 或 https:// 开头的直播流地址（HLS .m3u8、FLV 或 MP4，500 字以内）",
            ));
        }
        let snap = self.snapshot_url.trim();
        if !snap.is_empty() && !platform::media::is_http_url(snap) {
            errs.push(FieldError::new("snapshot_url", "截图地址应为 http:// 或 https:// 开头的图片地址"));
        }
        let sort_order = match self.sort_order.trim() {
            "" => Ok(0),
            s => s.parse::<i64>().map_err(|_| ()),
        };
        if sort_order.is_err() {
            errs.push(FieldError::new("sort_order", "排序应为整数"));
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(Point {
            name: name.to_owned(),
            area: self.area.trim().to_owned(),
            place: self.place.trim().to_owned(),
            lon: lon.ok().flatten(),
            lat: lat.ok().flatten(),
            stream_url: stream.to_owned(),
            snapshot_url: snap.to_owned(),
            published: self.published,
            sort_order: sort_order.unwrap_or(0),
        })
    }
}

pub use platform::media::StreamKind;

/// Whether the first bytes a server sent are the stream its address names; the reason when not.
pub fn stream_starts(kind: StreamKind, head: &[u8]) -> Result<(), String> {
    let ok = match kind {
        StreamKind::Hls => {
            let text = String::from_utf8_lossy(head);
            let t = text.trim_start_matches('\u{feff}').trim_start();
            if !t.starts_with("#EXTM3U") {
                return Err("返回的内容不是 HLS 播放列表（应以 #EXTM3U 开头）".into());
            }
            // A live playlist lists segments or variant streams; an empty one plays nothing.
            if !(t.contains("#EXTINF") || t.contains("#EXT-X-STREAM-INF")) {
                return Err("HLS 播放列表中没有视频分片".into());
            }
            true
        }
        StreamKind::Flv => head.starts_with(b"FLV"),
        StreamKind::Mp4 => head.len() >= 8 && matches!(&head[4..8], b"ftyp" | b"moov" | b"free" | b"mdat"),
    };
    if ok { Ok(()) } else { Err(format!("返回的内容不是 {} 视频流", kind.label())) }
}

/// The largest snapshot kept.
pub const SNAPSHOT_MAX_BYTES: usize = 5 << 20;

/// A snapshot's file extension by its first bytes (JPEG or PNG), or why it is refused.
pub fn snapshot_kind(bytes: &[u8]) -> Result<&'static str, &'static str> {
    if bytes.len() > SNAPSHOT_MAX_BYTES {
        Err("截图超过 5 MB")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("jpg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("png")
    } else {
        Err("截图地址返回的不是 JPEG 或 PNG 图片")
    }
}

/// Share of successful checks, in whole per cent, or `None` with no checks.
pub fn availability(checks: i64, ok: i64) -> Option<i64> {
    (checks > 0).then(|| (ok * 100 + checks / 2) / checks)
}

/// A point's state for people.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "online" => "在线",
        "offline" => "离线",
        _ => "尚未检查",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PointInput {
        PointInput {
            name: "北仑港区集装箱码头".into(),
            area: "新碶街道".into(),
            lon: "121.8447".into(),
            lat: "29.9003".into(),
            stream_url: "http://10.20.1.5:8080/live/gangqu.m3u8".into(),
            published: true,
            ..PointInput::default()
        }
    }

    #[test]
    fn a_good_point_passes_and_each_wrong_field_is_named() {
        let p = input().check().unwrap();
        assert_eq!((p.lon, p.lat, p.sort_order), (Some(121.8447), Some(29.9003), 0));
        let bad = PointInput {
            name: " ".into(),
            lon: "东经121".into(),
            lat: "95".into(),
            stream_url: "rtsp://10.20.1.5/live".into(),
            snapshot_url: "ftp://x/y.jpg".into(),
            sort_order: "一".into(),
            ..PointInput::default()
        };
        let errs = bad.check().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "lon", "lat", "stream_url", "snapshot_url", "sort_order"]);
        let half = PointInput { lat: String::new(), ..input() };
        assert_eq!(half.check().unwrap_err()[0].field, "lat");
        let none = PointInput { lat: String::new(), lon: String::new(), ..input() };
        assert_eq!(none.check().unwrap().lon, None);
        assert!(PointInput { stream_url: "http:///x.m3u8".into(), ..input() }.check().is_err());
        assert!(PointInput { stream_url: "javascript:alert(1)".into(), ..input() }.check().is_err());
    }

    #[test]
    fn streams_are_recognised_by_their_first_bytes() {
        assert_eq!(StreamKind::of("http://a/live/x.m3u8?token=1"), StreamKind::Hls);
        assert_eq!(StreamKind::of("http://a/live/x.flv"), StreamKind::Flv);
        assert_eq!(StreamKind::of("http://a/live/x"), StreamKind::Mp4);
        let playlist = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg1.ts\n";
        assert_eq!(stream_starts(StreamKind::Hls, playlist), Ok(()));
        assert_eq!(
            stream_starts(StreamKind::Hls, b"\xef\xbb\xbf#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhd.m3u8\n"),
            Ok(())
        );
        assert!(stream_starts(StreamKind::Hls, b"#EXTM3U\n#EXT-X-VERSION:3\n").unwrap_err().contains("分片"));
        assert!(stream_starts(StreamKind::Hls, b"<html>404</html>").unwrap_err().contains("#EXTM3U"));
        assert_eq!(stream_starts(StreamKind::Flv, b"FLV\x01\x05\0\0\0\x09"), Ok(()));
        assert!(stream_starts(StreamKind::Flv, b"<html>").is_err());
        assert_eq!(stream_starts(StreamKind::Mp4, b"\0\0\0\x20ftypisom"), Ok(()));
        assert!(stream_starts(StreamKind::Mp4, b"\0\0").is_err());
    }

    #[test]
    fn snapshots_and_availability() {
        assert_eq!(snapshot_kind(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok("jpg"));
        assert_eq!(snapshot_kind(b"\x89PNG\r\n\x1a\n...."), Ok("png"));
        assert!(snapshot_kind(b"<html>").is_err());
        assert!(snapshot_kind(&vec![0xFF; SNAPSHOT_MAX_BYTES + 1]).is_err());
        assert_eq!(availability(0, 0), None);
        assert_eq!(availability(288, 288), Some(100));
        assert_eq!(availability(3, 2), Some(67));
        assert_eq!(status_label("online"), "在线");
        assert_eq!(status_label("x"), "尚未检查");
    }
}

#[cfg(test)]
mod snapshot_tests {
    #[test]
    fn the_placeholder_is_a_png_the_checker_accepts() {
        let png = platform::media::placeholder_picture(64, 36, 3);
        assert_eq!(super::snapshot_kind(&png), Ok("png"));
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "IEND's CRC closes the file");
    }
}

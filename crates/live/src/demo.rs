//! The 直播 demo: fifteen camera points across Harbin (seed 002's 动态北仑 had 15), twelve whose
//! "stream" is a courseware clip on this very server — standing in for a streaming server's
//! address — and three whose server does not answer, so the list, the map and the checks show
//! both states; each with a placeholder snapshot. The event coverage is in the participation demo.

use platform::db::{Scalar, sql};
use platform::module::DemoSetup;
use platform::web::AppState;

use crate::store;

/// Name, area, place, longitude, latitude.
const POINTS: [(&str, &str, &str, f64, f64); 15] = [
    ("中央大街步行街", "道里区", "中央大街与西十二道街交口", 126.6178, 45.7735),
    ("防洪纪念塔广场", "道里区", "斯大林公园入口", 126.6226, 45.7808),
    ("圣索菲亚教堂广场", "道里区", "透笼街 88 号", 126.6301, 45.7634),
    ("太阳岛风景区", "松北区", "太阳岛西门", 126.5906, 45.7935),
    ("冰雪大世界", "松北区", "太阳岛西侧园区主入口", 126.5545, 45.7869),
    ("松花江公路大桥", "松北区", "大桥南引桥", 126.6523, 45.7913),
    ("哈尔滨站站前广场", "南岗区", "铁路街 1 号", 126.6323, 45.7605),
    ("博物馆广场", "南岗区", "红军街与大直街交口", 126.6381, 45.7558),
    ("会展中心", "南岗区", "红旗大街 301 号", 126.6847, 45.7392),
    ("群力外滩湿地", "道里区", "群力大道北端", 126.5562, 45.7676),
    ("哈尔滨大剧院", "松北区", "文化中心岛", 126.5928, 45.8137),
    ("香坊农贸市场", "香坊区", "香坊大街", 126.6767, 45.7236),
    ("机场高速收费站", "道里区", "机场路 K6", 126.4558, 45.7021),
    ("呼兰河口湿地", "呼兰区", "呼兰河入松花江口", 126.6889, 45.8612),
    ("阿城金上京遗址", "阿城区", "白城村", 126.9712, 45.4913),
];

pub async fn load(state: &AppState, _demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM camera_point")).await? > 0 {
        return Ok(Vec::new());
    }
    let origin = platform::web::portal::listen_origin(&state.config);
    let now = platform::db::now();
    for (i, (name, area, place, lon, lat)) in POINTS.iter().enumerate() {
        let n = i as i64 + 1;
        // The last three are on a server that is down.
        let stream = if n <= 12 {
            format!("{origin}/kejian/{n}/video.mp4")
        } else {
            format!("http://127.0.0.1:9/live/point{n}.m3u8")
        };
        let png = platform::media::placeholder_picture(320, 180, n as u32);
        let sha = platform::blobs::keep(&state.config.data_dir, store::AREA, &png, "png")?;
        db.fetch_one::<Scalar<i64>>(
            sql("INSERT INTO camera_point (name, area, place, lon, lat, stream_url, published, sort_order, snapshot_sha, snapshot_at, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9, '系统管理员', $9, $9) RETURNING id")
            .bind(*name)
            .bind(*area)
            .bind(*place)
            .bind(*lon)
            .bind(*lat)
            .bind(stream)
            .bind(n * 10)
            .bind(format!("{sha}.png"))
            .bind(now),
        )
        .await?;
    }
    Ok(vec![format!("直播：视频点位 {} 个（其中 3 个模拟离线，检查每 5 分钟一次）—— /zhibo/", POINTS.len())])
}

//! The courseware demo: the 19 categories of a rural distance-education window and 1,000 lessons
//! across them, each with a teacher from the county's agricultural stations, a summary, one of
//! five placeholder MP4 clips (a real container with its running time, no downloaded media), and
//! WebVTT captions on every fifth lesson — enough to browse, play, rate and search.

use platform::db::{Exec, sql};
use platform::module::DemoSetup;
use platform::web::AppState;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{domain, store};

/// Category and a few lesson topics in it.
const CATEGORIES: [(&str, &[&str]); 19] = [
    ("蔬菜种植", &["大棚番茄栽培技术", "黄瓜嫁接育苗", "寒地大白菜秋季管理", "辣椒病虫害绿色防控"]),
    ("花卉园艺", &["盆栽君子兰养护", "鲜切花采后保鲜", "庭院绿化苗木修剪"]),
    ("果树栽培", &["寒地蓝莓栽培", "苹果梨冬季修剪", "葡萄埋土防寒"]),
    ("食用菌", &["黑木耳菌包制作", "香菇大棚出菇管理", "平菇病害防治"]),
    ("粮食作物", &["水稻旱育稀植", "玉米大垄双行种植", "大豆高产栽培"]),
    ("水产养殖", &["冷水鱼池塘养殖", "稻田养蟹技术", "冬季冰下捕捞安全"]),
    ("畜牧养殖", &["肉牛育肥饲养", "生猪规模养殖防疫", "奶牛挤奶卫生规范"]),
    ("家禽养殖", &["林下散养鸡", "鹅的孵化与育雏", "蛋鸡冬季保温"]),
    ("特种养殖", &["梅花鹿人工养殖", "林蛙养殖技术", "蜜蜂越冬管理"]),
    ("中药材", &["人参林下种植", "五味子栽培", "板蓝根田间管理"]),
    ("农机使用", &["插秧机操作与保养", "无人机植保作业规范", "拖拉机冬季安全使用"]),
    ("土壤肥料", &["测土配方施肥", "秸秆还田技术", "有机肥堆沤方法"]),
    ("植物保护", &["农药安全使用", "玉米螟生物防治", "草地贪夜蛾识别"]),
    ("农产品加工", &["黏豆包制作", "杂粮加工与包装", "农家酱制作卫生要求"]),
    ("电商销售", &["农产品网店开设", "短视频直播带货入门", "农产品品牌与包装"]),
    ("乡村旅游", &["农家乐经营", "冰雪乡村游接待", "采摘园规划"]),
    ("农村政策", &["土地承包经营权确权", "农业补贴政策解读", "农村合作社规范运营"]),
    ("法律常识", &["农村宅基地法律知识", "农民工工资权益保护", "防范农村电信诈骗"]),
    ("卫生健康", &["农村常见病预防", "冬季取暖防一氧化碳中毒", "农村养老保险办理"]),
];

const TEACHERS: [&str; 10] = [
    "王树林（市农业技术推广中心）",
    "李春华（双城区农技站）",
    "张国庆（五常市水稻研究所）",
    "刘淑芬（市畜牧兽医站）",
    "陈志远（东北农业大学）",
    "赵丽娟（尚志市食用菌协会）",
    "孙海涛（市水产技术推广站）",
    "周建军（市农机推广站）",
    "吴雪梅（市电子商务协会）",
    "郑永刚（市司法局普法讲师团）",
];

/// The five placeholder clips' running times (minutes).
const CLIPS: [u32; 5] = [12, 18, 25, 32, 45];

pub async fn load(state: &AppState, _demo: &DemoSetup) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    if db.count(sql("SELECT COUNT(*) FROM course_category")).await? > 0 {
        return Ok(Vec::new());
    }
    let data = &state.config.data_dir;
    let clips: Vec<(String, i64, i64)> = CLIPS
        .iter()
        .map(|m| {
            let bytes = domain::placeholder_mp4(m * 60, 256 << 10);
            store::keep(data, &bytes, "mp4").map(|sha| (sha, bytes.len() as i64, i64::from(*m) * 60))
        })
        .collect::<Result<_, _>>()?;
    let mut rng = StdRng::seed_from_u64(2006);
    let now = platform::db::now();
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    for (i, (name, _)) in CATEGORIES.iter().enumerate() {
        let id: platform::db::Scalar<i64> = tx
            .fetch_one(
                sql("INSERT INTO course_category (name, sort_order) VALUES ($1, $2) RETURNING id")
                    .bind(*name)
                    .bind(i as i64 * 10),
            )
            .await?;
        ids.push(id.0);
    }
    let total = 1000;
    for n in 0..total {
        let c = n % CATEGORIES.len();
        let (cat, topics) = CATEGORIES[c];
        let topic = topics[(n / CATEGORIES.len()) % topics.len()];
        let part = n / (CATEGORIES.len() * topics.len()) + 1;
        let title = if part == 1 { topic.to_owned() } else { format!("{topic}（第{part}讲）") };
        let teacher = TEACHERS[rng.random_range(0..TEACHERS.len())];
        let summary = format!(
            "本讲由{teacher}主讲，结合本地{cat}生产实际，讲解{topic}的关键环节、常见问题和解决办法，适合种养大户、合作社成员和返乡创业人员观看。"
        );
        let (sha, size, secs) = &clips[rng.random_range(0..clips.len())];
        let captions = if n % 5 == 0 {
            format!(
                "WEBVTT\n\n1\n00:00:01.000 --> 00:00:06.000\n各位农民朋友，今天我们讲{topic}。\n\n2\n00:00:06.500 --> 00:00:12.000\n先说{cat}生产中大家最关心的几个问题。\n"
            )
        } else {
            String::new()
        };
        let created = now - (total - n) as i64 * 3 * 3600;
        // Between 4 and 5 stars on average.
        let rating_count = rng.random_range(0..40i64);
        let rating_sum = rating_count * 4 + rng.random_range(0..=rating_count);
        tx.execute(
            sql("INSERT INTO course (category_id, title, summary, teacher, duration, video_sha, video_size, captions, published, views, \
                 rating_sum, rating_count, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, $9, $10, $11, '演示数据', $12, $12)")
            .bind(ids[c])
            .bind(title)
            .bind(summary)
            .bind(teacher)
            .bind(*secs)
            .bind(sha.as_str())
            .bind(*size)
            .bind(captions)
            .bind(rng.random_range(20..3000i64))
            .bind(rating_sum)
            .bind(rating_count)
            .bind(created),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(vec![format!("远程教育课件：{} 个分类，{total} 个课件（/kejian/，管理在 /admin/courseware）", CATEGORIES.len())])
}

//! 环境空气质量指数 (AQI) per HJ 633-2012 — pure: each pollutant's IAQI from the concentration
//! breakpoints by linear interpolation (rounded up), the AQI as the largest IAQI, the 首要污染物
//! when the AQI is over 50, and the six levels with their fixed colours. Hourly 实时报 uses the
//! 1-hour breakpoints for SO₂, NO₂, CO and O₃ and the 24-hour ones for PM₁₀ and PM₂.₅, as the
//! standard's real-time reporting does.

/// IAQI at each breakpoint.
const IAQI: [f64; 8] = [0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0];

/// A pollutant: its metric code, name and breakpoints (μg/m³; CO in mg/m³).
pub struct Pollutant {
    pub code: &'static str,
    pub name: &'static str,
    /// Breakpoints for 1-hour values; fewer than eight when the standard stops the 1-hour scale
    /// (above the last one the 24-hour scale applies).
    pub hourly: &'static [f64],
    pub daily: &'static [f64],
}

pub const POLLUTANTS: [Pollutant; 6] = [
    Pollutant {
        code: "so2",
        name: "二氧化硫",
        hourly: &[0.0, 150.0, 500.0, 650.0, 800.0],
        daily: &[0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0],
    },
    Pollutant {
        code: "no2",
        name: "二氧化氮",
        hourly: &[0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0],
        daily: &[0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0],
    },
    Pollutant {
        code: "pm10",
        name: "颗粒物（PM10）",
        hourly: &[0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0],
        daily: &[0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0],
    },
    Pollutant {
        code: "co",
        name: "一氧化碳",
        hourly: &[0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0],
        daily: &[0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0],
    },
    Pollutant {
        code: "o3",
        name: "臭氧",
        hourly: &[0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0],
        daily: &[0.0, 100.0, 160.0, 215.0, 265.0, 800.0],
    },
    Pollutant {
        code: "pm25",
        name: "细颗粒物（PM2.5）",
        hourly: &[0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0],
        daily: &[0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0],
    },
];

/// The IAQI of a concentration on a breakpoint scale (`None` beyond the scale).
pub fn iaqi(bp: &[f64], c: f64) -> Option<u32> {
    if c < 0.0 {
        return None;
    }
    let i = bp.windows(2).position(|w| c <= w[1])?;
    let (bl, bh, il, ih) = (bp[i], bp[i + 1], IAQI[i], IAQI[i + 1]);
    Some(((ih - il) / (bh - bl) * (c - bl) + il).ceil() as u32)
}

/// The hourly IAQI of one pollutant (SO₂ and O₃ above their 1-hour scale use the 24-hour one).
pub fn hourly_iaqi(code: &str, c: f64) -> Option<u32> {
    let p = POLLUTANTS.iter().find(|p| p.code == code)?;
    iaqi(p.hourly, c).or_else(|| iaqi(p.daily, c)).or(Some(500).filter(|_| c >= 0.0))
}

/// The AQI of a set of hourly concentrations and the 首要污染物 (when the AQI is over 50).
pub fn aqi(values: &[(&str, f64)]) -> Option<(u32, Vec<&'static str>)> {
    let scored: Vec<(&'static str, u32)> = values
        .iter()
        .filter_map(|(code, c)| Some((POLLUTANTS.iter().find(|p| p.code == *code)?.name, hourly_iaqi(code, *c)?)))
        .collect();
    let top = scored.iter().map(|s| s.1).max()?;
    let primary = if top > 50 { scored.iter().filter(|s| s.1 == top).map(|s| s.0).collect() } else { Vec::new() };
    Some((top, primary))
}

/// The level of an AQI: (类别, colour).
pub fn level(aqi: u32) -> (&'static str, &'static str) {
    match aqi {
        0..=50 => ("优", "#00e400"),
        51..=100 => ("良", "#ffff00"),
        101..=150 => ("轻度污染", "#ff7e00"),
        151..=200 => ("中度污染", "#ff0000"),
        201..=300 => ("重度污染", "#99004c"),
        _ => ("严重污染", "#7e0023"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iaqi_interpolates_and_rounds_up() {
        let pm25 = POLLUTANTS.iter().find(|p| p.code == "pm25").unwrap();
        assert_eq!(iaqi(pm25.daily, 0.0), Some(0));
        assert_eq!(iaqi(pm25.daily, 35.0), Some(50));
        assert_eq!(iaqi(pm25.daily, 55.0), Some(75));
        assert_eq!(iaqi(pm25.daily, 75.0), Some(100));
        assert_eq!(iaqi(pm25.daily, 76.0), Some(102), "101.25 rounds up");
        assert_eq!(iaqi(pm25.daily, 500.0), Some(500));
        assert_eq!(iaqi(pm25.daily, 501.0), None);
        assert_eq!(iaqi(pm25.daily, -1.0), None);
    }

    #[test]
    fn scales_switch_where_the_standard_says() {
        // SO₂ above 800 μg/m³ in an hour: the 24-hour scale.
        assert_eq!(hourly_iaqi("so2", 800.0), Some(200));
        assert_eq!(hourly_iaqi("so2", 1600.0), Some(300));
        // O₃ hourly: 160 → 50, 200 → 100.
        assert_eq!(hourly_iaqi("o3", 160.0), Some(50));
        assert_eq!(hourly_iaqi("o3", 200.0), Some(100));
        // CO in mg/m³.
        assert_eq!(hourly_iaqi("co", 10.0), Some(100));
        assert_eq!(hourly_iaqi("nope", 1.0), None);
    }

    #[test]
    fn aqi_is_the_largest_and_names_the_primary_pollutant() {
        let (a, p) =
            aqi(&[("pm25", 55.0), ("pm10", 60.0), ("no2", 40.0), ("so2", 10.0), ("co", 0.8), ("o3", 60.0)]).unwrap();
        assert_eq!(a, 75);
        assert_eq!(p, vec!["细颗粒物（PM2.5）"]);
        let (a, p) = aqi(&[("pm25", 20.0), ("pm10", 30.0)]).unwrap();
        assert_eq!(a, 30);
        assert!(p.is_empty(), "no primary pollutant at 50 or below");
        assert_eq!(aqi(&[]), None);
        assert_eq!(level(30).0, "优");
        assert_eq!(level(75).0, "良");
        assert_eq!(level(120).0, "轻度污染");
        assert_eq!(level(350).0, "严重污染");
    }
}

//! A carbon-intensity forecast: a step function of time read from CSV (`time` — ISO 8601 with
//! zone — and `carbon_intensity_g_per_kwh`; any spacing; each value holds until the next time,
//! and the last for as long as the interval before it), from a file or a program's stdout.

use crate::config::schedule::parse_time;
use crate::config::{ForecastSource, ScheduleSpec};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Forecast {
    /// (from, g/kWh), times strictly increasing.
    points: Vec<(DateTime<FixedOffset>, f64)>,
    /// Where the forecast stops holding.
    end: DateTime<FixedOffset>,
    /// The file or command it came from, for messages.
    pub(crate) origin: String,
}

/// Parse the CSV text; errors name `origin` and the line.
pub(crate) fn parse_forecast(text: &str, origin: &str) -> Result<Forecast> {
    let mut r = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = r.headers().with_context(|| format!("{origin}: cannot read the header"))?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| {
            format!("{origin}:1: no `{name}` column (the header must name `time` and `carbon_intensity_g_per_kwh`)")
        })
    };
    let (ti, ci) = (col("time")?, col("carbon_intensity_g_per_kwh")?);
    let mut points: Vec<(DateTime<FixedOffset>, f64)> = Vec::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("{origin}: not CSV"))?;
        let line = rec.position().map_or(0, |p| p.line());
        let at = |i: usize| rec.get(i).unwrap_or("");
        let time = parse_time(at(ti)).map_err(|e| anyhow::anyhow!("{origin}:{line}: time {e}"))?;
        let g: f64 = at(ci).parse().map_err(|_| {
            anyhow::anyhow!(
                "{origin}:{line}: carbon_intensity_g_per_kwh {:?} is not a number",
                at(ci)
            )
        })?;
        if !g.is_finite() || g < 0.0 {
            bail!("{origin}:{line}: carbon_intensity_g_per_kwh {g} must be a number ≥ 0");
        }
        if let Some((last, _)) = points.last()
            && time <= *last
        {
            bail!(
                "{origin}:{line}: time {time} is not after the row before ({last}): times must increase"
            );
        }
        points.push((time, g));
    }
    if points.len() < 2 {
        bail!(
            "{origin}: needs at least two rows (the last value holds as long as the interval before it)"
        );
    }
    let n = points.len();
    let end = points[n - 1].0 + (points[n - 1].0 - points[n - 2].0);
    Ok(Forecast { points, end, origin: origin.to_string() })
}

/// Read the forecast the grid names: the file, or the command's stdout (run once, in the grid's
/// folder, no shell; its stderr is shown when it fails).
pub(crate) fn read_forecast(spec: &ScheduleSpec) -> Result<Forecast> {
    match &spec.source {
        ForecastSource::File(path) => {
            let origin = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("schedule.forecast: cannot read {origin}"))?;
            parse_forecast(&text, &origin)
        }
        ForecastSource::Command(argv) => {
            let origin = format!("schedule.forecast_command ({})", argv.join(" "));
            let out = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .current_dir(&spec.dir)
                .stdin(std::process::Stdio::null())
                .output()
                .with_context(|| format!("{origin}: cannot start"))?;
            if !out.status.success() {
                bail!(
                    "{origin} failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            parse_forecast(&String::from_utf8_lossy(&out.stdout), &origin)
        }
    }
}

impl Forecast {
    pub(crate) fn start(&self) -> DateTime<FixedOffset> {
        self.points[0].0
    }

    pub(crate) fn end(&self) -> DateTime<FixedOffset> {
        self.end
    }

    /// The times at which the intensity changes (and where the forecast ends).
    pub(crate) fn steps(&self) -> impl Iterator<Item = DateTime<FixedOffset>> + '_ {
        self.points.iter().map(|(t, _)| *t).chain(std::iter::once(self.end))
    }

    /// The intensity at `t` (`None` outside the forecast).
    pub(crate) fn at(&self, t: DateTime<FixedOffset>) -> Option<f64> {
        if t < self.start() || t >= self.end {
            return None;
        }
        self.points.iter().rev().find(|(from, _)| *from <= t).map(|(_, g)| *g)
    }

    /// ∫ intensity dt over [a, b], in g/kWh · seconds (the part inside the forecast).
    pub(crate) fn integral(&self, a: DateTime<FixedOffset>, b: DateTime<FixedOffset>) -> f64 {
        let mut sum = 0.0;
        for (i, (from, g)) in self.points.iter().enumerate() {
            let to = self.points.get(i + 1).map_or(self.end, |p| p.0);
            let (lo, hi) = (a.max(*from), b.min(to));
            if hi > lo {
                sum += g * (hi - lo).num_milliseconds() as f64 / 1000.0;
            }
        }
        sum
    }

    /// Mean intensity over [a, b], g/kWh.
    pub(crate) fn mean(&self, a: DateTime<FixedOffset>, b: DateTime<FixedOffset>) -> f64 {
        let s = (b - a).num_milliseconds() as f64 / 1000.0;
        if s <= 0.0 { self.at(a).unwrap_or(f64::NAN) } else { self.integral(a, b) / s }
    }
}

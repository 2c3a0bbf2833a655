//! The one table the harness prints, and the statistics and units its cells use.

use std::time::Duration;

/// One row: what was measured, Theater's figure, raw wasmtime's (or another baseline), the
/// cost ratio between them, and the design target with whether it was met.
struct Row {
    area: &'static str,
    figure: String,
    theater: String,
    baseline: String,
    ratio: String,
    target: String,
}

/// A design goal and whether this run met it.
pub struct Target {
    text: String,
    met: bool,
}

impl Target {
    pub fn new(text: impl Into<String>, met: bool) -> Target {
        Target {
            text: text.into(),
            met,
        }
    }
}

/// The harness's output, filled in section by section.
#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// Add a row. `baseline` and `ratio` are `None` where nothing comparable exists.
    pub fn row(
        &mut self,
        area: &'static str,
        figure: impl Into<String>,
        theater: String,
        baseline: Option<String>,
        ratio: Option<String>,
        target: Option<Target>,
    ) {
        let target = match target {
            Some(t) => format!("{} — {}", t.text, if t.met { "met" } else { "**missed**" }),
            None => "—".into(),
        };
        self.rows.push(Row {
            area,
            figure: figure.into(),
            theater,
            baseline: baseline.unwrap_or_else(|| "—".into()),
            ratio: ratio.unwrap_or_else(|| "—".into()),
            target,
        });
    }

    /// The table as Markdown, rows grouped by area (a section may add rows to another
    /// area, e.g. chain figures measured during the messaging run).
    pub fn markdown(&self) -> String {
        let mut out = String::from("| area | figure | Theater | raw wasmtime / baseline | ratio | target |\n|---|---|---|---|---|---|\n");
        let mut areas: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !areas.contains(&r.area) {
                areas.push(r.area);
            }
        }
        for area in areas {
            for r in self.rows.iter().filter(|r| r.area == area) {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    r.area, r.figure, r.theater, r.baseline, r.ratio, r.target
                ));
            }
        }
        out
    }
}

/// Median and 99th percentile of a set of latencies.
#[derive(Clone, Copy)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
}

impl Latency {
    pub fn of(mut samples: Vec<Duration>) -> Latency {
        assert!(!samples.is_empty(), "a latency needs samples");
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Latency {
            p50: at(0.50),
            p99: at(0.99),
        }
    }
}

/// The median of a few repeated measurements.
pub fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "a median needs values");
    values.sort_unstable_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A duration with a unit a reader takes in at a glance.
pub fn time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Operations per second of `count` operations in `elapsed`.
pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// A rate such as `123.4 k msgs/s`.
pub fn rate(per_s: f64, unit: &str) -> String {
    if per_s >= 1e6 {
        format!("{:.2} M {unit}/s", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.1} k {unit}/s", per_s / 1e3)
    } else {
        format!("{per_s:.0} {unit}/s")
    }
}

/// A byte count such as `212 B`, `180.3 KiB` or `1.0 TiB`.
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024.0 {
        return format!("{b:.0} B");
    }
    let mut value = b / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Cost ratio of two latencies: Theater's divided by the baseline's.
pub fn slower(theater: Duration, baseline: Duration) -> String {
    times(theater.as_secs_f64() / baseline.as_secs_f64())
}

/// Cost ratio of two throughputs: the baseline's rate divided by Theater's (time per op).
pub fn slower_rate(theater: f64, baseline: f64) -> String {
    times(baseline / theater)
}

/// A factor such as `4.2×`.
pub fn times(f: f64) -> String {
    if f >= 100.0 {
        format!("{f:.0}×")
    } else {
        format!("{f:.2}×")
    }
}
